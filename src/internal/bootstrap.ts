/**
 * The guard against the silent fork bomb of a main module without
 * `if (import.meta.main)`: workers import the module that defines a task, so
 * a module that also starts its program at import time starts it again in
 * every worker, which starts a pool, whose workers import the module, and so
 * on. Python refuses the same ("An attempt has been made to start a new
 * process before the current process has finished its bootstrapping phase").
 *
 * The rule, in a worker of ours (thread or process; the main program is never
 * refused):
 *
 * 1. While a task module is being imported (its top-level code, top-level
 *    `await` included), `Pool.make`, `Process.spawn` and `runMain` are refused.
 *    `Effect.runPromise`/`runFork` start their fiber synchronously, so a
 *    program started at the top level reaches its first `Pool.make` here.
 * 2. After the import, `Pool.make` and `Process.spawn` are still refused in a
 *    fiber started while a task module was being imported (or forked from such
 *    a fiber), unless that fiber belongs to a task: a top-level program that
 *    awaits something (a file, a sleep) before its pool is still caught.
 * 3. `runMain` in a worker is always refused: a worker never runs a program's
 *    main.
 *
 * Allowed: a pool or process made by a running task (its Effect and the
 * fibers it forks, its handler once the import is over), the way a Python task
 * may start a pool of its own.
 * Not caught: a program started after the import from a plain callback or
 * Promise (no fiber of it existed during the import).
 *
 * A refusal during an import is remembered for that module: the tasks waiting
 * for it fail in the parent with `MissingMainGuard`, not with a hang.
 *
 * State lives on `globalThis` so duplicate module instances agree.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { MissingMainGuard } from "../errors.ts"
import { isWorkerThread } from "./worker_init.ts"
import { globalValue } from "./global.ts"

interface State {
  /** Task modules being imported, innermost last. */
  readonly importing: Array<string>
  /** Fiber id ranges `[first, last]` of fibers created while a module was importing; `last` is open while it imports. */
  readonly windows: Array<{ first: number; last: number }>
  /** The root fibers of running tasks. */
  readonly taskFibers: WeakSet<object>
  /** Modules whose import was refused a pool: their tasks fail with this refusal. */
  readonly refused: Map<string, MissingMainGuard>
}

const state: State = globalValue<State>("bootstrap", () => ({
  importing: [],
  windows: [],
  taskFibers: new WeakSet(),
  refused: new Map(),
}))

const OPEN = Number.MAX_SAFE_INTEGER

/** The id the next fiber will get (fiber ids are allocated in order). */
const nextFiberId = (): number => Effect.runSync(Effect.withFiber((fiber) => Effect.succeed(fiber.id))) + 1

/** Worker side: imports a task module, remembering that it is importing. */
export const guardedImport = (moduleUrl: string): Promise<Record<string, unknown>> => {
  const window = { first: nextFiberId(), last: OPEN }
  state.windows.push(window)
  state.importing.push(moduleUrl)
  const done = (): void => {
    const i = state.importing.lastIndexOf(moduleUrl)
    if (i >= 0) state.importing.splice(i, 1)
    window.last = nextFiberId() - 1
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

/** Parent side: the `MissingMainGuard` encoded by `refusalOf`, or `undefined` for any other reason. */
export const decodeRefusal = (reason: unknown): MissingMainGuard | undefined => {
  if (typeof reason !== "string" || !reason.startsWith(REFUSAL)) return undefined
  const [operation, moduleUrl] = reason.slice(REFUSAL.length).split(REFUSAL)
  return new MissingMainGuard({ operation, moduleUrl: moduleUrl ?? "" })
}

type AnyFiber = Fiber.Fiber<unknown, unknown> & { readonly _parent?: AnyFiber | undefined }

const inWindow = (id: number): boolean => {
  for (const w of state.windows) if (id >= w.first && id <= w.last) return true
  return false
}

/** Whether `fiber` or one of its ancestors satisfies `test`. */
const lineage = (fiber: AnyFiber | undefined, test: (f: AnyFiber) => boolean): boolean => {
  for (let f = fiber, depth = 0; f !== undefined && depth < 1000; f = f._parent, depth++) if (test(f)) return true
  return false
}

/**
 * The refusal of `operation` in this context, or `undefined` when it is
 * allowed (always in the main program). A refusal during an import is
 * remembered for the module being imported.
 */
export const refusal = (operation: string, fiber?: object): MissingMainGuard | undefined => {
  if (!isWorkerThread()) return undefined
  const f = fiber as AnyFiber | undefined
  if (operation !== "runMain" && lineage(f, (x) => state.taskFibers.has(x))) return undefined
  const importing = state.importing[state.importing.length - 1]
  if (importing !== undefined) {
    const error = new MissingMainGuard({ operation, moduleUrl: importing })
    if (!state.refused.has(importing)) state.refused.set(importing, error)
    return error
  }
  if (operation === "runMain" || lineage(f, (x) => inWindow(x.id))) {
    return new MissingMainGuard({ operation, moduleUrl: "" })
  }
  return undefined
}

/**
 * Worker side: whether an unhandled rejection is a refusal of this guard (the
 * rejected `Effect.runPromise` of a program started by a module's top-level
 * code). It is not fatal to the worker: a refusal during an import fails the
 * tasks of that module in the parent; a later one is printed to stderr here.
 */
export const isRefusal = (reason: unknown): boolean => {
  if (!(reason instanceof MissingMainGuard)) return false
  if (reason.moduleUrl.length === 0) console.error(`${reason.name}: ${reason.message}`)
  return true
}

/** Fails with `MissingMainGuard` when `operation` would start the program again inside a worker. */
export const checkBootstrap = (operation: string): Effect.Effect<void, MissingMainGuard> =>
  Effect.withFiber((fiber) => {
    const error = refusal(operation, fiber)
    return error === undefined ? Effect.void : Effect.fail(error)
  })
