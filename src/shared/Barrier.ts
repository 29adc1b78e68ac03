/**
 * A barrier for a fixed number of parties across workers: Python's
 * `multiprocessing.Barrier`. Each party calls `wait`; when the last one
 * arrives, all are released together and the barrier is ready for the next
 * round. `wait` succeeds with the party's arrival index (`0 .. parties - 1`).
 *
 * With an `action` (Python's `action=`), the party that trips the barrier
 * (the last to arrive) runs it before anyone is released. An action that
 * fails breaks the barrier: every party fails with `BrokenBarrier`
 * ("action-failed"; the tripping party's error carries the failure in
 * `detail`). Across workers the action runs in whichever party trips, so give
 * a `Task` taking no payload (found again in the worker by its module URL and
 * name, like any task); an `Effect` action lives in the thread that made the
 * barrier, and a party in another worker that trips it breaks the barrier
 * ("action-failed") instead of running it.
 *
 * A broken barrier is a typed error, `BrokenBarrier`, for every waiting and
 * every later party until `reset`: after `abort`, after a party's `timeout`
 * elapsed (the option of `make` or of `wait`), after a waiting party was
 * interrupted (an Effect timeout included: a party that leaves would make the
 * others wait forever), for the parties waiting when `reset` is called, or
 * when the action failed.
 *
 * Layout (Int32 words): `[mutex, count, phase, reason, parties, action, outcome x 64]`
 * where `phase` is `generation << 1 | broken` (waiters sleep on it) and
 * `outcome[g % 64]` tells the parties of generation `g` whether it tripped or
 * was reset. `count === parties` while the action runs: a party arriving then
 * belongs to the next round and waits for this one to end.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const phases: mp.Task.Task<mp.Barrier.Barrier, void> // runs `yield* barrier.wait()` between phases
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const barrier = yield* mp.Barrier.make(3, { timeout: "10 seconds" })
 *   const parties = yield* Effect.forEach([1, 2, 3], () => mp.Process.spawn(phases, barrier))
 *   yield* Effect.forEach(parties, (p) => p.join, { concurrency: "unbounded" })
 * }))
 * ```
 *
 * @module
 */
import { shown, timeoutMs as checkTimeout } from "../internal/arguments.ts"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidArgument } from "../errors.ts"
import type { BrokenBarrier } from "./errors.ts"
import type { Task } from "../task/Task.ts"
import { BarrierImpl, makeBarrier } from "./internal/barrier.ts"

/** Options of `make` and `wait`. */
export interface BarrierOptions {
  /** How long a party waits for the others before it breaks the barrier. Default: forever. */
  readonly timeout?: Duration.Input | undefined
}

/**
 * What the tripping party runs before the others are released: an Effect (in
 * the thread that made the barrier), or a Task taking no payload (in any
 * worker).
 */
export type BarrierAction<P = never> =
  | Effect.Effect<unknown, unknown>
  | Task<void, unknown, unknown>
  | Task<undefined, unknown, unknown>
  | TaskAction<P>

/**
 * A Task action with its payload: the payload crosses into workers with the
 * barrier (by structured clone; shared objects in it work on the other side)
 * and is given to the handler as is (the task's payload schema is not applied).
 */
export interface TaskAction<P> {
  /** The task to run. */
  readonly task: Task<P, unknown, unknown>
  /** Its payload. */
  readonly payload: NoInfer<P>
}

/** Options of `make`. */
export interface MakeOptions<P = never> extends BarrierOptions {
  /** Run by the party that trips the barrier, before anyone is released (Python's `action`). */
  readonly action?: BarrierAction<P> | undefined
}

/**
 * A cross-worker barrier for `parties` parties.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const barrier = yield* mp.Barrier.make(2)
 *   const party = (name: string) => Effect.andThen(barrier.wait(), Effect.log(`${name} passed`))
 *   yield* Effect.all([party("a"), party("b")], { concurrency: 2 })
 * })
 * ```
 */
export interface Barrier {
  /**
   * The number of parties needed to pass.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const n = (b: mp.Barrier.Barrier) => b.parties
   * ```
   */
  readonly parties: number
  /**
   * Waits for the other parties; succeeds with this party's arrival index.
   * Fails with `BrokenBarrier` when the barrier is or becomes broken.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const sync = (b: mp.Barrier.Barrier) => b.wait({ timeout: "5 seconds" })
   * ```
   */
  wait(): Effect.Effect<number, BrokenBarrier>
  /** With a timeout for this wait: a negative or malformed one is an `InvalidArgument`, `Infinity` waits for ever. */
  wait(options: BarrierOptions): Effect.Effect<number, BrokenBarrier | InvalidArgument>
  /**
   * Breaks the barrier: every waiting and later party fails with
   * `BrokenBarrier` ("aborted") until `reset`.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const giveUp = (b: mp.Barrier.Barrier) => b.abort
   * ```
   */
  readonly abort: Effect.Effect<void>
  /**
   * Returns the barrier to its empty, unbroken state. Parties waiting right
   * now fail with `BrokenBarrier` ("reset").
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const again = (b: mp.Barrier.Barrier) => b.reset
   * ```
   */
  readonly reset: Effect.Effect<void>
  /**
   * The number of parties waiting right now.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const waiting = (b: mp.Barrier.Barrier) => b.nWaiting
   * ```
   */
  readonly nWaiting: Effect.Effect<number>
  /**
   * Whether the barrier is broken.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const check = (b: mp.Barrier.Barrier) => b.isBroken
   * ```
   */
  readonly isBroken: Effect.Effect<boolean>
  /**
   * Whether the barrier is broken, now (Python's `broken`; `isBroken` as an Effect).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const check = (b: mp.Barrier.Barrier): boolean => b.broken
   * ```
   */
  readonly broken: boolean
}

/**
 * Creates a barrier for `parties` parties (a positive integer, else
 * `InvalidArgument`), with an optional default `timeout` for `wait`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const barrier = Effect.runSync(mp.Barrier.make(4, { timeout: "10 seconds" }))
 * ```
 */
export const make = <P = never>(parties: number, options?: MakeOptions<P>): Effect.Effect<Barrier, InvalidArgument> =>
  Effect.suspend(() => {
    if (!Number.isInteger(parties) || parties < 1 || parties >= 2 ** 31) {
      return Effect.fail(
        new InvalidArgument({
          argument: "parties",
          message: `parties must be an integer from 1 to 2147483647, got ${shown(parties)}`,
        }),
      )
    }
    const timeoutMs = checkTimeout("timeout", options?.timeout) ?? Infinity
    if (typeof timeoutMs === "object") return Effect.fail(timeoutMs)
    const barrier = makeBarrier(parties, timeoutMs, options?.action)
    return barrier instanceof InvalidArgument ? Effect.fail(barrier) : Effect.succeed(barrier)
  })

/**
 * Whether `u` is a `Barrier` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Barrier.isBarrier(u)
 * ```
 */
export const isBarrier = (u: unknown): u is Barrier => u instanceof BarrierImpl

/**
 * A Schema for a `Barrier` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ barrier: mp.Barrier.schema })
 * ```
 */
export const schema: Schema.declare<Barrier> = Schema.declare(isBarrier, { title: "Barrier", expected: "Barrier" })
