/**
 * Decoding values from a `Reader` in the format of `value_format.ts`.
 *
 * @internal
 * @module
 */
import * as v8 from "node:v8"
import {
  ARRAY,
  ARRAY_BUFFER,
  BIGINT,
  DATE,
  FALSE,
  FLOAT64,
  INT32,
  LATIN1,
  MAP,
  NULL,
  OBJECT,
  type Reader,
  SET,
  TRUE,
  TYPED,
  type TypedArray,
  typedKinds,
  UNDEFINED,
  UTF16,
  UTF8,
  V8,
} from "./value_format.ts"

const textDecoder = new TextDecoder()

const readLatin1 = (u8: Uint8Array, start: number, n: number): string => {
  if (n <= 16) {
    let s = ""
    for (let i = 0; i < n; i++) s += String.fromCharCode(u8[start + i])
    return s
  }
  let s = ""
  for (let i = 0; i < n; i += 4096) {
    s += String.fromCharCode.apply(null, u8.subarray(start + i, start + Math.min(n, i + 4096)) as unknown as number[])
  }
  return s
}

const readString = (r: Reader): string => {
  const tag = r.u8[r.pos]
  const n = r.dv.getUint32(r.pos + 1, true)
  const start = r.pos + 5
  if (tag === LATIN1) {
    r.pos = start + n
    return readLatin1(r.u8, start, n)
  }
  if (tag === UTF8) {
    r.pos = start + n
    return textDecoder.decode(r.u8.subarray(start, start + n))
  }
  if (tag !== UTF16) throw new Error(`corrupt encoding: expected a string, got tag ${tag}`)
  r.pos = start + 2 * n
  let s = ""
  for (let i = 0; i < n; i += 2048) {
    const end = Math.min(n, i + 2048)
    const codes = new Array<number>(end - i)
    for (let j = i; j < end; j++) codes[j - i] = r.u8[start + 2 * j] | (r.u8[start + 2 * j + 1] << 8)
    s += String.fromCharCode.apply(null, codes)
  }
  return s
}

const setKey = (o: Record<string, unknown>, k: string, v: unknown): void => {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

/** Reads one value at `r.pos` and advances past it. */
export const decode = (r: Reader): unknown => {
  const u8 = r.u8
  const tag = u8[r.pos]
  switch (tag) {
    case UNDEFINED:
      r.pos++
      return undefined
    case NULL:
      r.pos++
      return null
    case FALSE:
      r.pos++
      return false
    case TRUE:
      r.pos++
      return true
    case INT32: {
      const v = r.dv.getInt32(r.pos + 1, true)
      r.pos += 5
      return v
    }
    case FLOAT64: {
      const v = r.dv.getFloat64(r.pos + 1, true)
      r.pos += 9
      return v
    }
    case LATIN1:
    case UTF16:
    case UTF8:
      return readString(r)
    case ARRAY: {
      const n = r.count()
      const a = new Array<unknown>(n)
      for (let i = 0; i < n; i++) a[i] = decode(r)
      return a
    }
    case OBJECT: {
      const n = r.count()
      const o: Record<string, unknown> = {}
      for (let i = 0; i < n; i++) {
        const k = readString(r)
        setKey(o, k, decode(r))
      }
      return o
    }
    case BIGINT: {
      r.pos++
      const s = readString(r)
      return s.startsWith("-") ? -BigInt("0x" + s.slice(1)) : BigInt("0x" + s)
    }
    case DATE: {
      const v = r.dv.getFloat64(r.pos + 1, true)
      r.pos += 9
      return new Date(v)
    }
    case TYPED: {
      const Kind = typedKinds[u8[r.pos + 1]]
      const n = r.dv.getUint32(r.pos + 2, true)
      const start = r.pos + 6
      r.pos = start + n
      const buffer = u8.slice(start, start + n).buffer
      return new Kind(buffer) as TypedArray
    }
    case ARRAY_BUFFER: {
      return r.bytes().slice().buffer
    }
    case MAP: {
      const n = r.count()
      const m = new Map<unknown, unknown>()
      for (let i = 0; i < n; i++) {
        const k = decode(r)
        m.set(k, decode(r))
      }
      return m
    }
    case SET: {
      const n = r.count()
      const s = new Set<unknown>()
      for (let i = 0; i < n; i++) s.add(decode(r))
      return s
    }
    case V8: {
      return v8.deserialize(r.bytes())
    }
    default:
      throw new Error(`corrupt encoding: unknown tag ${tag} at ${r.pos}`)
  }
}
