/**
 * `Pool.through`: a pipeable stream stage over any `Pool` (its public
 * interface only, so it works over every implementation of it). Effect's
 * `Stream.mapEffect` bounds the tasks in flight and keeps or drops the order;
 * interrupting the stream interrupts those fibers, and each one cancels its
 * remote task. With `chunkSize > 1` the input travels in groups of that many
 * payloads, one `mapExit` per group (each group waits until it is full, or
 * the input ends).
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { PoolError } from "../../errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import type { Pool } from "../interface.ts"

type AnyExit = Exit.Exit<unknown, unknown>

/** The checked options of one stage. */
export interface Stage {
  readonly concurrency: number
  readonly ordered: boolean
  readonly chunkSize: number
  readonly retry: Schedule.Schedule<unknown, never> | undefined
  readonly exits: boolean
}

/** Runs `input` through `task` on `pool`; emits Exits (`stage.exits`) or values (failing at the first failure). */
export const throughStream = <E2, R2>(
  pool: Pool,
  task: AnyTask,
  stage: Stage,
  input: Stream.Stream<unknown, E2, R2>,
): Stream.Stream<unknown, unknown, R2> => {
  const { retry } = stage
  /** Retries one item whose first attempt ended with `first`, as `retry` says. */
  const again = (payload: unknown, first: AnyExit): Effect.Effect<AnyExit> => {
    if (retry === undefined || Exit.isSuccess(first) || Exit.hasInterrupts(first)) return Effect.succeed(first)
    let attempts = 0
    const attempt = Effect.suspend(() => attempts++ === 0 ? first : pool.apply(task, payload))
    return Effect.exit(Effect.retry(attempt, retry as Schedule.Schedule<unknown, unknown>))
  }
  const one = (payload: unknown): Effect.Effect<AnyExit> =>
    Effect.flatMap(Effect.exit(pool.apply(task, payload)), (exit) => again(payload, exit))
  const group = (payloads: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<AnyExit>, unknown> =>
    Effect.flatMap(
      pool.mapExit(task, payloads, { chunkSize: stage.chunkSize }),
      (exits) => Effect.forEach(exits, (exit, i) => again(payloads[i], exit)),
    )
  const options = { concurrency: stage.concurrency, unordered: !stage.ordered }
  const exits: Stream.Stream<AnyExit, unknown, R2> = stage.chunkSize === 1
    ? Stream.mapEffect(input, one, options)
    : input.pipe(Stream.grouped(stage.chunkSize), Stream.mapEffect(group, options), Stream.flattenIterable)
  // Without `exits`, the first failure (in the order emitted) ends the stream after what came before it.
  return stage.exits ? exits : Stream.mapEffect(exits, (exit) => exit as Effect.Effect<unknown, PoolError>)
}
