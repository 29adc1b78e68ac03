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
 * State lives on `globalThis` so duplicate module instances agree. The worker
 * side (importing task modules, marking task fibers) is in `import_guard.ts`,
 * which does not load `effect`.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import { MissingMainGuard } from "../errors.ts"
import { isWorkerThread } from "./worker_init.ts"
import { parseRefusal, state } from "./import_guard.ts"

export { guardedImport, isRefusal, markTaskFiber, refusalOf } from "./import_guard.ts"

/** The id the next fiber will get (fiber ids are allocated in order). */
const nextFiberId = (): number => Effect.runSync(Effect.withFiber((fiber) => Effect.succeed(fiber.id))) + 1
// The worker side reads fiber ids through the shared state, so that it need not load `effect` itself.
state.nextFiberId ??= nextFiberId

/** Parent side: the `MissingMainGuard` encoded by `refusalOf`, or `undefined` for any other reason. */
export const decodeRefusal = (reason: unknown): MissingMainGuard | undefined => {
  const parsed = parseRefusal(reason)
  return parsed === undefined ? undefined : new MissingMainGuard(parsed)
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
    state.refusals.add(error)
    if (!state.refused.has(importing)) state.refused.set(importing, error)
    return error
  }
  if (operation === "runMain" || lineage(f, (x) => inWindow(x.id))) {
    const error = new MissingMainGuard({ operation, moduleUrl: "" })
    state.refusals.add(error)
    return error
  }
  return undefined
}

/** Fails with `MissingMainGuard` when `operation` would start the program again inside a worker. */
export const checkBootstrap = (operation: string): Effect.Effect<void, MissingMainGuard> =>
  Effect.withFiber((fiber) => {
    const error = refusal(operation, fiber)
    return error === undefined ? Effect.void : Effect.fail(error)
  })
