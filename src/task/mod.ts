/**
 * `@mp/multiprocessing/task`: what a task module needs, and nothing more:
 * {@link Task} (`Task.make`), {@link transfer} and {@link checkpoint}. The
 * workers import every module that defines a task; a module that imports
 * this entry instead of the whole library (and `effect/Effect` rather than
 * the `effect` barrel, or no `effect` at all for plain handlers) lets each
 * worker start in a fraction of the time.
 *
 * The names are the same as in the main entry, so a task module switches
 * with one line; the program that starts pools imports the main entry.
 *
 * ```ts
 * // tasks.ts: imported by the program and by every worker
 * import * as mp from "@mp/multiprocessing/task"
 *
 * export const double = mp.Task.make(import.meta.url, "double", { handler: (n: number) => n * 2 })
 * ```
 *
 * The program (`main.ts`) imports the task from `./tasks.ts` and the pool
 * from `@mp/multiprocessing`, as usual:
 * `yield* pool.map(double, [1, 2, 3])`.
 *
 * @module
 */
// A statement between the module doc and the first `export * as` (see mod.ts).
export {}

export * as Task from "./Task.ts"
export { type Transfer, transfer, TypeId as TransferTypeId } from "./transfer.ts"
export { checkpoint } from "../worker/wire/checkpoint.ts"
