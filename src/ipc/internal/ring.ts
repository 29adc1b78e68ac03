/**
 * The shared-memory ring buffer under queues and pipes: variable-length
 * records (`[u32 length][bytes]`) in a growable `SharedArrayBuffer`, with
 * its bookkeeping in a small `Int32Array` of control words. Every read and
 * write of the ring happens under the one lock word `LOCK` (see `lock.ts`),
 * in synchronous sections that copy whole runs of records with one `set`.
 *
 * Layout. Not wrapped (`WRAP === -1`): records fill `[HEAD, TAIL)`. Wrapped:
 * records fill `[HEAD, WRAP)` and then `[0, TAIL)`. When the space left at
 * the end is too small, the writer wraps (if `[0, HEAD)` has room) or grows
 * the buffer (up to its `maxByteLength`), unwrapping it with one
 * `copyWithin`. Growth is visible to every thread: views made without a
 * length track a growable buffer's size.
 *
 * Every index read from the control words is range-checked before it is
 * used (`validate`, and each record's length against its segment): memory
 * that another thread overwrote with garbage makes `read`/`write` throw
 * `SharedStateCorrupted` instead of a `RangeError` or an endless loop.
 *
 * Waiting: takers wait on `PUT_SEQ` (bumped after every write), putters on
 * `TAKE_SEQ` (bumped after every read), each through `futex.wait`, raising
 * the flag `WAIT_TAKERS`/`WAIT_PUTTERS` first, so that the other side
 * notifies only when someone sleeps, once per sleep (`ring_signal.wake`).
 *
 * @internal
 * @module
 */
import { SharedStateCorrupted } from "../../shared/errors.ts"
import type { Writer } from "./value_bytes.ts"

/** Control word indices. */
export const LOCK = 0
export const HEAD = 1
export const TAIL = 2
export const WRAP = 3
export const COUNT = 4
/** Bit 1: closed by the writing side (takers drain, then see "closed"); bit 2: by the reading side. */
export const CLOSED = 5
export const PUT_SEQ = 6
export const TAKE_SEQ = 7
export const WAIT_TAKERS = 8
export const WAIT_PUTTERS = 9
/** Items put and not yet marked done (JoinableQueue). */
export const UNFINISHED = 10
/** The ring's current size in bytes. */
export const SIZE = 11
/** The most items the ring holds (0: no bound but memory). */
export const CAPACITY = 12
const CTL_WORDS = 16

/** `CLOSED` bit: the writing side closed (nothing more will be put). */
export const CLOSED_BY_WRITER = 1
/** `CLOSED` bit: the reading side closed (nothing more will be taken). */
export const CLOSED_BY_READER = 2
/** `CLOSED` bit, set with `CLOSED_BY_WRITER`: the writer failed (a queue stage shut its output down on failure). */
export const CLOSED_FAILED = 4

/** The two buffers of a ring: what crosses into workers. */
export interface RingBuffers {
  readonly ctl: SharedArrayBuffer
  readonly data: SharedArrayBuffer
}

/** Options of a new ring. */
export interface RingOptions {
  /** Most items held at once; 0 for no bound but memory. */
  readonly capacity: number
  /** Bytes allocated at first. */
  readonly initialBytes: number
  /** Bytes the ring may grow to (its `maxByteLength`). */
  readonly maxBytes: number
}

/** Allocates a ring. */
export const allocate = (options: RingOptions): RingBuffers => {
  const initial = Math.min(options.initialBytes, options.maxBytes)
  const ctl = new SharedArrayBuffer(CTL_WORDS * 4)
  const data = new SharedArrayBuffer(initial, { maxByteLength: options.maxBytes })
  const c = new Int32Array(ctl)
  c[WRAP] = -1
  c[SIZE] = initial
  c[CAPACITY] = options.capacity
  return { ctl, data }
}

/** Whether a cloned value has the shape of `RingBuffers`. */
export const isRingBuffers = (u: unknown): u is RingBuffers =>
  typeof u === "object" && u !== null && (u as RingBuffers).ctl instanceof SharedArrayBuffer &&
  (u as RingBuffers).data instanceof SharedArrayBuffer

