/**
 * Length-prefixed frames for the subprocess host's stdio. A frame is a
 * 4-byte magic (`FF 00 6D 70`), a 4-byte big-endian body length and the body
 * (a `node:v8` serialization of one protocol message).
 *
 * The child's stdout carries both our frames and whatever the task code
 * prints. The magic starts with `0xFF`, a byte that never occurs in UTF-8
 * text, so the reader tells them apart and hands everything that is not a
 * frame back as raw output (the host passes it through to the parent's
 * stdout). Writes in the child are whole and come from one thread, so a
 * print never lands inside a frame.
 *
 * The length header is not trusted: a body's buffer grows with the bytes that
 * actually arrive (from at most `INITIAL_BODY_BYTES`), so a forged header
 * announcing 4 GiB costs nothing until 4 GiB are really written.
 *
 * @internal
 * @module
 */
import { serializeUnshared } from "../../internal/unshared_serializer.ts"

const MAGIC: ReadonlyArray<number> = [0xff, 0x00, 0x6d, 0x70]
/** Bytes before the body: magic and length. */
export const HEADER_BYTES = 8
/** The most a body's buffer holds before its bytes arrive. */
export const INITIAL_BODY_BYTES = 1 << 16
/** The longest body a frame may announce (2 GiB); a longer one is a protocol violation. */
export const MAX_BODY_BYTES = 2 ** 31

/**
 * Serializes a protocol message for the other process; throws when it cannot
 * cross (memory cannot be shared with another process: a view of a
 * `SharedArrayBuffer` would arrive as a copy whose writes are lost).
 */
export const serializeMessage = (message: unknown): Uint8Array =>
  serializeUnshared(
    message,
    (what) =>
      `${what} cannot cross a process boundary (its writes would be lost); copy it with slice(), or use a Worker thread`,
  )

/** One frame around `body`, ready to write. */
export const encodeFrame = (body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(HEADER_BYTES + body.length)
  out[0] = MAGIC[0]
  out[1] = MAGIC[1]
  out[2] = MAGIC[2]
  out[3] = MAGIC[3]
  new DataView(out.buffer).setUint32(4, body.length)
  out.set(body, HEADER_BYTES)
  return out
}

/**
 * Splits a byte stream into frames and raw output. Bodies handed to `onFrame`
 * may be views into the pushed chunk: use them before `push` returns.
 */
export class FrameReader {
  private readonly header = new Uint8Array(HEADER_BYTES)
  private headerFill = 0
  private body: Uint8Array | undefined
  private bodyLength = 0
  private bodyFill = 0
  private readonly onFrame: (body: Uint8Array) => void
  private readonly onRaw: (bytes: Uint8Array) => void
  private readonly onInvalid: (reason: string) => void
  private broken = false

  /**
   * `onInvalid` hears of a header announcing more than `MAX_BODY_BYTES`;
   * the reader then ignores the rest of the stream.
   */
  constructor(
    onFrame: (body: Uint8Array) => void,
    onRaw: (bytes: Uint8Array) => void,
    onInvalid: (reason: string) => void = () => {},
  ) {
    this.onFrame = onFrame
    this.onRaw = onRaw
    this.onInvalid = onInvalid
  }

  /** Bytes held for a frame whose body has not fully arrived (its buffer's size). */
  get pendingBytes(): number {
    return this.body?.length ?? 0
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    const n = chunk.length
    let i = 0
    while (i < n && !this.broken) {
      if (this.body !== undefined) {
        const take = Math.min(n - i, this.bodyLength - this.bodyFill)
        if (this.bodyFill + take > this.body.length) this.grow(this.bodyFill + take)
        this.body.set(chunk.subarray(i, i + take), this.bodyFill)
        this.bodyFill += take
        i += take
        if (this.bodyFill === this.bodyLength) {
          const body = this.body
          this.body = undefined
          this.onFrame(body)
        }
        continue
      }
      if (this.headerFill === 0 && chunk[i] === MAGIC[0] && n - i >= HEADER_BYTES && this.isMagic(chunk, i)) {
        // Fast path: a whole header here, and often the whole body too.
        const length = new DataView(chunk.buffer, chunk.byteOffset + i + 4, 4).getUint32(0)
        i += HEADER_BYTES
        if (length > MAX_BODY_BYTES) this.invalid(length)
        else if (n - i >= length) {
          this.onFrame(chunk.subarray(i, i + length))
          i += length
        } else this.startBody(length)
        continue
      }
      if (this.headerFill > 0 || chunk[i] === MAGIC[0]) {
        i = this.collectHeader(chunk, i)
        continue
      }
      let j = chunk.indexOf(MAGIC[0], i)
      if (j < 0) j = n
      this.onRaw(chunk.subarray(i, j))
      i = j
    }
  }

  private isMagic(chunk: Uint8Array, i: number): boolean {
    return chunk[i + 1] === MAGIC[1] && chunk[i + 2] === MAGIC[2] && chunk[i + 3] === MAGIC[3]
  }

  /** A header split across chunks: collect it byte by byte. */
  private collectHeader(chunk: Uint8Array, i: number): number {
    while (this.headerFill < HEADER_BYTES && i < chunk.length) {
      const b = chunk[i]
      if (this.headerFill < MAGIC.length && b !== MAGIC[this.headerFill]) {
        // Not a frame after all: what was collected is raw output; `b` is looked at again.
        this.onRaw(this.header.slice(0, this.headerFill))
        this.headerFill = 0
        return b === MAGIC[0] ? this.startHeader(b, i) : i
      }
      this.header[this.headerFill++] = b
      i++
    }
    if (this.headerFill === HEADER_BYTES) {
      this.headerFill = 0
      const length = new DataView(this.header.buffer).getUint32(4)
      if (length === 0) this.onFrame(new Uint8Array(0))
      else if (length > MAX_BODY_BYTES) this.invalid(length)
      else this.startBody(length)
    }
    return i
  }

  private invalid(length: number): void {
    this.broken = true
    this.onInvalid(`a frame announces a body of ${length} bytes, more than ${MAX_BODY_BYTES}`)
  }

  private startBody(length: number): void {
    this.body = new Uint8Array(Math.min(length, INITIAL_BODY_BYTES))
    this.bodyLength = length
    this.bodyFill = 0
  }

  /** Grows the body's buffer to hold `need` bytes: doubling, capped at the announced length. */
  private grow(need: number): void {
    const old = this.body as Uint8Array
    const next = new Uint8Array(Math.min(this.bodyLength, Math.max(need, old.length * 2)))
    next.set(old.subarray(0, this.bodyFill))
    this.body = next
  }

  private startHeader(b: number, i: number): number {
    this.header[0] = b
    this.headerFill = 1
    return i + 1
  }
}

/**
 * Writes all of `bytes` to a synchronous writer (`Deno.stdout`, a child's
 * stdio), calling `writeSync` again for whatever a short write left over.
 */
export const writeAll = (file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void => {
  let off = 0
  while (off < bytes.length) off += file.writeSync(off === 0 ? bytes : bytes.subarray(off))
}
