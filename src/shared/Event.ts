/**
 * A flag shared across workers that fibers can wait for: Python's
 * `multiprocessing.Event`. `set` wakes every waiter in every worker; `clear`
 * lowers the flag again; `wait` returns at once while the flag is set.
 *
 * A waiter that was waiting when `set` happened is woken even if the flag is
 * cleared again right after (the word carries a generation, bumped by each
 * `set`). Waiting never blocks the event loop; timeouts are Effect timeouts.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const waiter: mp.Task.Task<mp.Event.Event, void> // its handler runs `yield* ready.wait`
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const ready = yield* mp.Event.make()
 *   const p = yield* mp.Process.spawn(waiter, ready)
 *   yield* ready.set // wakes every waiter, in every worker
 *   yield* p.join
 * }))
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { notifyAll, wait } from "../internal/futex.ts"
import { registerReviver } from "../internal/revive.ts"
import { hidden } from "./internal/types.ts"

const BRAND = "Event"

// One Int32 word: bit 0 is the flag, bits 1..31 count the sets (wrapping).
const FLAG = 1

/**
 * A cross-worker event flag.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const ready = yield* mp.Event.make()
 *   yield* Effect.forkChild(Effect.andThen(Effect.sleep("10 millis"), ready.set))
 *   yield* ready.wait // returns once some fiber or worker called set()
 * })
 * ```
 */
export class Event {
  /** The brand that lets the worker runtime revive a cloned event. */
  readonly __mp: "Event" = BRAND
  /** The memory holding the event's word. */
  readonly buffer: SharedArrayBuffer
  /** @internal */
  declare readonly i32: Int32Array

  /** @internal Use `make`. */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    hidden(this, "i32", new Int32Array(buffer))
  }

  /**
   * Raises the flag and wakes every waiter, in every worker.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const go = (e: mp.Event.Event) => e.set
   * ```
   */
  get set(): Effect.Effect<void> {
    return Effect.sync(() => {
      for (;;) {
        const w = Atomics.load(this.i32, 0)
        if ((w & FLAG) !== 0) return
        if (Atomics.compareExchange(this.i32, 0, w, (w + 2) | FLAG) === w) break
      }
      notifyAll(this.i32, 0)
    })
  }

  /**
   * Lowers the flag; later `wait`s wait again.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const rearm = (e: mp.Event.Event) => e.clear
   * ```
   */
  get clear(): Effect.Effect<void> {
    return Effect.sync(() => void Atomics.and(this.i32, 0, ~FLAG))
  }

  /**
   * Whether the flag is raised right now.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const check = (e: mp.Event.Event) => e.isSet
   * ```
   */
  get isSet(): Effect.Effect<boolean> {
    return Effect.sync(() => (Atomics.load(this.i32, 0) & FLAG) !== 0)
  }

  /**
   * Waits until the flag is raised (returns at once if it is). Bound it with
   * an Effect timeout: `e.wait.pipe(Effect.timeout("1 second"))`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const ready = (e: mp.Event.Event) => e.wait.pipe(Effect.timeoutOption("1 second"))
   * ```
   */
  get wait(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const w = Atomics.load(this.i32, 0)
      if ((w & FLAG) !== 0) return Effect.void
      // Any change of a word whose flag is down is a set (clear leaves it unchanged).
      const loop: Effect.Effect<void> = Effect.flatMap(
        wait(this.i32, 0, w),
        () => Atomics.load(this.i32, 0) !== w ? Effect.void : loop,
      )
      return loop
    })
  }
}

/**
 * Creates an event whose flag is down.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const ready = Effect.runSync(mp.Event.make())
 * ```
 */
export const make = (): Effect.Effect<Event> => Effect.sync(() => new Event(new SharedArrayBuffer(4)))

/**
 * Whether `u` is an `Event` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Event.isEvent(u)
 * ```
 */
export const isEvent = (u: unknown): u is Event => u instanceof Event

/**
 * A Schema for an `Event` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ ready: mp.Event.schema })
 * ```
 */
export const schema: Schema.declare<Event> = Schema.declare(isEvent, { title: "Event", expected: "Event" })

registerReviver(BRAND, (plain) => new Event((plain as unknown as Event).buffer))
