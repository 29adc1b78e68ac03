/**
 * The one entity every runner hosts: `MpTask`. A message names a task by
 * (module URL, export name) and carries a chunk of payloads as `node:v8`
 * bytes (base64, so the message survives JSON in SQL storage); the reply
 * carries one outcome per payload, in order, the same way.
 *
 * `Run` messages are persisted: a runner that dies leaves its messages in
 * PostgreSQL and the runner that takes its shards over runs them again (at
 * least once). `RunDirect` messages go straight to the runner, never stored.
 *
 * @module
 */
import { Buffer } from "node:buffer"
import { deserialize } from "node:v8"
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import * as Entity from "effect/cluster/Entity"
import * as Rpc from "effect/rpc/Rpc"
import * as Schema from "effect/Schema"
import { serializeUnshared } from "../../internal/unshared_serializer.ts"

const runFields = {
  moduleUrl: Schema.String,
  taskName: Schema.String,
  /** base64 of `v8.serialize(payloads)` */
  payloads: Schema.String,
  /** The call's `priority`, for the runner's local pool. */
  priority: Schema.optional(Schema.Number),
  /** The call's affinity `key`: the runner's local pool runs its payloads on one worker. */
  key: Schema.optional(Schema.String),
  /** SHA-256 of the task module where the call was made (`module_hash.ts`): the runner's must be the same. */
  moduleHash: Schema.optional(Schema.String),
  /**
   * Separate calls sent together (`coalesce.ts`): when their results do not fit one reply, the runner answers
   * `Resend` and the caller sends them again in smaller chunks, instead of failing them all.
   */
  resendable: Schema.optional(Schema.Boolean),
}

/** The `Run` request: a chunk of payloads of one task, stored first (at least once). */
export const RunRpc = Rpc.make("Run", {
  payload: runFields,
  /** base64 of `v8.serialize(outcomes)` */
  success: Schema.String,
}).annotate(ClusterSchema.Persisted, true)

/**
 * The same, sent straight to the runner and never stored: when the runner
 * cannot be reached, the caller's cluster client sends it again to the shard's
 * next owner.
 */
export const RunDirectRpc = Rpc.make("RunDirect", { payload: runFields, success: Schema.String })

/** The generic task entity. */
export const TaskEntity = Entity.make("MpTask", [RunRpc, RunDirectRpc])

/**
 * One task's outcome on the wire: a value (encoded by the task's success
 * schema when it has one), or a failure: encoded by the task's failure schema
 * (`typed`), or else in the `known_errors` wire form.
 */
export type WireOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown; readonly typed?: boolean }

/**
 * A reply whose outcomes all succeeded travels as their values alone (one
 * `node:v8` array, not one object per payload: ~3× less to serialize and
 * read back for a chunk of tiny results).
 */
export interface AllSucceeded {
  readonly values: ReadonlyArray<unknown>
}

/**
 * The reply when the runner loaded different code from the task's module URL
 * (the caller turns it into `ModuleMismatch` for every payload).
 */
export interface Mismatch {
  readonly mismatch: { readonly runnerHash: string; readonly runner: string }
}

/** The reply when the results of separate calls sent together do not fit one reply (their text length). */
export interface Resend {
  readonly resend: number
}

/** Whether a reply read off the wire is a `Resend`. */
export const isResend = (decoded: unknown): decoded is Resend =>
  typeof decoded === "object" && decoded !== null && "resend" in decoded

/** Whether a reply read off the wire is a `Mismatch`. */
export const isMismatch = (decoded: unknown): decoded is Mismatch =>
  typeof decoded === "object" && decoded !== null && "mismatch" in decoded

/** Outcomes from a reply read off the wire, either form. */
export const outcomesOf = (decoded: unknown): ReadonlyArray<WireOutcome> =>
  Array.isArray(decoded)
    ? decoded as ReadonlyArray<WireOutcome>
    : (decoded as AllSucceeded).values.map((value): WireOutcome => ({ ok: true, value }))

/**
 * The largest message text (base64) a chunk or its reply may take: the
 * socket's frame limit is set to 64 MiB (`layers.ts`), with room for the
 * envelope. Over it, the chunk fails with `SerializationError` (a smaller
 * `chunkSize` helps).
 */
export const MAX_TEXT = 48 * 1024 * 1024

/** The frame limit of the sockets between processes. */
export const MAX_FRAME = 64 * 1024 * 1024

/**
 * Values to base64 `node:v8` bytes. Throws when a value cannot be
 * serialized: a function, a symbol, shared memory anywhere inside it (which
 * `v8.serialize` would copy silently).
 */
export const toWire = (value: unknown): string =>
  Buffer.from(
    serializeUnshared(
      value,
      (what) =>
        `${what} is shared memory, and shared memory (also this library's Value, Array, locks and queues) cannot ` +
        `cross machines: send the data itself, or keep shared state in a store every machine reaches`,
    ),
  ).toString("base64")

/** base64 `node:v8` bytes back to values. */
export const fromWire = (text: string): unknown => deserialize(Buffer.from(text, "base64"))