/** One thread's live view of a ring. */
export class Ring {
  readonly ctl: Int32Array
  readonly data: SharedArrayBuffer
  /**
   * Fixed-length views of the buffer's bytes as this thread last saw them
   * (`refresh` follows growth): a length-tracking view of a growable buffer
   * costs ~10× more per access in V8 (measured on Deno 2.9.6), and every
   * record is read and written through these.
   */
  u8: Uint8Array
  dv: DataView
  readonly maxBytes: number

  constructor(buffers: RingBuffers) {
    this.ctl = new Int32Array(buffers.ctl)
    this.data = buffers.data
    const n = buffers.data.byteLength
    this.u8 = new Uint8Array(buffers.data, 0, n)
    this.dv = new DataView(buffers.data, 0, n)
    this.maxBytes = buffers.data.growable ? buffers.data.maxByteLength : buffers.data.byteLength
  }

  /** Remakes the views over the buffer's current size (it grows; another thread may have grown it). */
  private refresh(): void {
    const n = this.data.byteLength
    if (n === this.u8.length) return
    this.u8 = new Uint8Array(this.data, 0, n)
    this.dv = new DataView(this.data, 0, n)
  }

  /** The most items held at once (`Infinity` when unbounded). */
  get capacity(): number {
    const cap = this.ctl[CAPACITY]
    return cap === 0 ? Infinity : cap
  }

  /**
   * Under the lock: checks the bookkeeping words against each other and the
   * buffer. Throws `SharedStateCorrupted` when they cannot have been written
   * by this code.
   */
  validate(): void {
    const c = this.ctl
    const size = c[SIZE]
    const head = c[HEAD]
    const tail = c[TAIL]
    const wrap = c[WRAP]
    const count = c[COUNT]
    const cap = c[CAPACITY]
    if (size > this.u8.length) this.refresh()
    let bad: string | undefined
    if (!(size >= 0 && size <= this.u8.length && size <= this.maxBytes)) {
      bad = `size ${size} outside 0..${this.u8.length}`
    } else if (!(count >= 0) || !(cap >= 0)) bad = `count ${count} or capacity ${cap} is negative`
    else if (wrap === -1) {
      if (!(head >= 0 && head <= tail && tail <= size)) bad = `head ${head} / tail ${tail} outside 0..${size}`
    } else if (!(wrap >= 0 && wrap <= size && tail >= 0 && tail <= head && head <= wrap)) {
      bad = `head ${head} / tail ${tail} / wrap ${wrap} inconsistent with size ${size}`
    }
    if (bad === undefined && count > 0 && wrap === -1 && head === tail) bad = `count ${count} with no bytes queued`
    if (bad !== undefined) throw corrupted(bad)
  }

  /**
   * Under the lock: writes whole records from `src[pos, end)` while they fit
   * (in bytes and in capacity). Returns the position of the first record not
   * written (`end` when all were).
   */
  write(src: Uint8Array, srcDv: DataView, pos: number, end: number): number {
    this.validate()
    const c = this.ctl
    let count = c[COUNT]
    const cap = c[CAPACITY] === 0 ? Infinity : c[CAPACITY]
    if (count === 0) {
      c[HEAD] = 0
      c[TAIL] = 0
      c[WRAP] = -1
    }
    let written = 0
    while (pos < end && count < cap) {
      const head = c[HEAD]
      let tail = c[TAIL]
      const first = 4 + srcDv.getUint32(pos, true)
      let limit: number
      if (c[WRAP] === -1) {
        if (c[SIZE] - tail >= first) limit = c[SIZE]
        else if (head >= first) {
          c[WRAP] = tail
          tail = 0
          limit = head
        } else if (this.grow(first) || this.defragment(first)) continue
        else break
      } else if (head - tail >= first) limit = head
      else if (this.grow(first) || this.defragment(first)) continue
      else break
      let p = pos + first
      let n = 1
      while (p < end && count + n < cap) {
        const need = 4 + srcDv.getUint32(p, true)
        if (tail + (p - pos) + need > limit) break
        p += need
        n++
      }
      copyBytes(this.u8, tail, src, pos, p)
      c[TAIL] = tail + (p - pos)
      count += n
      written += n
      pos = p
    }
    c[COUNT] = count
    // Atomically: `taskDone` decrements without the lock.
    if (written > 0) Atomics.add(c, UNFINISHED, written)
    return pos
  }

