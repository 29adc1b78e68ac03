/**
 * The worker side of the main-module guard (see `bootstrap.ts` for the rule):
 * remembers which task modules are being imported and which fibers run
 * tasks. It imports nothing from `effect`, so a worker whose tasks need no
 * Effect never loads it; fiber ids are read through `bootstrap.ts`, which
 * registers the reader when the library's pools or processes are loaded (the
 * only code that is ever refused).
 *
 * State lives on `globalThis` so duplicate module instances agree.
 *
 * @internal
 * @module
 */
import { globalValue } from "./global.ts"

/** The guard's state, shared with `bootstrap.ts`. */
export interface GuardState {
  /** Task modules being imported, innermost last. */
  readonly importing: Array<string>
  /** Fiber id ranges `[first, last]` of fibers created while a module was importing; `last` is open while it imports. */
  readonly windows: Array<{ first: number; last: number }>
  /** The root fibers of running tasks. */
  readonly taskFibers: WeakSet<object>
  /** Modules whose import was refused a pool, with the refusal (a `MissingMainGuard`): their tasks fail with it. */
  readonly refused: Map<string, { readonly operation: string; readonly moduleUrl: string }>
  /** The refusals made by the guard, to tell them apart from other rejections. */
  readonly refusals: WeakSet<object>
  /** The id the next fiber will get, once `effect` and the guard's checks are loaded. */
  nextFiberId: (() => number) | undefined
}

/** The guard's state. */
export const state: GuardState = globalValue<GuardState>("bootstrap", () => ({
  importing: [],
  windows: [],
  taskFibers: new WeakSet(),
  refused: new Map(),
  refusals: new WeakSet(),
  nextFiberId: undefined,
}))

/** An open end of a window. */
export const OPEN = Number.MAX_SAFE_INTEGER

/** Worker side: imports a task module, remembering that it is importing. */
export const guardedImport = (moduleUrl: string): Promise<Record<string, unknown>> => {
  // Before `effect` is loaded no fiber exists yet: the first one will have id 1.
  const window = { first: state.nextFiberId?.() ?? 1, last: OPEN }
  state.windows.push(window)
  state.importing.push(moduleUrl)
  const done = (): void => {
    const i = state.importing.lastIndexOf(moduleUrl)
    if (i >= 0) state.importing.splice(i, 1)
    // Without the guard's checks loaded, no fiber of this import can reach a pool: the window is empty.
    window.last = state.nextFiberId !== undefined ? state.nextFiberId() - 1 : window.first - 1
  }
  let promise: Promise<Record<string, unknown>>
  try {
    promise = import(moduleUrl) as Promise<Record<string, unknown>>
  } catch (e) {
    done()
    return Promise.reject(e)
  }
  return promise.finally(done)
}

/** Worker side: marks the fiber of a running task (pools made in it and its children are allowed). */
export const markTaskFiber = (fiber: object): void => {
  state.taskFibers.add(fiber)
}

const REFUSAL = "\u0000MissingMainGuard\u0000"

/**
 * Worker side: the reason to report for a task of `moduleUrl` whose import was
 * refused a pool or process (an encoded `MissingMainGuard`), or `undefined`.
 */
export const refusalOf = (moduleUrl: string): string | undefined => {
  const error = state.refused.get(moduleUrl)
  return error === undefined ? undefined : `${REFUSAL}${error.operation}${REFUSAL}${error.moduleUrl}`
}

/** Parent side: the operation and module of a reason encoded by `refusalOf`, or `undefined` for any other reason. */
export const parseRefusal = (reason: unknown): { operation: string; moduleUrl: string } | undefined => {
  if (typeof reason !== "string" || !reason.startsWith(REFUSAL)) return undefined
  const [operation, moduleUrl] = reason.slice(REFUSAL.length).split(REFUSAL)
  return { operation, moduleUrl: moduleUrl ?? "" }
}

/**
 * Worker side: whether an unhandled rejection is a refusal of this guard (the
 * rejected `Effect.runPromise` of a program started by a module's top-level
 * code). It is not fatal to the worker: a refusal during an import fails the
 * tasks of that module in the parent; a later one is printed to stderr here.
 */
export const isRefusal = (reason: unknown): boolean => {
  if (typeof reason !== "object" || reason === null || !state.refusals.has(reason)) return false
  const error = reason as { readonly name: string; readonly message: string; readonly moduleUrl: string }
  if (error.moduleUrl.length === 0) console.error(`${error.name}: ${error.message}`)
  return true
}
