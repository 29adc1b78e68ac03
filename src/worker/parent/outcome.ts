/**
 * Turns an outcome from the wire into an `Exit` in the parent, decoding the
 * result or typed failure with the task's schemas.
 *
 * @internal
 * @module
 */
import * as Exit from "effect/Exit"
import { RemoteException, SerializationError, TaskNotFound } from "../../errors.ts"
import { decodeRefusal } from "../../internal/bootstrap.ts"
import { decodeFailure } from "../../internal/known_errors.ts"
import { revive } from "../../internal/revive.ts"
import type { Task } from "../../task/Task.ts"
import * as P from "../wire/protocol.ts"
import { isTransfer } from "../../task/transfer.ts"

type AnyTask = Task<unknown, unknown, unknown>

/**
 * The Exit of one item. Never throws: an outcome that cannot be read (a
 * worker sent a value the revivers or decoders choke on) is a
 * `SerializationError` (stage `decode-result`) for that item alone.
 */
export const toExit = (task: AnyTask, kind: number, value: unknown): Exit.Exit<unknown, unknown> => {
  try {
    return readOutcome(task, kind, value)
  } catch (e) {
    return Exit.fail(
      serialization(task, "decode-result", `the outcome cannot be read: ${e instanceof Error ? e.message : String(e)}`),
    )
  }
}

const readOutcome = (task: AnyTask, kind: number, value: unknown): Exit.Exit<unknown, unknown> => {
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
        new RemoteException({
          taskName: task.name,
          remoteName: e.name,
          remoteMessage: e.message,
          remoteStack: e.stack,
        }),
      )
    }
    case P.INTERRUPTED:
      return Exit.interrupt()
    case P.SERIALIZATION: {
      const s = value as { stage: "decode-payload" | "encode-result"; message: string }
      return Exit.fail(serialization(task, s.stage, s.message))
    }
    default:
      return Exit.fail(
        decodeRefusal(value) ??
          new TaskNotFound({ moduleUrl: task.moduleUrl, taskName: task.name, reason: String(value) }),
      )
  }
}

/** A `SerializationError` for a task. */
export const serialization = (
  task: AnyTask,
  stage: SerializationError["stage"],
  message: string,
): SerializationError => new SerializationError({ taskName: task.name, stage, message })

/** Encodes a payload in the parent with its task's schema (the identity without one). */
export const encodePayload = (
  task: AnyTask,
  payload: unknown,
): { ok: true; value: unknown } | { ok: false; error: SerializationError } => {
  const codec = task.codec.payload
  if (codec.identity) return { ok: true, value: payload }
  const r = codec.encode(payload)
  return r.ok ? r : { ok: false, error: serialization(task, "encode-payload", r.message) }
}

/** A payload ready to send: encoded, with the buffers to move. */
export type Prepared = { ok: true; value: unknown; transfer: ReadonlyArray<Transferable> } | {
  ok: false
  error: SerializationError
}

const noTransfer: ReadonlyArray<Transferable> = []

/** Unwraps an `mp.transfer` marker and encodes the payload with its task's schema. */
export const preparePayload = (task: AnyTask, payload: unknown): Prepared => {
  let transfer = noTransfer
  if (isTransfer(payload)) {
    transfer = payload.transfer
    payload = payload.value
  }
  const encoded = encodePayload(task, payload)
  return encoded.ok ? { ok: true, value: encoded.value, transfer } : encoded
}