  /** Under the lock: grows the buffer so that a record of `need` bytes fits at the tail. */
  private grow(need: number): boolean {
    const c = this.ctl
    const wrap = c[WRAP]
    const tail = c[TAIL]
    const required = wrap === -1 ? tail + need : wrap + tail + need
    if (required > this.maxBytes) return false
    let next = Math.max(c[SIZE], 64) * 2
    while (next < required) next *= 2
    next = Math.min(next, this.maxBytes)
    if (next > this.data.byteLength) this.data.grow(next)
    this.refresh()
    if (wrap !== -1) {
      this.u8.copyWithin(wrap, 0, tail)
      c[TAIL] = wrap + tail
      c[WRAP] = -1
    }
    c[SIZE] = next
    return true
  }

  /**
   * Under the lock, when the buffer is at its largest: moves the records to
   * the start (one copy of what is queued) if that makes room for `need`
   * bytes. A rare path: it only runs when the free space is split.
   */
  private defragment(need: number): boolean {
    const c = this.ctl
    const head = c[HEAD]
    const tail = c[TAIL]
    const wrap = c[WRAP]
    const used = wrap === -1 ? tail - head : wrap - head + tail
    if (c[SIZE] - used < need || (wrap === -1 && head === 0)) return false
    const live = new Uint8Array(used)
    if (wrap === -1) live.set(this.u8.subarray(head, tail))
    else {
      live.set(this.u8.subarray(head, wrap))
      live.set(this.u8.subarray(0, tail), wrap - head)
    }
    this.u8.set(live, 0)
    c[HEAD] = 0
    c[TAIL] = used
    c[WRAP] = -1
    return true
  }

  /** Under the lock: drops every queued record; returns how many there were. */
  clear(): number {
    this.validate()
    const c = this.ctl
    const n = c[COUNT]
    c[COUNT] = 0
    c[HEAD] = 0
    c[TAIL] = 0
    c[WRAP] = -1
    return n
  }

  /**
   * Under the lock: copies up to `max` records (each `[u32 length][bytes]`)
   * to `out` and removes them. Returns how many were taken.
   */
  read(max: number, out: Writer): number {
    this.validate()
    const c = this.ctl
    let count = c[COUNT]
    let n = 0
    while (n < max && count > 0) {
      const head = c[HEAD]
      const wrap = c[WRAP]
      const limit = wrap === -1 ? c[TAIL] : wrap
      let p = head
      while (n < max && p < limit && count > 0) {
        if (p + 4 > limit) throw corrupted(`a record header at ${p} crosses the end ${limit}`)
        const next = p + 4 + this.dv.getUint32(p, true)
        if (next > limit) throw corrupted(`a record at ${p} of ${next - p} bytes crosses the end ${limit}`)
        p = next
        n++
        count--
      }
      if (p === head && !(wrap !== -1 && head === wrap)) {
        throw corrupted(`count ${count} but no record at ${head} (end ${limit})`)
      }
      const bytes = p - head
      out.ensure(bytes)
      copyBytes(out.u8, out.pos, this.u8, head, p)
      out.pos += bytes
      if (wrap !== -1 && p === wrap) {
        c[WRAP] = -1
        c[HEAD] = 0
      } else c[HEAD] = p
    }
    c[COUNT] = count
    if (count === 0) {
      c[HEAD] = 0
      c[TAIL] = 0
      c[WRAP] = -1
    }
    return n
  }
}

/** Records up to this many bytes are copied byte by byte: a `subarray` view costs more than the copy. */
const SMALL_COPY = 64

/** Copies `src[from, to)` to `dst` at `at`. */
const copyBytes = (dst: Uint8Array, at: number, src: Uint8Array, from: number, to: number): void => {
  const n = to - from
  if (n > SMALL_COPY) dst.set(src.subarray(from, to), at)
  else for (let i = 0; i < n; i++) dst[at + i] = src[from + i]
}

const corrupted = (detail: string): SharedStateCorrupted => new SharedStateCorrupted({ structure: "queue", detail })
