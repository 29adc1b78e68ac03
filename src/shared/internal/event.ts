/**
 * The implementation of `Event` (see `../Event.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { notifyAll, wait } from "../../internal/futex.ts"
import { registerReviver } from "../../internal/revive.ts"
import { hidden } from "../../internal/hidden.ts"
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
  declare readonly i32: Int32Array

  /** Use `make`. */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    hidden(this, "i32", new Int32Array(buffer))
  }

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

  get clear(): Effect.Effect<void> {
    return Effect.sync(() => void Atomics.and(this.i32, 0, ~FLAG))
  }

  get isSet(): Effect.Effect<boolean> {
    return Effect.sync(() => (Atomics.load(this.i32, 0) & FLAG) !== 0)
  }

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
