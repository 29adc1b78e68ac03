/**
 * The brand of Task values, apart from `Task.ts` so that the worker runtime
 * can recognize a task before (and without) loading anything else.
 *
 * @internal
 * @module
 */

import type { TaskCodecs } from "./codec.ts"

/** The brand of Task values. */
export const TypeId = "~@mp/multiprocessing/Task"

/** What the worker runtime reads of a task (a `Task` without the types that would load `effect`). */
export interface TaskShape {
  /** The URL of the module that defines the task. */
  readonly moduleUrl: string
  /** The task's name. */
  readonly name: string
  /** The code that runs in the worker. */
  readonly handler: (payload: unknown, context: ShapeContext) => unknown
  /** How payloads, results and failures cross. */
  readonly codec: TaskCodecs
}

/** What a handler receives besides its payload (`Task.TaskContext`). */
export interface ShapeContext {
  readonly signal: AbortSignal
  readonly taskName: string
  readonly emit: (event: unknown) => void
}

/** Whether a value carries the Task brand. */
export const hasTaskBrand = (u: unknown): boolean =>
  typeof u === "object" && u !== null && (u as Record<string, unknown>)[TypeId] === TypeId
