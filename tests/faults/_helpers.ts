/**
 * Helpers shared by the fault-injection suite.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { assertEquals } from "@std/assert"
import type * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { eventually } from "../support/mod.ts"

/** The pool still serves: a map over a few payloads, one chunk each, returns the right values. */
export const serves = (pool: mp.Pool.Pool): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    assertEquals(yield* pool.map(tasks.double, [1, 2, 3, 4], { chunkSize: 1 }), [2, 4, 6, 8])
  })

/** Nothing runs or waits in the pool, and no worker was replaced to get there. */
export const settledWithoutReplacement = (pool: mp.Pool.Pool, timeoutMs = 1_500): Effect.Effect<void> =>
  Effect.gen(function* () {
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 0 && s.queued === 0)), timeoutMs)
    assertEquals((yield* pool.stats).workersReplaced, 0)
  })
