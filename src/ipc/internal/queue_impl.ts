/**
 * The one class behind `Queue`, `SimpleQueue` and `JoinableQueue`: a ring in
 * shared memory plus this thread's view of it. Its own enumerable fields are
 * the brand, the kind and the two `SharedArrayBuffer`s, so that it crosses
 * into a worker by structured clone and is revived there; the per-thread
 * views and the item schema are hidden (non-enumerable) fields.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { InvalidArgument } from "../../errors.ts"
import { intIn, invalid, timeoutMs as checkTimeout } from "../../internal/arguments.ts"
import { notifyAll, wait } from "../../internal/futex.ts"
import { hidden } from "../../internal/hidden.ts"
import { registerReviver } from "../../internal/revive.ts"
import { SharedStateCorrupted } from "../../shared/errors.ts"
import { DecodeError, EncodeError, QueueClosed, QueueEmpty, QueueFull, TaskDoneTooManyTimes } from "../errors.ts"
import {
  type AnySchema,
  closeRing,
  deadlineOf,
  type ItemCodec,
  itemCodec,
  PendingPut,
  type PutBlocked,
  putNow,
  putOneNow,
  putPending,
  shutdownNow,
  takeItems,
  type Taken,
  takeNow,
} from "./channel.ts"
import { allocate, CLOSED, CLOSED_BY_WRITER, COUNT, Ring, type RingBuffers, UNFINISHED } from "./ring.ts"

/** The brand of queues in `revive`. */
export const BRAND = "Queue"

/** Which public shape a queue was made as. */
export type QueueKind = "queue" | "simple" | "joinable"

/** Options accepted by every queue constructor. */
export interface QueueMakeOptions {
  readonly capacity?: number | undefined
  readonly schema?: AnySchema | undefined
  readonly maxBytes?: number | undefined
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
const INITIAL_BYTES = 64 * 1024
const STREAM_CHUNK = 4096

const closed = new QueueClosed({})
const succeedTrue: Effect.Effect<boolean> = Effect.succeed(true)

const putFailure = (
  r: PutBlocked,
  capacity: number,
  timeoutMs: number,
): Effect.Effect<never, QueueClosed | QueueFull | EncodeError | SharedStateCorrupted> => {
  if (r instanceof SharedStateCorrupted) return Effect.fail(r)
  if (r === "closed" || r === "broken") return Effect.fail(closed)
  if (r === "timeout") return Effect.fail(new QueueFull({ capacity, timeoutMs }))
  return Effect.fail(new EncodeError({ message: r.encode }))
}

/** Runs `f` with the checked `timeout` option (milliseconds), or fails with `InvalidArgument`. */
const withTimeout = <A, E>(
  timeout: Duration.Input | undefined,
  f: (timeoutMs: number | undefined) => Effect.Effect<A, E>,
): Effect.Effect<A, E | InvalidArgument> =>
  Effect.suspend((): Effect.Effect<A, E | InvalidArgument> => {
    const ms = checkTimeout("timeout", timeout)
    return typeof ms === "object" ? Effect.fail(ms) : f(ms)
  })

/** The class behind every queue shape. */
export class QueueImpl<A> {
  /** The brand that `revive` recognizes. */
  readonly __mp: typeof BRAND = BRAND
  /** Which shape this queue was made as. */
  readonly kind: QueueKind
  /** The control words. */
  readonly ctl: SharedArrayBuffer
  /** The ring's bytes. */
  readonly data: SharedArrayBuffer
  /** Whether items are encoded with an item schema. */
  readonly hasSchema: boolean
  declare readonly ring: Ring
  declare codec: ItemCodec | undefined

  constructor(kind: QueueKind, buffers: RingBuffers, hasSchema: boolean, codec: ItemCodec | undefined) {
    this.kind = kind
    this.ctl = buffers.ctl
    this.data = buffers.data
    this.hasSchema = hasSchema
    hidden(this, "ring", new Ring(buffers))
    hidden(this, "codec", codec)
  }

