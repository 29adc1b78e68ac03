import { assertEquals } from "@std/assert"
import { encodeFrame, FrameReader } from "../../src/worker/frames.ts"

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
