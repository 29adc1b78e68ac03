/**
 * Encoding values into a `Writer` in the format of `value_format.ts`, with
 * `node:v8` serialization for what the fast path does not carry.
 *
 * @internal
 * @module
 */
import * as v8 from "node:v8"
import { errorMessage } from "../../internal/error_message.ts"
import {
  ARRAY,
  ARRAY_BUFFER,
  BIGINT,
  DATE,
  EncodeFailure,
  FALSE,
  FLOAT64,
  INT32,
  LATIN1,
  MAP,
  NULL,
  OBJECT,
  SET,
  TRUE,
  TYPED,
  typedKinds,
  UNDEFINED,
  UTF16,
  UTF8,
  V8,
  type Writer,
} from "./value_format.ts"

/** Strings up to this length are copied char by char; longer ones go through `TextEncoder`. */
const SHORT_STRING = 24

const textEncoder = new TextEncoder()

const writeString = (w: Writer, s: string): void => {
  const n = s.length
  if (n <= SHORT_STRING) {
    w.ensure(5 + 2 * n)
    const u8 = w.u8
    let p = w.pos + 5
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c > 255) return writeUtf16(w, s)
      u8[p++] = c
    }
    u8[w.pos] = LATIN1
    w.dv.setUint32(w.pos + 1, n, true)
    w.pos = p
    return
  }
  if (!s.isWellFormed()) return writeUtf16(w, s)
  w.ensure(5 + 3 * n)
  const r = textEncoder.encodeInto(s, w.u8.subarray(w.pos + 5))
  w.u8[w.pos] = UTF8
  w.dv.setUint32(w.pos + 1, r.written, true)
  w.pos += 5 + r.written
}

const writeUtf16 = (w: Writer, s: string): void => {
  const n = s.length
  w.ensure(5 + 2 * n)
  const u8 = w.u8
  u8[w.pos] = UTF16
  w.dv.setUint32(w.pos + 1, n, true)
  let p = w.pos + 5
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    u8[p++] = c & 0xff
    u8[p++] = c >>> 8
  }
  w.pos = p
}

/** Thrown inside the fast path when a value needs the general `node:v8` format. */
const FALLBACK: unique symbol = Symbol("fallback")

const isShared = (buffer: ArrayBufferLike): boolean =>
  typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer

const notEncodable = (what: string): never => {
  throw new EncodeFailure(`${what} cannot be put in a queue, pipe or manager`)
}

const writeValue = (w: Writer, v: unknown, seen: Set<object>): void => {
  switch (typeof v) {
    case "number": {
      if ((v | 0) === v && (v !== 0 || !Object.is(v, -0))) {
        w.ensure(5)
        w.u8[w.pos] = INT32
        w.dv.setInt32(w.pos + 1, v, true)
        w.pos += 5
      } else {
        w.ensure(9)
        w.u8[w.pos] = FLOAT64
        w.dv.setFloat64(w.pos + 1, v, true)
        w.pos += 9
      }
      return
    }
    case "string":
      return writeString(w, v)
    case "boolean":
      w.ensure(1)
      w.u8[w.pos++] = v ? TRUE : FALSE
      return
    case "undefined":
      w.ensure(1)
      w.u8[w.pos++] = UNDEFINED
      return
    case "bigint":
      w.ensure(1)
      w.u8[w.pos++] = BIGINT
      return writeString(w, v.toString(16))
    case "object":
      if (v === null) {
        w.ensure(1)
        w.u8[w.pos++] = NULL
        return
      }
      return writeObject(w, v, seen)
    case "function":
      return notEncodable("a function")
    case "symbol":
      return notEncodable("a symbol")
  }
}

/**
 * How deep values may nest. A deeper value could be encoded here but not
 * decoded on a worker thread's smaller stack (see DESIGN.md), so it is
 * refused with `EncodeFailure` when it is put, never a `RangeError` later.
 */
export const MAX_DEPTH = 1000

let depth = 0

