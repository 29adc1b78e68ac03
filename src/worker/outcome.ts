/**
 * Turns an outcome from the wire into an `Exit` in the parent, decoding the
 * result or typed failure with the task's schemas.
 *
 * @internal
 * @module
 */
import * as Exit from "effect/Exit"
import { type PoolError, RemoteException, SerializationError, TaskNotFound } from "../errors.ts"
import { decodeFailure } from "../internal/known_errors.ts"
import { revive } from "../internal/revive.ts"
import type { Task } from "../task/Task.ts"
import * as P from "./protocol.ts"

type AnyTask = Task<unknown, unknown, unknown>

/** The Exit of one item. */
export const toExit = (task: AnyTask, kind: number, value: unknown): Exit.Exit<unknown, unknown> => {
  switch (kind) {
    case P.SUCCESS: {
      const v = revive(value)
      const codec = task.codec.success
      if (codec.identity) return Exit.succeed(v)
      const r = codec.decode(v)
      return r.ok ? Exit.succeed(r.value) : Exit.fail(serialization(task, "decode-result", r.message))
    }
    case P.FAILURE: {
      const codec = task.codec.failure
      if (codec.identity) return Exit.fail(revive(decodeFailure(value)))
      const v = revive(value)
      const r = codec.decode(v)
      return r.ok ? Exit.fail(r.value) : Exit.fail(
        serialization(task, "decode-result", `the task's failure does not fit its failure schema: ${r.message}`),
      )
    }
    case P.EXCEPTION: {
      const e = value as P.SerializedError
      return Exit.fail(
        new RemoteException({ taskName: task.name, remoteName: e.name, message: e.message, remoteStack: e.stack }),
      )
    }
    case P.INTERRUPTED:
      return Exit.interrupt()
    case P.SERIALIZATION: {
      const s = value as { stage: "decode-payload" | "encode-result"; message: string }
      return Exit.fail(serialization(task, s.stage, s.message))
    }
    default:
      return Exit.fail(new TaskNotFound({ moduleUrl: task.moduleUrl, taskName: task.name, reason: String(value) }))
  }
}

/** A `SerializationError` for a task. */
export const serialization = (
  task: AnyTask,
  stage: SerializationError["stage"],
  message: string,
): SerializationError => new SerializationError({ taskName: task.name, stage, message })

/** Encodes payloads in the parent; the first that does not fit fails them all (map) or only itself (mapExit). */
export const encodePayload = (
  task: AnyTask,
  payload: unknown,
): { ok: true; value: unknown } | { ok: false; error: PoolError } => {
  const codec = task.codec.payload
  if (codec.identity) return { ok: true, value: payload }
  const r = codec.encode(payload)
  return r.ok ? r : { ok: false, error: serialization(task, "encode-payload", r.message) }
}
