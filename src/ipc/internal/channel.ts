/**
 * The Effect layer over a `Ring`: encoding items into records, putting and
 * taking with waiting (through `futex.wait` only), closing. Queues and pipes
 * are thin shapes over these functions.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { notifyAll, wait } from "../../internal/futex.ts"
import { errorMessage } from "../../internal/error_message.ts"
import { SharedStateCorrupted } from "../../shared/errors.ts"
import { decode, encode, EncodeFailure, Reader, shrink, Writer } from "./value_bytes.ts"
import { LIVENESS_MS } from "./liveness.ts"
import { locked, tryLockSpin, unlock } from "./lock.ts"
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
const scratch = new Writer()
/** Thread-local scratch for records copied out of a ring. */
const inbox = new Writer()

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
    const start = w.pos
    w.ensure(4)
    w.pos += 4
    try {
      encode(w, codec === undefined ? value : codec.encode(value))
    } catch (e) {
      if (e instanceof EncodeFailure || e instanceof SchemaFailure) return { ok: false, message: e.message }
      throw e
    }
    const len = w.pos - start - 4
    if (len + 4 > maxBytes) {
      return { ok: false, message: `an item of ${len} bytes does not fit a buffer of at most ${maxBytes} bytes` }
    }
    w.dv.setUint32(start, len, true)
  }
  return { ok: true, u8: w.u8, dv: w.dv, end: w.pos }
}

/**
 * Why a put could not finish: the ring is closed, the timeout passed, a value
 * could not be encoded, or the shared state is corrupted.
 */
export type PutBlocked = "closed" | "broken" | "timeout" | { readonly encode: string } | SharedStateCorrupted

/** Runs a section of the ring, turning `SharedStateCorrupted` thrown by its checks into its result. */
const guarded = <A>(section: () => A): A | SharedStateCorrupted => {
  try {
    return section()
  } catch (e) {
    if (e instanceof SharedStateCorrupted) return e
    throw e
  }
}

const wake = (ring: Ring, seq: number, waiters: number): void => {
  const c = ring.ctl
  Atomics.add(c, seq, 1)
  if (Atomics.load(c, waiters) > 0) notifyAll(c, seq)
}

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
  return guarded(() => ring.write(src, srcDv, pos, end))
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
  const c = ring.ctl
  const seq = Atomics.load(c, TAKE_SEQ)
  // The first attempt runs now, while the thread-local scratch is ours.
  if (!tryLockSpin(c, LOCK)) return new PendingPut(e.u8.slice(0, e.end), undefined)
  let next: number | SharedStateCorrupted
  try {
    next = writeSection(ring, e.u8, e.dv, 0, e.end)
  } finally {
    unlock(c, LOCK)
  }
  if (typeof next !== "number") return next
  if (next > 0) wake(ring, PUT_SEQ, WAIT_TAKERS)
  if (next === -1) return "closed"
  if (next === -2) return "broken"
  if (next === e.end) return undefined
  return new PendingPut(e.u8.slice(next, e.end), seq)
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

const waitOn = <A>(
  c: Int32Array,
  index: number,
  seq: number,
  waiters: number,
  ms: number,
  then: () => Effect.Effect<A>,
): Effect.Effect<A> => {
  Atomics.add(c, waiters, 1)
  return wait(c, index, seq, ms).pipe(
    Effect.ensuring(Effect.sync(() => Atomics.sub(c, waiters, 1))),
    Effect.flatMap(then),
  )
}

/** Why a take found nothing. */
export type TakeBlocked = "closed" | "eof" | "timeout" | "empty"

/** What a take returned: the items, or why there were none. */
export type Taken =
  | { readonly ok: true; readonly values: Array<unknown> }
  | { readonly ok: false; readonly blocked: TakeBlocked }
  | { readonly ok: false; readonly blocked: "decode"; readonly message: string }
  | { readonly ok: false; readonly blocked: "corrupted"; readonly error: SharedStateCorrupted }

const decodeInbox = (n: number, codec: ItemCodec | undefined): Taken => {
  const r = new Reader(inbox.u8)
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
  return error === undefined ? { ok: true, values } : { ok: false, blocked: "decode", message: error }
}

/** Under the lock: -1 (closed by the reader side), -2 (closed by the writer side and empty), or how many were read. */
const readSection = (ring: Ring, max: number): number | SharedStateCorrupted => {
  const closed = ring.ctl[CLOSED]
  if ((closed & CLOSED_BY_READER) !== 0) return -1
  inbox.pos = 0
  const n = guarded(() => ring.read(max, inbox))
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
    return decodeInbox(n, codec)
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

/** Marks the ring closed from one side and wakes every waiter. */
export const closeRing = (ring: Ring, side: typeof CLOSED_BY_WRITER | typeof CLOSED_BY_READER): void => {
  const c = ring.ctl
  Atomics.or(c, CLOSED, side)
  Atomics.add(c, PUT_SEQ, 1)
  Atomics.add(c, TAKE_SEQ, 1)
  notifyAll(c, PUT_SEQ)
  notifyAll(c, TAKE_SEQ)
}

/**
 * Shuts the ring down from the writing side at once (Python's
 * `shutdown(immediate=True)`): under the lock, marks it closed and drops what
 * is queued, then wakes every waiter. Returns how many items were dropped.
 */
export const shutdownNow = (ring: Ring): Effect.Effect<number, SharedStateCorrupted> => {
  const c = ring.ctl
  return Effect.flatMap(
    locked(c, LOCK, () => {
      Atomics.or(c, CLOSED, CLOSED_BY_WRITER)
      return guarded(() => ring.clear())
    }, (n) => n),
    (n): Effect.Effect<number, SharedStateCorrupted> => {
      closeRing(ring, CLOSED_BY_WRITER)
      if (typeof n === "number") return Effect.succeed(n)
      // "timeout" cannot happen without a deadline; a corrupted lock word or ring is reported.
      return Effect.fail(
        n instanceof SharedStateCorrupted
          ? n
          : new SharedStateCorrupted({ structure: "queue", detail: "the lock could not be taken" }),
      )
    },
  )
}

/** A deadline in `performance.now()` time from a timeout in ms (`undefined`: none). */
export const deadlineOf = (timeoutMs: number | undefined): number =>
  timeoutMs === undefined ? Infinity : performance.now() + timeoutMs
