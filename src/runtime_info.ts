/**
 * Facts about the running program: cores, live children.
 *
 * @module
 */
import { type ChildInfo, liveChildren } from "./internal/children.ts"

/**
 * The number of logical cores (Python's `cpu_count()`); the default pool size.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(`running on ${mp.cpuCount()} cores`)
 * ```
 */
export const cpuCount = (): number => navigator.hardwareConcurrency ?? 1

/**
 * The workers and child processes of this library that are alive right now
 * (Python's `active_children()`).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(mp.activeChildren().map((c) => c.name))
 * ```
 */
export const activeChildren = (): ReadonlyArray<ChildInfo> => liveChildren()

export type { ChildInfo }
