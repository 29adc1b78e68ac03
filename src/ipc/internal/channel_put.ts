/**
 * Putting items into a ring: at once when there is room, else waiting for
 * room (through `futex.wait` only).
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type { SharedStateCorrupted } from "../../shared/errors.ts"
import { shrink } from "./value_bytes.ts"
import { LIVENESS_MS } from "./liveness.ts"
import { locked, tryLockSpin, unlock } from "./lock.ts"
import { encodeRecord, encodeRecords, type ItemCodec, scratch } from "./records.ts"
import {
  CLOSED,
  CLOSED_BY_READER,
  CLOSED_BY_WRITER,
  LOCK,
  PUT_SEQ,
  type Ring,
  TAKE_SEQ,
  WAIT_PUTTERS,
  WAIT_TAKERS,
} from "./ring.ts"
import { closeRing, corruptedOrThrow, waitOn, wake } from "./ring_signal.ts"

/**
 * Why a put could not finish: the ring is closed, the timeout passed, a value
 * could not be encoded, or the shared state is corrupted.
 */
export type PutBlocked = "closed" | "broken" | "timeout" | { readonly encode: string } | SharedStateCorrupted

/**
 * Under the lock: the position after what was written, or -1 (closed by the
 * writer side), -2 (by the reader), or the corruption found.
 */
const writeSection = (
  ring: Ring,
  src: Uint8Array,
  srcDv: DataView,
  pos: number,
  end: number,
): number | SharedStateCorrupted => {
  const closed = ring.ctl[CLOSED]
  if (closed !== 0) return (closed & CLOSED_BY_WRITER) !== 0 ? -1 : -2
  let next: number
  try {
    next = ring.write(src, srcDv, pos, end)
  } catch (e) {
    return corruptedOrThrow(e)
  }
  return next
}

/** What is left of a put that must wait: an owned copy of the records not yet written. */
export class PendingPut {
  constructor(
    readonly src: Uint8Array,
    readonly seq: number | undefined,
  ) {}
}

/**
 * Encodes `values` and tries to put them now, in order, without waiting.
 * Nothing is put when any value cannot be encoded. Returns `undefined` when
 * all were put, why it stopped, or a `PendingPut` to finish with `putPending`.
 */
export const putNow = (
  ring: Ring,
  values: Iterable<unknown>,
  codec: ItemCodec | undefined,
): PutBlocked | undefined | PendingPut => {
  try {
    return putNowFrom(ring, values, codec)
  } finally {
    shrink(scratch)
  }
}

const putNowFrom = (
  ring: Ring,
  values: Iterable<unknown>,
  codec: ItemCodec | undefined,
): PutBlocked | undefined | PendingPut => {
  const e = encodeRecords(values, codec, ring.maxBytes)
  if (!e.ok) return { encode: e.message }
  if (e.end === 0) return undefined
  return putEncoded(ring, e.u8, e.dv, e.end)
}

/**
 * `putNow` for one value: encodes it into the thread-local scratch and tries
 * to put it now (one lock, one copy, no iteration or array of its own).
 */
export const putOneNow = (
  ring: Ring,
  value: unknown,
  codec: ItemCodec | undefined,
): PutBlocked | undefined | PendingPut => {
  try {
    const message = encodeRecord(value, codec, ring.maxBytes)
    if (message !== undefined) return { encode: message }
    return putEncoded(ring, scratch.u8, scratch.dv, scratch.pos)
  } finally {
    shrink(scratch)
  }
}

/** Tries to write the records `u8[0, end)` (in the thread-local scratch) now; see `putNow`. */
const putEncoded = (ring: Ring, u8: Uint8Array, dv: DataView, end: number): PutBlocked | undefined | PendingPut => {
  const c = ring.ctl
  const seq = Atomics.load(c, TAKE_SEQ)
  // The first attempt runs now, while the thread-local scratch is ours.
  if (!tryLockSpin(c, LOCK)) return new PendingPut(u8.slice(0, end), undefined)
  let next: number | SharedStateCorrupted
  try {
    next = writeSection(ring, u8, dv, 0, end)
  } finally {
    unlock(c, LOCK)
  }
  if (typeof next !== "number") return next
  if (next > 0) wake(ring, PUT_SEQ, WAIT_TAKERS)
  if (next === -1) return "closed"
  if (next === -2) return "broken"
  if (next === end) return undefined
  return new PendingPut(u8.slice(next, end), seq)
}

/**
 * Finishes a put that could not complete at once, waiting for room (until
 * `deadline`). Interruptible while it waits; records already written stay
 * written.
 */
export const putPending = (
  ring: Ring,
  pending: PendingPut,
  deadline: number,
  readerGone?: () => boolean,
): Effect.Effect<PutBlocked | undefined> => {
  const c = ring.ctl
  const src = pending.src
  const srcDv = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const end = src.length
  let pos = 0
  const loop = (): Effect.Effect<PutBlocked | undefined> => {
    const seq = Atomics.load(c, TAKE_SEQ)
    return Effect.flatMap(
      locked(c, LOCK, () => writeSection(ring, src, srcDv, pos, end), (next) => {
        if (typeof next === "number" && next > pos) wake(ring, PUT_SEQ, WAIT_TAKERS)
        return next
      }, deadline),
      (next): Effect.Effect<PutBlocked | undefined> => {
        if (next === "timeout") return Effect.succeed("timeout")
        if (typeof next !== "number") return Effect.succeed(next)
        if (next === -1) return Effect.succeed("closed")
        if (next === -2) return Effect.succeed("broken")
        pos = next
        if (pos === end) return Effect.succeed(undefined)
        return block(seq)
      },
    )
  }
  const block = (seq: number): Effect.Effect<PutBlocked | undefined> => {
    const left = deadline - performance.now()
    if (left <= 0) return Effect.succeed("timeout")
    if (readerGone === undefined) return waitOn(c, TAKE_SEQ, seq, WAIT_PUTTERS, left, loop)
    if (readerGone()) {
      closeRing(ring, CLOSED_BY_READER)
      return Effect.succeed("broken")
    }
    return waitOn(c, TAKE_SEQ, seq, WAIT_PUTTERS, Math.min(left, LIVENESS_MS), loop)
  }
  return pending.seq === undefined ? loop() : block(pending.seq)
}

/** `putNow`, then `putPending` when needed. */
export const putValues = (
  ring: Ring,
  values: Iterable<unknown>,
  codec: ItemCodec | undefined,
  deadline: number,
  readerGone?: () => boolean,
): Effect.Effect<PutBlocked | undefined> =>
  Effect.suspend(() => {
    const r = putNow(ring, values, codec)
    return r instanceof PendingPut ? putPending(ring, r, deadline, readerGone) : Effect.succeed(r)
  })