const writeObject = (w: Writer, v: object, seen: Set<object>): void => {
  if (++depth > MAX_DEPTH) {
    throw new EncodeFailure(`the value is nested more than ${MAX_DEPTH} levels deep`)
  }
  writeObjectAt(w, v, seen)
  depth--
}

const writeObjectAt = (w: Writer, v: object, seen: Set<object>): void => {
  if (seen.has(v)) throw FALLBACK
  seen.add(v)
  if (Array.isArray(v)) {
    const n = v.length
    w.head(ARRAY, n)
    for (let i = 0; i < n; i++) {
      if (!(i in v)) throw FALLBACK
      writeValue(w, v[i], seen)
    }
    return
  }
  const proto = Object.getPrototypeOf(v)
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(v)
    w.head(OBJECT, keys.length)
    for (const k of keys) {
      writeString(w, k)
      writeValue(w, (v as Record<string, unknown>)[k], seen)
    }
    return
  }
  if (ArrayBuffer.isView(v)) {
    if (isShared(v.buffer)) return notEncodable("a view of a SharedArrayBuffer")
    const kind = typedKinds.findIndex((k) => k === v.constructor)
    if (kind < 0) throw FALLBACK // DataView, subclasses
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
    w.ensure(6 + bytes.length)
    w.u8[w.pos] = TYPED
    w.u8[w.pos + 1] = kind
    w.dv.setUint32(w.pos + 2, bytes.length, true)
    w.u8.set(bytes, w.pos + 6)
    w.pos += 6 + bytes.length
    return
  }
  if (v instanceof Date) {
    w.ensure(9)
    w.u8[w.pos] = DATE
    w.dv.setFloat64(w.pos + 1, v.getTime(), true)
    w.pos += 9
    return
  }
  if (v instanceof Map && proto === Map.prototype) {
    w.head(MAP, v.size)
    for (const [k, x] of v) {
      writeValue(w, k, seen)
      writeValue(w, x, seen)
    }
    return
  }
  if (v instanceof Set && proto === Set.prototype) {
    w.head(SET, v.size)
    for (const x of v) writeValue(w, x, seen)
    return
  }
  if (v instanceof ArrayBuffer) {
    const bytes = new Uint8Array(v)
    w.blob(ARRAY_BUFFER, bytes)
    return
  }
  if (isShared(v as ArrayBufferLike)) return notEncodable("a SharedArrayBuffer")
  if (typeof (v as { __mp?: unknown }).__mp === "string") {
    const brand = (v as { __mp: string }).__mp
    if (brand === "Managed") {
      // Each proxy's memory reaches a worker only inside a task payload: a proxy stored in a dict, list or
      // namespace could not be revived by a worker that reads it.
      throw new EncodeFailure(
        "a manager proxy cannot be nested in a managed dict, list or namespace, or put in a queue or pipe: " +
          "store plain values (a dict of arrays rather than a dict of list proxies), or pass each proxy in the task payload",
      )
    }
    throw new EncodeFailure(
      `a shared object (${brand}) cannot be put in a queue, pipe or manager: pass it in the task payload instead`,
    )
  }
  throw FALLBACK
}

const writeV8 = (w: Writer, v: unknown): void => {
  let bytes: Uint8Array
  try {
    bytes = v8.serialize(v)
  } catch (e) {
    throw new EncodeFailure(errorMessage(e))
  }
  w.blob(V8, bytes)
}

const seenScratch = new Set<object>()

/**
 * Appends the encoding of `v` to `w`. Throws `EncodeFailure` when `v` cannot
 * be encoded; `w.pos` is then back where it was.
 */
export const encode = (w: Writer, v: unknown): void => {
  const start = w.pos
  if (typeof v !== "object" || v === null) {
    try {
      return writeValue(w, v, seenScratch)
    } catch (e) {
      w.pos = start
      throw e
    }
  }
  depth = 0
  try {
    writeObject(w, v, seenScratch)
  } catch (e) {
    w.pos = start
    if (e instanceof RangeError) throw new EncodeFailure(`the value could not be encoded: ${e.message}`)
    if (e !== FALLBACK) throw e
    writeV8(w, v)
  } finally {
    depth = 0
    seenScratch.clear()
  }
}
