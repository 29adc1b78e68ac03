/**
 * Honest stats: tasks stopped because their caller was interrupted, and
 * Worker threads still running task code after they were terminated.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { stubborn } from "../fixtures/pool_tasks.ts"
import { test } from "../support/mod.ts"

const until = (pool: mp.Pool.Pool, f: (s: mp.Pool.PoolStats) => boolean) =>
  Effect.repeat(pool.stats, { until: f, schedule: Schedule.spaced("20 millis") })

test("pool.stats counts tasks that were running when their caller was interrupted (interrupted)", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    assertEquals((yield* pool.stats).interrupted, 0)
    const fiber = yield* pool.submit(tasks.sleep, 60_000)
    const queued = yield* pool.submit(tasks.sleep, 60_000)
    yield* until(pool, (s) => s.running === 2)
    yield* Fiber.interrupt(fiber)
    yield* Fiber.interrupt(queued)
    const stats = yield* until(pool, (s) => s.running === 0)
    assertEquals(stats.interrupted, 2)
    // A task that was still queued when its caller went away is not counted.
    const pool1 = yield* mp.Pool.make({ size: 1 })
    const running = yield* pool1.submit(tasks.sleep, 60_000)
    yield* until(pool1, (s) => s.running === 1)
    const waiting = yield* pool1.submit(tasks.sleep, 60_000)
    yield* Fiber.interrupt(waiting)
    yield* Fiber.interrupt(running)
    assertEquals((yield* until(pool1, (s) => s.running === 0)).interrupted, 1)
  }))

test(
  "pool.stats counts a Worker thread terminated in synchronous task code as stuck until it leaves it (stuckThreads)",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, taskTimeout: "100 millis", interruptGrace: "50 millis" })
      // Spins 3 s without yielding: the timeout terminates its worker, the thread runs on, then ends.
      yield* Effect.flip(pool.apply(stubborn, 3_000))
      assertEquals((yield* until(pool, (s) => s.stuckThreads === 1)).stuckThreads, 1)
      assertEquals((yield* until(pool, (s) => s.stuckThreads === 0)).stuckThreads, 0)
    }),
  { timeout: 30_000 },
)
