/**
 * Python's `multiprocessing` for Deno, built on Effect: processes, pools,
 * shared memory, locks and queues, where every worker is a fiber you can join
 * or interrupt, every pool is a scoped resource, and every failure is typed.
 *
 * A {@link Task} is code that crosses into a worker, found there by its
 * module's URL and its name; the workers import that module, so the program
 * starts behind the main-module guard (Python's `if __name__ == "__main__":`)
 * with {@link runMain}.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const double = mp.Task.make(import.meta.url, "double", { handler: (n: number) => n * 2 })
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* mp.Pool.make({ size: 4 }) // closed with its Scope
 *   console.log(yield* pool.map(double, [1, 2, 3, 4, 5])) // [2, 4, 6, 8, 10]
 * }))
 *
 * if (import.meta.main) mp.runMain(program)
 * ```
 *
 * @module
 */
// A statement between the module doc and the first `export * as`: otherwise `deno doc` shows the
// module doc as that namespace's description instead of the namespace's own module doc.
export {}

// First: in a compiled program started as a process worker, this holds the main module's body (compiled_child.ts).
import "./src/worker/runner/compiled_child.ts"

export * as Task from "./src/task/Task.ts"
export * as Process from "./src/process/Process.ts"
export * as Pool from "./src/pool/Pool.ts"
export {
  InvalidArgument,
  MissingMainGuard,
  PoolClosed,
  type PoolError,
  registerErrors,
  RemoteException,
  SerializationError,
  type SerializationStage,
  TaskNotFound,
  TaskTimeout,
  WorkerCrashed,
} from "./src/errors.ts"
export { isPoolError } from "./src/pool/internal/pool_error.ts"
export { checkpoint } from "./src/worker/wire/checkpoint.ts"
export { runMain, type RunMainOptions } from "./src/runMain.ts"
export { currentProcess, parentProcess, type ProcessInfo } from "./src/process/current.ts"
export { type Transfer, transfer, TypeId as TransferTypeId } from "./src/task/transfer.ts"
export { activeChildren, type ChildInfo, cpuCount } from "./src/runtime_info.ts"
export type { WorkerPermissions } from "./src/worker/parent/host.ts"
export * from "./src/shared/mod.ts"
export * from "./src/ipc/mod.ts"
