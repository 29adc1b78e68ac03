/**
 * Who is running this code: Python's `current_process()` and
 * `parent_process()`.
 *
 * @module
 */
import { isWorkerThread, registerInitHook, registerInitProvider, workerIdOf } from "../internal/worker_init.ts"

/**
 * A process as `currentProcess()` and `parentProcess()` describe it.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const me: mp.ProcessInfo = mp.currentProcess()
 * console.log(`${me.name} (id ${me.id}, pid ${me.pid})`)
 * ```
 */
export interface ProcessInfo {
  /** `"MainProcess"` for the main program; a worker's name (`Process-3`, `Pool-1-Worker-2`, or the name given). */
  readonly name: string
  /** `0` for the main program; a worker's id, the same as `Process.id` and `activeChildren()[i].id` in its parent. */
  readonly id: number
  /** The OS process id (a Worker thread shares its parent's). */
  readonly pid: number
  /** Whether this is one of our workers (a Worker thread or a child process running tasks). */
  readonly isWorker: boolean
}

const MAIN_NAME = "MainProcess"
const KEY = "@mp/multiprocessing/parent"

let parent: ProcessInfo | undefined

// Every new Worker thread learns who started it; a child process (which gets no shared extras) falls back to its ppid.
registerInitProvider(KEY, () => currentProcess())
registerInitHook(KEY, (value) => {
  parent = value as ProcessInfo
})

/**
 * This process, as Python's `multiprocessing.current_process()` gives it: its
 * name (`"MainProcess"` in the main program), id, pid, and whether it is one
 * of our workers.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * export const whoAmI = mp.Task.make(import.meta.url, "whoAmI", {
 *   handler: () => mp.currentProcess().name, // "Process-1", "Pool-1-Worker-2", ...
 * })
 * console.log(mp.currentProcess().name) // "MainProcess"
 * ```
 */
export const currentProcess = (): ProcessInfo => {
  if (!isWorkerThread()) return { name: MAIN_NAME, id: 0, pid: Deno.pid, isWorker: false }
  const name = (globalThis as { name?: unknown }).name
  return {
    name: typeof name === "string" && name.length > 0 ? name : `Worker-${workerIdOf()}`,
    id: workerIdOf() ?? 0,
    pid: Deno.pid,
    isWorker: true,
  }
}

/**
 * The process that started this worker, as Python's
 * `multiprocessing.parent_process()`: `undefined` in the main program. In a
 * child process (`isolation: "process"`) only the pid is known for sure: the
 * name is `"MainProcess"` and the id `0`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * export const whoStartedMe = mp.Task.make(import.meta.url, "whoStartedMe", {
 *   handler: () => mp.parentProcess()?.name, // "MainProcess"
 * })
 * console.log(mp.parentProcess()) // undefined
 * ```
 */
export const parentProcess = (): ProcessInfo | undefined => {
  if (!isWorkerThread()) return undefined
  return parent ?? { name: MAIN_NAME, id: 0, pid: Deno.ppid, isWorker: false }
}
