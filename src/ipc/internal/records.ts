/**
 * Items as records: each item passes its optional schema, then the byte
 * encoding of `value_bytes.ts`, and is framed by its 32-bit length. What a
 * put writes into a ring and a take copies out of it.
 *
 * @internal
 * @module
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { errorMessage } from "../../internal/error_message.ts"
import { decode, encode, EncodeFailure, Reader, Writer } from "./value_bytes.ts"

/** A schema that needs no services. */
// deno-lint-ignore no-explicit-any
export type AnySchema = Schema.Codec<any, any, never, never>

/** How items are turned into bytes and back: optional schema, then the byte encoding of `value_bytes.ts`. */
export interface ItemCodec {
  readonly encode: (value: unknown) => unknown
  readonly decode: (value: unknown) => unknown
}

/** Thrown by an `ItemCodec` when the schema rejects a value. */
export class SchemaFailure extends Error {}

/** Compiles an item schema (or none). */
export const itemCodec = (schema: AnySchema | undefined): ItemCodec | undefined => {
  if (schema === undefined) return undefined
  const enc = Schema.encodeUnknownResult(schema)
  const dec = Schema.decodeUnknownResult(schema)
  return {
    encode: (value) => {
      const r = enc(value)
      if (Result.isFailure(r)) throw new SchemaFailure(String(r.failure))
      return r.success
    },
    decode: (value) => {
      const r = dec(value)
      if (Result.isFailure(r)) throw new SchemaFailure(String(r.failure))
      return r.success
    },
  }
}

/** Thread-local scratch for encoding. */
export const scratch = new Writer()
/** Thread-local scratch for records copied out of a ring. */
export const inbox = new Writer()

let reader = new Reader(inbox.u8)

/** A reader at the start of the inbox (one per inbox buffer: a take allocates no view of its own). */
const inboxReader = (): Reader => {
  if (reader.u8 !== inbox.u8) reader = new Reader(inbox.u8)
  reader.pos = 0
  return reader
}

/** What encoding a batch returned: the records, or why the n-th value failed. */
export type Encoded = { readonly ok: true; readonly u8: Uint8Array; readonly dv: DataView; readonly end: number } | {
  readonly ok: false
  readonly message: string
}

/**
 * Encodes `values` as records into the thread-local scratch. The result is
 * valid until the next call in this thread (copy it before yielding).
 */
export const encodeRecords = (
  values: Iterable<unknown>,
  codec: ItemCodec | undefined,
  maxBytes: number,
): Encoded => {
  const w = scratch
  w.pos = 0
  for (const value of values) {
    const message = appendRecord(w, value, codec, maxBytes)
    if (message !== undefined) return { ok: false, message }
  }
  return { ok: true, u8: w.u8, dv: w.dv, end: w.pos }
}

/**
 * Encodes one value as a record at the start of the thread-local scratch
 * (`scratch.u8[0, scratch.pos)`); returns why it failed, if it did. The
 * single-item form of `encodeRecords`, without its iteration and result.
 */
export const encodeRecord = (value: unknown, codec: ItemCodec | undefined, maxBytes: number): string | undefined => {
  scratch.pos = 0
  return appendRecord(scratch, value, codec, maxBytes)
}

/** Appends one record (`[u32 length][bytes]`) to `w`; returns why it failed, if it did. */
const appendRecord = (
  w: Writer,
  value: unknown,
  codec: ItemCodec | undefined,
  maxBytes: number,
): string | undefined => {
  const start = w.pos
  w.ensure(4)
  w.pos += 4
  try {
    encode(w, codec === undefined ? value : codec.encode(value))
  } catch (e) {
    if (e instanceof EncodeFailure || e instanceof SchemaFailure) return e.message
    throw e
  }
  const len = w.pos - start - 4
  if (len + 4 > maxBytes) return `an item of ${len} bytes does not fit a buffer of at most ${maxBytes} bytes`
  w.dv.setUint32(start, len, true)
  return undefined
}

/** What decoding the records returned: the items, or the first decode failure. */
export type Decoded = { readonly ok: true; readonly values: Array<unknown> } | {
  readonly ok: false
  readonly message: string
}

/** Decodes the first `n` records in the thread-local inbox. */
export const decodeRecords = (n: number, codec: ItemCodec | undefined): Decoded => {
  const r = inboxReader()
  const values = new Array<unknown>(n)
  let error: string | undefined
  for (let i = 0; i < n; i++) {
    const len = r.dv.getUint32(r.pos, true)
    const next = r.pos + 4 + len
    r.pos += 4
    try {
      const v = decode(r)
      values[i] = codec === undefined ? v : codec.decode(v)
    } catch (e) {
      error ??= errorMessage(e)
    }
    r.pos = next
  }
  return error === undefined ? { ok: true, values } : { ok: false, message: error }
}