  /** The most items the queue holds (`Infinity`: no bound but memory). */
  get capacity(): number {
    return this.ring.capacity
  }

  /** A defect when the item schema did not cross into this worker, else `undefined`. */
  private notReady(): Effect.Effect<never> | undefined {
    if (!this.hasSchema || this.codec !== undefined) return undefined
    return Effect.die(
      new Error(
        "This queue was made with an item schema that did not cross into this worker: declare the task payload " +
          "with mp.Queue.schema(itemSchema), or call mp.Queue.withSchema(queue, itemSchema)",
      ),
    )
  }

  /** Puts `values`: at once when there is room (no Effect machinery beyond one `suspend`), else waiting. */
  private putWith<E>(
    values: Iterable<unknown>,
    deadline: number,
    onBlocked: (r: PutBlocked) => Effect.Effect<boolean, E>,
  ): Effect.Effect<boolean, E> {
    return Effect.suspend(() => {
      const bad = this.notReady()
      if (bad !== undefined) return bad
      const r = putNow(this.ring, values, this.codec)
      if (r === undefined) return succeedTrue
      if (!(r instanceof PendingPut)) return onBlocked(r)
      return Effect.flatMap(
        putPending(this.ring, r, deadline),
        (r2: PutBlocked | undefined) => (r2 === undefined ? succeedTrue : onBlocked(r2)),
      )
    })
  }

  put(value: A, options?: { readonly timeout?: Duration.Input | undefined }): Effect.Effect<
    void,
    QueueClosed | QueueFull | EncodeError | SharedStateCorrupted | InvalidArgument
  > {
    if (options === undefined) return this.putOne(value)
    return withTimeout(options?.timeout, (timeoutMs) =>
      Effect.asVoid(
        this.putWith([value], deadlineOf(timeoutMs), (r) => putFailure(r, this.capacity, timeoutMs ?? Infinity)),
      ))
  }

  /** `put` without a timeout: one Effect step when there is room (no array, no iteration of its own). */
  private putOne(value: A): Effect.Effect<void, QueueClosed | QueueFull | EncodeError | SharedStateCorrupted> {
    return Effect.suspend(() => {
      const bad = this.notReady()
      if (bad !== undefined) return bad
      const r = putOneNow(this.ring, value, this.codec)
      if (r === undefined) return Effect.void
      if (!(r instanceof PendingPut)) return putFailure(r, this.capacity, Infinity)
      return Effect.flatMap(
        putPending(this.ring, r, Infinity),
        (r2) => r2 === undefined ? Effect.void : putFailure(r2, this.capacity, Infinity),
      )
    })
  }

  putAll(values: Iterable<A>): Effect.Effect<void, QueueClosed | EncodeError | SharedStateCorrupted> {
    return Effect.asVoid(
      this.putWith(
        values,
        Infinity,
        (r) =>
          putFailure(r, this.capacity, 0) as Effect.Effect<never, QueueClosed | EncodeError | SharedStateCorrupted>,
      ),
    )
  }

  tryPut(value: A): Effect.Effect<boolean, QueueClosed | EncodeError | SharedStateCorrupted> {
    return this.putWith(
      [value],
      -Infinity,
      (r) =>
        r === "timeout"
          ? Effect.succeed(false)
          : (putFailure(r, this.capacity, 0) as Effect.Effect<never, QueueClosed | EncodeError | SharedStateCorrupted>),
    )
  }

  /** Takes 1 to `max` items: at once when there are some, else waiting (until `deadline`). */
  private takeWith<B, E>(
    max: number,
    deadline: number,
    onTaken: (t: Taken) => Effect.Effect<B, E>,
  ): Effect.Effect<B, E> {
    return Effect.suspend(() => {
      const bad = this.notReady()
      if (bad !== undefined) return bad
      const t = takeNow(this.ring, max, this.codec)
      if (typeof t === "object" && t.ok) return onTaken(t)
      if (t === "empty" && deadline === -Infinity) return onTaken({ ok: false, blocked: "empty" })
      return Effect.flatMap(takeItems(this.ring, max, this.codec, deadline), onTaken)
    })
  }

