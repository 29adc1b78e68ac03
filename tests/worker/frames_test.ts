import { deserialize } from "node:v8"
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert"
import {
  encodeFrame,
  FrameReader,
  INITIAL_BODY_BYTES,
  MAX_BODY_BYTES,
  serializeMessage,
} from "../../src/worker/wire/frames.ts"

const bytes = (...xs: Array<number>) => new Uint8Array(xs)
const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

/** Feeds `stream` in chunks of the given sizes (cycled); returns frames and raw output in order. */
const read = (stream: Uint8Array, sizes: ReadonlyArray<number>) => {
  const out: Array<{ frame: Array<number> } | { raw: Array<number> }> = []
  const reader = new FrameReader(
    (body) => out.push({ frame: Array.from(body) }),
    (raw) => {
      const last = out[out.length - 1]
      if (last !== undefined && "raw" in last) last.raw.push(...raw)
      else if (raw.length > 0) out.push({ raw: Array.from(raw) })
    },
  )
  let i = 0
  for (let k = 0; i < stream.length; k++) {
    const n = sizes[k % sizes.length]
    reader.push(stream.slice(i, i + n))
    i += n
  }
  return out
}

Deno.test("FrameReader separates frames from raw output whatever the chunking", () => {
  const big = new Uint8Array(70_000).map((_, i) => i & 0xff)
  const stream = concat([
    new TextEncoder().encode("hello\n"),
    encodeFrame(bytes(1, 2, 3)),
    bytes(0xff, 0x00, 0x6d, 0x71, 0x41), // almost a magic: raw
    encodeFrame(bytes()),
    bytes(0xff),
    encodeFrame(big),
    new TextEncoder().encode("bye"),
    bytes(0xff, 0x00),
  ])
  const expected = [
    { raw: Array.from(new TextEncoder().encode("hello\n")) },
    { frame: [1, 2, 3] },
    { raw: [0xff, 0x00, 0x6d, 0x71, 0x41] },
    { frame: [] },
    { raw: [0xff] },
    { frame: Array.from(big) },
    { raw: Array.from(new TextEncoder().encode("bye")) },
  ]
  for (const sizes of [[stream.length], [1], [2, 3, 5], [7], [4096], [9, 65536]]) {
    const got = read(stream, sizes)
    // A trailing partial magic stays pending until more bytes come.
    assertEquals(got, expected, `chunk sizes ${sizes}`)
  }
})

const header = (length: number): Uint8Array => {
  const h = new Uint8Array(8)
  h.set([0xff, 0x00, 0x6d, 0x70])
  new DataView(h.buffer).setUint32(4, length)
  return h
}

Deno.test("FrameReader does not trust a length header: memory grows with the bytes that arrive", () => {
  const frames: Array<number> = []
  const reader = new FrameReader((body) => frames.push(body.length), () => {})
  reader.push(concat([header(2 ** 31), new Uint8Array(10)]))
  assert(reader.pendingBytes <= INITIAL_BODY_BYTES, `${reader.pendingBytes} bytes held for 10 received`)
  // A real large frame still arrives whole, in pieces.
  const big = new Uint8Array(3 * INITIAL_BODY_BYTES + 5).map((_, i) => i & 0xff)
  const other = new FrameReader((body) => {
    frames.push(body.length)
    assertEquals(body[body.length - 1], (big.length - 1) & 0xff)
  }, () => {})
  const stream = encodeFrame(big)
  for (let i = 0; i < stream.length; i += 4096) other.push(stream.subarray(i, i + 4096))
  assertEquals(frames, [big.length])
})

Deno.test("FrameReader reports a header announcing more than MAX_BODY_BYTES as invalid and stops reading", () => {
  const seen: Array<string> = []
  const reader = new FrameReader(() => seen.push("frame"), () => seen.push("raw"), (reason) => seen.push(reason))
  reader.push(concat([header(0xffffffff), encodeFrame(bytes(1, 2))]))
  assertEquals(seen.length, 1)
  assertStringIncludes(seen[0], `more than ${MAX_BODY_BYTES}`)
  // Split header, same verdict.
  const split: Array<string> = []
  const r2 = new FrameReader(() => split.push("frame"), () => split.push("raw"), (reason) => split.push(reason))
  const h = header(MAX_BODY_BYTES + 1)
  r2.push(h.subarray(0, 3))
  r2.push(h.subarray(3))
  assertEquals(split.length, 1)
  assertStringIncludes(split[0], "more than")
})

Deno.test("serializeMessage refuses any view of a SharedArrayBuffer, wherever it is nested, and copies other views", () => {
  const sab = new SharedArrayBuffer(16)
  const shared = [
    new Uint8Array(sab),
    new DataView(sab),
    { a: [new Map([["k", new Set([new Float64Array(sab)])]])] },
    new Map([[new Int16Array(sab), 1]]),
  ]
  for (const value of shared) assertThrows(() => serializeMessage({ t: 1, j: [{ p: [value] }] }))
  assertThrows(() => serializeMessage(sab))
  const plain = { a: new Uint8Array([1, 2, 3]), d: new DataView(new ArrayBuffer(4)) }
  assertEquals(deserialize(serializeMessage(plain)).a, new Uint8Array([1, 2, 3]))
})
