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
import { EventImpl } from "./internal/event.ts"

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
export interface Event {
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
  readonly set: Effect.Effect<void>
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
  readonly clear: Effect.Effect<void>
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
  readonly isSet: Effect.Effect<boolean>
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
  readonly wait: Effect.Effect<void>
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
export const make = (): Effect.Effect<Event> => Effect.sync(() => new EventImpl(new SharedArrayBuffer(4)))

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
export const isEvent = (u: unknown): u is Event => u instanceof EventImpl

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
