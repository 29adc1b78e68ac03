/**
 * The parent's one path for payloads and one for outcomes: `prepareItems`
 * unwraps `mp.transfer` markers and encodes payloads with the task's schema;
 * `decodeItems` turns outcomes from the wire into values and Exits, decoding
 * results and typed failures with the task's schemas. Callers above the
 * worker client (the pool, `Process`) never read the wire format.
 *
 * @internal
 * @module
 */
import * as Exit from "effect/Exit"
import {
  type PoolClosed,
  RemoteException,
  SerializationError,
  TaskNotFound,
  type TaskTimeout,
  type WorkerCrashed,
} from "../../errors.ts"
import { decodeRefusal } from "../../internal/bootstrap.ts"
import { decodeFailure } from "../../internal/known_errors.ts"
import { revive } from "../../internal/revive.ts"
import type { AnyTask } from "../../task/Task.ts"
import * as P from "../wire/protocol.ts"
import { isTransfer } from "../../task/transfer.ts"

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
const encodePayload = (
  task: AnyTask,
  payload: unknown,
): { ok: true; value: unknown } | { ok: false; error: SerializationError } => {
  const codec = task.codec.payload
  if (codec.identity) return { ok: true, value: payload }
  const r = codec.encode(payload)
  return r.ok ? r : { ok: false, error: serialization(task, "encode-payload", r.message) }
}

/** Items of a job made ready to send: encoded, with the buffers they move. */
export interface PreparedItems {
  /**
   * The encoded payloads, in order, from the first item up to (not including)
   * the first one that cannot be encoded (`error`), or all of them.
   */
  readonly payloads: Array<unknown>
  /** Every buffer the prepared payloads move. */
  readonly transfer: ReadonlyArray<Transferable>
  /**
   * Per prepared payload, the buffers it moves (when any moves): what each
   * part carries if the job is split. `undefined` when nothing moves.
   */
  readonly transfers: Array<ReadonlyArray<Transferable>> | undefined
  /** Why the item after the prepared ones cannot be sent, if one cannot. */
  readonly error: SerializationError | undefined
}

const none: ReadonlyArray<Transferable> = []

/**
 * Prepares `items[start .. end - 1]` to send: unwraps `mp.transfer` markers and
 * encodes each payload with its task's schema. Stops at the first payload that
 * cannot be encoded (`error`). Without a schema and a marker it is one slice.
 */
export const prepareItems = (
  task: AnyTask,
  items: ReadonlyArray<unknown>,
  start = 0,
  end: number = items.length,
): PreparedItems => {
  const identity = task.codec.payload.identity
  let marked = false
  for (let i = start; i < end; i++) {
    const v = items[i]
    if (typeof v === "object" && v !== null && isTransfer(v)) {
      marked = true
      break
    }
  }
  if (identity && !marked) {
    return { payloads: items.slice(start, end), transfer: none, transfers: undefined, error: undefined }
  }
  const payloads: Array<unknown> = []
  const transfer: Array<Transferable> = []
  const transfers: Array<ReadonlyArray<Transferable>> | undefined = marked ? [] : undefined
  for (let i = start; i < end; i++) {
    let value = items[i]
    let own: ReadonlyArray<Transferable> = none
    if (marked && isTransfer(value)) {
      own = value.transfer as ReadonlyArray<Transferable>
      value = value.value
    }
    const encoded = encodePayload(task, value)
    if (!encoded.ok) return { payloads, transfer, transfers, error: encoded.error }
    payloads.push(encoded.value)
    if (transfers !== undefined) {
      transfers.push(own)
      for (const t of own) transfer.push(t)
    }
  }
  return { payloads, transfer, transfers, error: undefined }
}

/** A payload ready to send: encoded, with the buffers to move. */
export type Prepared = { ok: true; value: unknown; transfer: ReadonlyArray<Transferable> } | {
  ok: false
  error: SerializationError
}

/** `prepareItems` for one payload. */
export const preparePayload = (task: AnyTask, payload: unknown): Prepared => {
  const prepared = prepareItems(task, [payload])
  return prepared.error === undefined
    ? { ok: true, value: prepared.payloads[0], transfer: prepared.transfer }
    : { ok: false, error: prepared.error }
}

/**
 * Receives a job's outcomes, decoded, by absolute item index. Any of its
 * calls may end the caller's interest: later calls are then ignored by it.
 */
export interface Receiver {
  /** Item `index` succeeded with `value`. */
  readonly onSuccess: (index: number, value: unknown) => void
  /** Item `index` failed, died or was interrupted: `exit` is not a success. */
  readonly onFailure: (index: number, exit: Exit.Exit<never, unknown>) => void
  /** Items `index .. index + count - 1` failed as a whole (crash, timeout, closed pool). */
  readonly onError: (index: number, count: number, error: WorkerCrashed | TaskTimeout | PoolClosed) => void
}

/** How many of these outcomes the task reported as successes (before decoding). */
export const countSuccesses = (kinds: ReadonlyArray<number>): number => {
  let n = 0
  for (let i = 0; i < kinds.length; i++) if (kinds[i] === P.SUCCESS) n++
  return n
}

/**
 * Decodes outcomes from the wire (items `index ..`) into `receiver`. A
 * success without a schema is only revived.
 */
export const decodeItems = (
  task: AnyTask,
  index: number,
  kinds: ReadonlyArray<number>,
  values: ReadonlyArray<unknown>,
  receiver: Receiver,
): void => {
  const identity = task.codec.success.identity
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]
    if (kind === P.SUCCESS && identity) {
      receiver.onSuccess(index + i, revive(values[i]))
      continue
    }
    const exit = toExit(task, kind, values[i])
    if (Exit.isSuccess(exit)) receiver.onSuccess(index + i, exit.value)
    else receiver.onFailure(index + i, exit as Exit.Exit<never, unknown>)
  }
}

/**
 * A payload that could not be cloned to cross to the worker (`DataCloneError`
 * from `postMessage`), as that item's failure.
 */
export const unclonable = (task: AnyTask, message: string): Exit.Exit<never, unknown> =>
  Exit.fail(serialization(task, "encode-payload", message))

/**
 * Why an initializer's outcome is not a success, in words; `undefined` when it
 * is one.
 */
export const describeInitOutcome = (kind: number, value: unknown): string | undefined => {
  switch (kind) {
    case P.SUCCESS:
      return undefined
    case P.EXCEPTION: {
      const e = value as P.SerializedError
      return `${e.name}: ${e.message}`
    }
    case P.FAILURE:
      return `it failed with ${safeJson(value)}`
    case P.NOT_FOUND:
      return String(value)
    case P.SERIALIZATION:
      return (value as { message: string }).message
    default:
      return "it was interrupted"
  }
}

const safeJson = (u: unknown): string => {
  try {
    return JSON.stringify(u)
  } catch {
    return String(u)
  }
}
