/**
 * The storage behind manager proxies: a replicated state machine in shared
 * memory. Each object is an operation log (`[u32 length][op][args]`
 * records) after a snapshot, in a growable `SharedArrayBuffer`, guarded by
 * one lock word. Each thread keeps a replica (values kept as their encoded
 * bytes, decoded on every read, so callers get copies as from Python's
 * proxies) and the log position it has applied.
 *
 * An operation takes the lock, applies the records other threads appended
 * since (a few, usually), checks and applies its own change to the replica,
 * appends it to the log, and releases the lock: atomic per call, and visible
 * to every thread once the call returns. A read that finds the log unchanged
 * (epoch and end as last seen) answers from the replica without the lock.
 * When the log outgrows the snapshot, the writer compacts: it writes its
 * replica as the new snapshot and bumps the epoch, and readers of an older
 * epoch reload from it.
 *
 * @internal
 * @module
 */
import { SharedStateCorrupted } from "../../shared/errors.ts"
import { errorMessage } from "../../internal/error_message.ts"
import { decode, encode, Reader, shrink, Writer } from "./value_bytes.ts"

/** Control words. */
export const LOCK = 0
const EPOCH = 1
const END = 2
const SNAP_END = 3
const CTL_WORDS = 8

/** Operation codes. */
export const OP_SET = 1
export const OP_DELETE = 2
export const OP_CLEAR = 3
export const OP_APPEND = 4
export const OP_SET_AT = 5
export const OP_POP_AT = 6

const COMPACT_MIN = 64 * 1024

/** The buffers of one managed object. */
export interface StoreBuffers {
  readonly ctl: SharedArrayBuffer
  readonly log: SharedArrayBuffer
}

/** Allocates an empty store (its snapshot is the empty state of `kind`). */
export const allocateStore = (maxBytes: number): StoreBuffers => ({
  ctl: new SharedArrayBuffer(CTL_WORDS * 4),
  log: new SharedArrayBuffer(1024, { maxByteLength: maxBytes }),
})

/** A replica's state: a map of encoded values, or a list of them. */
export type State = Map<string, Uint8Array> | Array<Uint8Array>

/** Thrown when the log cannot hold an operation even after compaction. */
export class StoreFull extends Error {}

const textScratch = new Writer()

/** Encodes a value to its own bytes (throws `EncodeFailure`). */
export const encodeValue = (value: unknown): Uint8Array => {
  const w = textScratch
  w.pos = 0
  try {
    encode(w, value)
    return w.u8.slice(0, w.pos)
  } finally {
    shrink(w)
  }
}

/** Decodes bytes made by `encodeValue`. */
export const decodeValue = (bytes: Uint8Array): unknown => decode(new Reader(bytes))

const readKey = (r: Reader): string => decode(r) as string

/** A manager log that no writer of ours produced. */
const corrupted = (detail: string): SharedStateCorrupted =>
  new SharedStateCorrupted({ structure: "manager log", detail })

const readBytes = (r: Reader): Uint8Array => {
  const n = r.dv.getUint32(r.pos, true)
  if (r.pos + 4 + n > r.u8.length) throw corrupted(`a value of ${n} bytes at ${r.pos} crosses the end ${r.u8.length}`)
  const b = r.u8.slice(r.pos + 4, r.pos + 4 + n)
  r.pos += 4 + n
  return b
}

const writeBytes = (w: Writer, b: Uint8Array): void => {
  w.ensure(4 + b.length)
  w.dv.setUint32(w.pos, b.length, true)
  w.u8.set(b, w.pos + 4)
  w.pos += 4 + b.length
}

