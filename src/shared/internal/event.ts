/**
 * The implementation of `Event` (see `../Event.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { notifyAll, wait } from "../../internal/futex.ts"
import { registerReviver } from "../../internal/revive.ts"
import { hidden } from "./types.ts"
import type { Event } from "../Event.ts"

const BRAND = "Event"

// One Int32 word: bit 0 is the flag, bits 1..31 count the sets (wrapping).
const FLAG = 1

/** The class behind `Event`. */
export class EventImpl implements Event {
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

registerReviver(BRAND, (plain) => new EventImpl((plain as unknown as EventImpl).buffer))