  take(options?: { readonly timeout?: Duration.Input | undefined }): Effect.Effect<
    A,
    QueueClosed | QueueEmpty | DecodeError | SharedStateCorrupted | InvalidArgument
  > {
    // Without a timeout: one Effect step when an item is there.
    if (options === undefined) return this.takeWith(1, Infinity, takeFirst) as Effect.Effect<A, TakeError>
    return withTimeout(options?.timeout, (timeoutMs) =>
      this.takeWith(
        1,
        deadlineOf(timeoutMs),
        (t) => t.ok ? Effect.succeed(t.values[0] as A) : takeFailure(t, timeoutMs ?? Infinity),
      ))
  }

  get(options?: { readonly timeout?: Duration.Input | undefined }): Effect.Effect<
    A,
    QueueClosed | QueueEmpty | DecodeError | SharedStateCorrupted | InvalidArgument
  > {
    return this.take(options)
  }

  takeUpTo(max: number): Effect.Effect<Array<A>, QueueClosed | DecodeError | SharedStateCorrupted | InvalidArgument> {
    const bad = intIn("max", max, 1, 0x7fffffff)
    if (bad !== undefined) return Effect.fail(bad)
    return this.takeWith(
      max,
      Infinity,
      (t) =>
        t.ok
          ? Effect.succeed(t.values as Array<A>)
          : (takeFailure(t, Infinity) as Effect.Effect<never, QueueClosed | DecodeError | SharedStateCorrupted>),
    )
  }

  get tryTake(): Effect.Effect<Option.Option<A>, QueueClosed | DecodeError | SharedStateCorrupted> {
    return this.takeWith(1, -Infinity, (t) => {
      if (t.ok) return Effect.succeed(Option.some(t.values[0] as A))
      if (t.blocked === "empty") return Effect.succeed(Option.none())
      return takeFailure(t, 0) as Effect.Effect<never, QueueClosed | DecodeError | SharedStateCorrupted>
    })
  }

  get size(): Effect.Effect<number> {
    return Effect.sync(() => Atomics.load(this.ring.ctl, COUNT))
  }

  get isEmpty(): Effect.Effect<boolean> {
    return Effect.sync(() => Atomics.load(this.ring.ctl, COUNT) === 0)
  }

  get isFull(): Effect.Effect<boolean> {
    return Effect.sync(() => Atomics.load(this.ring.ctl, COUNT) >= this.capacity)
  }

  get isClosed(): Effect.Effect<boolean> {
    return Effect.sync(() => Atomics.load(this.ring.ctl, CLOSED) !== 0)
  }

  get close(): Effect.Effect<void> {
    return Effect.sync(() => closeRing(this.ring, CLOSED_BY_WRITER))
  }

  shutdown(
    options?: { readonly immediate?: boolean | undefined },
  ): Effect.Effect<void, SharedStateCorrupted | InvalidArgument> {
    const immediate = options?.immediate
    if (immediate !== undefined && typeof immediate !== "boolean") {
      return Effect.fail(invalid("immediate", "a boolean", immediate))
    }
    if (immediate !== true) return this.close
    const c = this.ring.ctl
    return Effect.map(shutdownNow(this.ring), (dropped) => {
      // Python counts the dropped items as done, so that `join` returns.
      if (dropped === 0) return
      for (;;) {
        const v = Atomics.load(c, UNFINISHED)
        const next = Math.max(0, v - dropped)
        if (Atomics.compareExchange(c, UNFINISHED, v, next) === v) {
          if (next === 0 && v !== 0) notifyAll(c, UNFINISHED)
          return
        }
      }
    })
  }

  get isShutDown(): Effect.Effect<boolean> {
    return this.isClosed
  }