/** Applies one operation (at `r.pos`, after its op byte) to a state. */
const apply = (state: State, op: number, r: Reader): void => {
  switch (op) {
    case OP_SET:
      ;(state as Map<string, Uint8Array>).set(readKey(r), readBytes(r))
      return
    case OP_DELETE:
      ;(state as Map<string, Uint8Array>).delete(readKey(r))
      return
    case OP_CLEAR:
      if (Array.isArray(state)) state.length = 0
      else state.clear()
      return
    case OP_APPEND:
      ;(state as Array<Uint8Array>).push(readBytes(r))
      return
    case OP_SET_AT: {
      const i = r.dv.getUint32(r.pos, true)
      if (i >= (state as Array<Uint8Array>).length) throw corrupted(`set at ${i} past the end of the list`)
      r.pos += 4
      ;(state as Array<Uint8Array>)[i] = readBytes(r)
      return
    }
    case OP_POP_AT: {
      const i = r.dv.getUint32(r.pos, true)
      if (i >= (state as Array<Uint8Array>).length) throw corrupted(`pop at ${i} past the end of the list`)
      r.pos += 4
      ;(state as Array<Uint8Array>).splice(i, 1)
      return
    }
    default:
      throw corrupted(`unknown operation ${op}`)
  }
}

/** An operation to append: its code and how to write its arguments. */
export interface Op {
  readonly code: number
  readonly key?: string
  readonly index?: number
  readonly value?: Uint8Array
}

const writeOp = (w: Writer, op: Op): void => {
  const start = w.pos
  w.ensure(5)
  w.pos += 4
  w.u8[w.pos++] = op.code
  if (op.key !== undefined) encode(w, op.key)
  if (op.index !== undefined) {
    w.ensure(4)
    w.dv.setUint32(w.pos, op.index, true)
    w.pos += 4
  }
  if (op.value !== undefined) writeBytes(w, op.value)
  w.dv.setUint32(start, w.pos - start - 4, true)
}

const opScratch = new Writer()
const copyScratch = new Writer()

/** One thread's replica of a store. */
export class Replica {
  readonly ctl: Int32Array
  readonly log: SharedArrayBuffer
  readonly u8: Uint8Array
  readonly isList: boolean
  state: State
  epoch = -1
  offset = 0

  constructor(buffers: StoreBuffers, isList: boolean) {
    this.ctl = new Int32Array(buffers.ctl)
    this.log = buffers.log
    this.u8 = new Uint8Array(buffers.log)
    this.isList = isList
    this.state = isList ? [] : new Map()
  }

  /** Whether the replica is up to date now (no lock needed). */
  isCurrent(): boolean {
    const c = this.ctl
    return Atomics.load(c, EPOCH) === this.epoch && Atomics.load(c, END) === this.offset &&
      Atomics.load(c, EPOCH) === this.epoch
  }

  /**
   * Under the lock: applies what other threads logged since this replica
   * last looked. Every offset and length read from shared memory is checked
   * first; garbage throws `SharedStateCorrupted` (and leaves this replica
   * as it was).
   */
  sync(): void {
    const state = this.state
    const epoch = this.epoch
    const offset = this.offset
    try {
      this.syncChecked()
    } catch (e) {
      this.state = state
      this.epoch = epoch
      this.offset = offset
      if (e instanceof SharedStateCorrupted) throw e
      // A decoder error on bytes that passed the offset checks: garbage too.
      throw corrupted(errorMessage(e))
    }
  }

  private syncChecked(): void {
    const c = this.ctl
    const snapEnd = c[SNAP_END]
    const last = c[END]
    const size = this.log.byteLength
    if (!(snapEnd >= 0 && snapEnd <= last && last <= size)) {
      throw corrupted(`snapshot end ${snapEnd} / log end ${last} outside 0..${size}`)
    }
    if (c[EPOCH] === this.epoch && last < this.offset) throw corrupted(`log end ${last} went back from ${this.offset}`)
    if (c[EPOCH] !== this.epoch) {
      this.state = this.readSnapshot(c[SNAP_END])
      this.epoch = c[EPOCH]
      this.offset = c[SNAP_END]
    }
    const end = c[END]
    if (end === this.offset) return
    const w = copyScratch
    w.pos = 0
    w.ensure(end - this.offset)
    w.u8.set(this.u8.subarray(this.offset, end))
    const r = new Reader(w.u8.subarray(0, end - this.offset))
    while (r.pos < end - this.offset) {
      if (r.pos + 5 > end - this.offset) throw corrupted(`a record header at ${this.offset + r.pos} crosses the end`)
      const len = r.dv.getUint32(r.pos, true)
      const next = r.pos + 4 + len
      if (len < 1 || next > end - this.offset) throw corrupted(`a record of ${len} bytes crosses the log end ${end}`)
      const op = r.u8[r.pos + 4]
      r.pos += 5
      apply(this.state, op, r)
      r.pos = next
    }
    this.offset = end
    shrink(w)
  }

