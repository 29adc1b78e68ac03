/**
 * One crossing of the worker boundary, compiled once from a schema: encode on
 * the sending side, decode on the receiving side. Without a schema both are
 * the identity and values cross by structured clone.
 *
 * @internal
 * @module
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { errorMessage } from "../internal/error_message.ts"

/** The outcome of one encode or decode: the value, or why it did not fit. */
export type CodecResult = { readonly ok: true; readonly value: unknown } | {
  readonly ok: false
  readonly message: string
}

/** Encode and decode for one crossing. */
export interface Codec {
  readonly identity: boolean
  readonly encode: (value: unknown) => CodecResult
  readonly decode: (value: unknown) => CodecResult
}

const identity: Codec = {
  identity: true,
  encode: (value) => ({ ok: true, value }),
  decode: (value) => ({ ok: true, value }),
}

const wrap = (run: (u: unknown) => Result.Result<unknown, unknown>) => (value: unknown): CodecResult => {
  try {
    const r = run(value)
    return Result.isSuccess(r) ? { ok: true, value: r.success } : { ok: false, message: String(r.failure) }
  } catch (e) {
    return { ok: false, message: errorMessage(e) }
  }
}

/** Compiles a schema (or none) into a Codec. */
export const makeCodec = (schema: Schema.Codec<unknown, unknown, never, never> | undefined): Codec => {
  if (schema === undefined) return identity
  let encode: ((value: unknown) => CodecResult) | undefined
  let decode: ((value: unknown) => CodecResult) | undefined
  return {
    identity: false,
    encode: (value) => (encode ??= wrap(Schema.encodeUnknownResult(schema)))(value),
    decode: (value) => (decode ??= wrap(Schema.decodeUnknownResult(schema)))(value),
  }
}

/**
 * The four crossings of a task, compiled once from its schemas.
 *
 * @internal
 */
export interface TaskCodecs {
  /** Encodes the payload in the caller, decodes it in the worker. */
  readonly payload: Codec
  /** Encodes the handler's value in the worker, decodes it in the caller. */
  readonly success: Codec
  /** Encodes the handler's typed failure in the worker, decodes it in the caller. */
  readonly failure: Codec
  /** Encodes the handler's events in the worker, decodes them in the caller (absent in tasks built by hand). */
  readonly events?: Codec | undefined
  /** Whether the task declared a failure schema. */
  readonly hasFailureSchema: boolean
}