  get toStream(): Stream.Stream<A, DecodeError | SharedStateCorrupted> {
    const pull = this.takeWith(
      STREAM_CHUNK,
      Infinity,
      (t): Effect.Effect<readonly [A, ...Array<A>], DecodeError | SharedStateCorrupted | Cause.Done> => {
        if (t.ok) return Effect.succeed(t.values as unknown as readonly [A, ...Array<A>])
        if (t.blocked === "decode") return Effect.fail(new DecodeError({ message: t.message }))
        if (t.blocked === "corrupted") return Effect.fail(t.error)
        return Cause.done()
      },
    )
    return Stream.fromPull(Effect.succeed(pull))
  }

  taskDone(count = 1): Effect.Effect<void, TaskDoneTooManyTimes | InvalidArgument> {
    return Effect.suspend((): Effect.Effect<void, TaskDoneTooManyTimes | InvalidArgument> => {
      const bad = intIn("count", count, 1, 0x7fffffff)
      if (bad !== undefined) return Effect.fail(bad)
      const c = this.ring.ctl
      for (;;) {
        const v = Atomics.load(c, UNFINISHED)
        if (v < count) return Effect.fail(new TaskDoneTooManyTimes({}))
        if (Atomics.compareExchange(c, UNFINISHED, v, v - count) === v) {
          if (v === count) notifyAll(c, UNFINISHED)
          return Effect.void
        }
      }
    })
  }

  get join(): Effect.Effect<void> {
    const c = this.ring.ctl
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      const v = Atomics.load(c, UNFINISHED)
      if (v === 0) return Effect.void
      return Effect.flatMap(wait(c, UNFINISHED, v), () => loop)
    })
    return loop
  }

  get unfinished(): Effect.Effect<number> {
    return Effect.sync(() => Atomics.load(this.ring.ctl, UNFINISHED))
  }
}

/** What `take` without a timeout fails with. */
type TakeError = QueueClosed | QueueEmpty | DecodeError | SharedStateCorrupted

/** `take`'s continuation without a timeout (one function for every call). */
const takeFirst = (t: Taken): Effect.Effect<unknown, TakeError> =>
  t.ok ? Effect.succeed(t.values[0]) : takeFailure(t, Infinity)

const takeFailure = (
  t: Exclude<Taken, { ok: true }>,
  timeoutMs: number,
): Effect.Effect<never, QueueClosed | QueueEmpty | DecodeError | SharedStateCorrupted> => {
  if (t.blocked === "decode") return Effect.fail(new DecodeError({ message: t.message }))
  if (t.blocked === "corrupted") return Effect.fail(t.error)
  if (t.blocked === "timeout" || t.blocked === "empty") return Effect.fail(new QueueEmpty({ timeoutMs }))
  return Effect.fail(closed)
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as QueueImpl<unknown>
  return new QueueImpl(p.kind, { ctl: p.ctl, data: p.data }, p.hasSchema, undefined)
})

/** Makes a queue of the given kind, validating options. */
export const makeQueue = <A>(
  kind: QueueKind,
  options: QueueMakeOptions | undefined,
): Effect.Effect<QueueImpl<A>, InvalidArgument> =>
  Effect.suspend(() => {
    const capacity = options?.capacity ?? Infinity
    if (capacity !== Infinity) {
      const bad = intIn("capacity", capacity, 1, 0x7fffffff)
      if (bad !== undefined) {
        return Effect.fail(invalid("capacity", "an integer from 1 to 2147483647, or Infinity", capacity))
      }
    }
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES
    // A SharedArrayBuffer's maxByteLength; the ring's byte offsets are Int32 words.
    const bad = intIn("maxBytes", maxBytes, 64, 0x7fffffff)
    if (bad !== undefined) return Effect.fail(bad)
    const buffers = allocate({ capacity: capacity === Infinity ? 0 : capacity, initialBytes: INITIAL_BYTES, maxBytes })
    const schema = options?.schema
    return Effect.succeed(new QueueImpl<A>(kind, buffers, schema !== undefined, itemCodec(schema)))
  })

/** Whether `u` is a live queue of one of `kinds`. */
export const isQueueOf = (u: unknown, kinds: ReadonlyArray<QueueKind>): u is QueueImpl<unknown> =>
  u instanceof QueueImpl && kinds.includes(u.kind)