  private readSnapshot(end: number): State {
    const state: State = this.isList ? [] : new Map()
    if (end === 0) return state
    if (end < 4) throw corrupted(`a snapshot of ${end} bytes`)
    const r = new Reader(this.u8.slice(0, end))
    const n = r.dv.getUint32(0, true)
    if (n > end) throw corrupted(`a snapshot of ${n} entries in ${end} bytes`)
    r.pos = 4
    for (let i = 0; i < n; i++) {
      if (Array.isArray(state)) state.push(readBytes(r))
      else state.set(readKey(r), readBytes(r))
    }
    return state
  }

  /**
   * Under the lock, after `sync`: appends `ops` to the log and applies them
   * to this replica. Throws `StoreFull` (changing nothing) when they do not
   * fit even after compaction.
   */
  commit(ops: ReadonlyArray<Op>): void {
    const w = opScratch
    w.pos = 0
    for (const op of ops) writeOp(w, op)
    const c = this.ctl
    const end = c[END]
    if (end + w.pos > this.log.maxByteLength) {
      this.compact(w.pos)
      return this.commit(ops)
    }
    if (end + w.pos > this.log.byteLength) this.grow(end + w.pos)
    this.u8.set(w.u8.subarray(0, w.pos), end)
    const r = new Reader(w.u8.subarray(0, w.pos))
    while (r.pos < w.pos) {
      const len = r.dv.getUint32(r.pos, true)
      const next = r.pos + 4 + len
      const op = r.u8[r.pos + 4]
      r.pos += 5
      apply(this.state, op, r)
      r.pos = next
    }
    Atomics.store(c, END, end + w.pos)
    this.offset = end + w.pos
    const logBytes = this.offset - c[SNAP_END]
    if (logBytes > Math.max(COMPACT_MIN, 2 * c[SNAP_END])) this.compact(0)
    shrink(w)
    shrink(copyScratch)
  }

  private grow(need: number): void {
    let next = Math.max(this.log.byteLength, 1024) * 2
    while (next < need) next *= 2
    this.log.grow(Math.min(next, this.log.maxByteLength))
  }

  /** Under the lock: writes this (current) replica as the new snapshot, leaving room for `reserve` bytes. */
  private compact(reserve: number): void {
    const w = copyScratch
    w.pos = 0
    w.ensure(4)
    const state = this.state
    w.dv.setUint32(0, Array.isArray(state) ? state.length : state.size, true)
    w.pos = 4
    if (Array.isArray(state)) { for (const b of state) writeBytes(w, b) }
    else {
      for (const [k, b] of state) {
        encode(w, k)
        writeBytes(w, b)
      }
    }
    if (w.pos + reserve > this.log.maxByteLength || (reserve > 0 && this.ctl[SNAP_END] === this.ctl[END])) {
      throw new StoreFull(
        `the managed object needs more than its ${this.log.maxByteLength} bytes (maxBytes of the manager)`,
      )
    }
    if (w.pos > this.log.byteLength) this.grow(w.pos)
    this.u8.set(w.u8.subarray(0, w.pos), 0)
    const c = this.ctl
    Atomics.store(c, EPOCH, c[EPOCH] + 1)
    c[SNAP_END] = w.pos
    Atomics.store(c, END, w.pos)
    this.epoch = c[EPOCH]
    this.offset = w.pos
  }
}
