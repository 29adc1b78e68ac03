/**
 * Taking items from a ring: at once when there are some, else waiting for
 * them (through `futex.wait` only), and polling.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { SharedStateCorrupted } from "../../shared/errors.ts"
import { shrink } from "./value_bytes.ts"
import { LIVENESS_MS } from "./liveness.ts"
import { locked, tryLockSpin, unlock } from "./lock.ts"
import { decodeRecords, inbox, type ItemCodec } from "./records.ts"
import {
  CLOSED,
  CLOSED_BY_READER,
  CLOSED_BY_WRITER,
  COUNT,
  LOCK,
  PUT_SEQ,
  type Ring,
  TAKE_SEQ,
  WAIT_PUTTERS,
  WAIT_TAKERS,
} from "./ring.ts"
import { closeRing, corruptedOrThrow, waitOn, wake } from "./ring_signal.ts"

/** Why a take found nothing. */
export type TakeBlocked = "closed" | "eof" | "timeout" | "empty"

/** What a take returned: the items, or why there were none. */
export type Taken =
  | { readonly ok: true; readonly values: Array<unknown> }
  | { readonly ok: false; readonly blocked: TakeBlocked }
  | { readonly ok: false; readonly blocked: "decode"; readonly message: string }
  | { readonly ok: false; readonly blocked: "corrupted"; readonly error: SharedStateCorrupted }

/** Under the lock: -1 (closed by the reader side), -2 (closed by the writer side and empty), or how many were read. */
const readSection = (ring: Ring, max: number): number | SharedStateCorrupted => {
  const closed = ring.ctl[CLOSED]
  if ((closed & CLOSED_BY_READER) !== 0) return -1
  inbox.pos = 0
  let n: number
  try {
    n = ring.read(max, inbox)
  } catch (e) {
    return corruptedOrThrow(e)
  }
  if (n === 0 && (closed & CLOSED_BY_WRITER) !== 0) return -2
  return n
}

/** After the lock: the items read (decoded), why there are none, or `undefined` when it must wait. */
const afterRead = (ring: Ring, n: number | SharedStateCorrupted, codec: ItemCodec | undefined): Taken | undefined => {
  if (typeof n !== "number") return { ok: false, blocked: "corrupted", error: n }
  if (n === -1) return { ok: false, blocked: "closed" }
  if (n === -2) return { ok: false, blocked: "eof" }
  if (n === 0) return undefined
  wake(ring, TAKE_SEQ, WAIT_PUTTERS)
  try {
    const d = decodeRecords(n, codec)
    return d.ok ? d : { ok: false, blocked: "decode", message: d.message }
  } finally {
    shrink(inbox)
  }
}

/**
 * Tries to take between 1 and `max` items now: the items, why there are
 * none (closed), `"empty"`, or `"busy"` when the lock was not free.
 */
export const takeNow = (ring: Ring, max: number, codec: ItemCodec | undefined): Taken | "empty" | "busy" => {
  const c = ring.ctl
  if (!tryLockSpin(c, LOCK)) return "busy"
  let n: number | SharedStateCorrupted
  try {
    n = readSection(ring, max)
  } finally {
    unlock(c, LOCK)
  }
  return afterRead(ring, n, codec) ?? "empty"
}

/**
 * Takes between 1 and `max` items, waiting until at least one is there (or
 * until `deadline`; a deadline in the past makes it a poll that reports
 * `"empty"`). Interruptible while it waits; nothing is taken then.
 */
export const takeItems = (
  ring: Ring,
  max: number,
  codec: ItemCodec | undefined,
  deadline: number,
  writerGone?: () => boolean,
): Effect.Effect<Taken> => {
  const c = ring.ctl
  const loop = (): Effect.Effect<Taken> => {
    const seq = Atomics.load(c, PUT_SEQ)
    return Effect.flatMap(
      locked(c, LOCK, () => readSection(ring, max), (n) => afterRead(ring, n, codec), deadline),
      (taken): Effect.Effect<Taken> => {
        if (taken === "timeout") {
          return Effect.succeed({ ok: false, blocked: deadline === -Infinity ? "empty" : "timeout" })
        }
        if (taken instanceof SharedStateCorrupted) {
          return Effect.succeed({ ok: false, blocked: "corrupted", error: taken })
        }
        return taken !== undefined ? Effect.succeed(taken) : block(seq)
      },
    )
  }
  const block = (seq: number): Effect.Effect<Taken> => {
    const left = deadline - performance.now()
    if (left <= 0) return Effect.succeed({ ok: false, blocked: deadline === -Infinity ? "empty" : "timeout" })
    if (writerGone === undefined) return waitOn(c, PUT_SEQ, seq, WAIT_TAKERS, left, loop)
    if (writerGone()) {
      // Everyone who could write is dead: the same as the writer closing (then loop reports "eof").
      closeRing(ring, CLOSED_BY_WRITER)
      return loop()
    }
    return waitOn(c, PUT_SEQ, seq, WAIT_TAKERS, Math.min(left, LIVENESS_MS), loop)
  }
  return Effect.suspend(() => {
    const seq = Atomics.load(c, PUT_SEQ)
    const t = takeNow(ring, max, codec)
    if (t === "busy") return loop()
    if (t === "empty") return block(seq)
    return Effect.succeed(t)
  })
}

/**
 * Waits until the ring has an item or is closed (or `deadline` passes).
 * Returns whether a take would not wait.
 */
export const pollRing = (ring: Ring, deadline: number, writerGone?: () => boolean): Effect.Effect<boolean> => {
  const c = ring.ctl
  const loop = (): Effect.Effect<boolean> => {
    const seq = Atomics.load(c, PUT_SEQ)
    if (Atomics.load(c, COUNT) > 0 || Atomics.load(c, CLOSED) !== 0) return Effect.succeed(true)
    if (writerGone !== undefined && writerGone()) {
      closeRing(ring, CLOSED_BY_WRITER)
      return Effect.succeed(true)
    }
    const left = deadline - performance.now()
    if (left <= 0) return Effect.succeed(false)
    return waitOn(c, PUT_SEQ, seq, WAIT_TAKERS, writerGone === undefined ? left : Math.min(left, LIVENESS_MS), loop)
  }
  return Effect.suspend(loop)
}
