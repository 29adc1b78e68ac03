/**
 * Pool control, item 1: an elastic pool (`minSize`, `maxSize`) grows under load
 * and shrinks back to `minSize` when idle; `pool.ready` waits for the kept
 * workers; `pool.resize(n)` changes the size at run time, and a resize below
 * the number of busy workers lets them finish before they retire. On both hosts.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { slowInit } from "../fixtures/pool_tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"

const alive = (pool: mp.Pool.Pool, n: number) => pool.stats.pipe(Effect.map((s) => s.workersAlive === n))

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(
    `Pool: minSize 1, maxSize 3: ready waits for 1 worker, load grows the pool to 3, idleTimeout shrinks it back to 1 [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ minSize: 1, maxSize: 3, idleTimeout: 300, isolation })
        yield* pool.ready
        assertEquals((yield* pool.stats).workersAlive, 1)
        assertEquals(pool.size, 3)
        let most = 0
        const watch = yield* Effect.forkChild(Effect.forever(
          pool.stats.pipe(Effect.map((s) => most = Math.max(most, s.workersAlive)), Effect.andThen(Effect.sleep(5))),
        ))
        assertEquals(yield* pool.map(tasks.sleep, [800, 800, 800, 800, 800, 800], { chunkSize: 1 }), [
          800,
          800,
          800,
          800,
          800,
          800,
        ])
        yield* Fiber.interrupt(watch)
        assertEquals(most, 3)
        yield* eventually(alive(pool, 1), 10_000)
        // It stays at minSize: the last worker does not idle out.
        yield* Effect.sleep(600)
        assertEquals((yield* pool.stats).workersAlive, 1)
        assertEquals((yield* pool.stats).workersReplaced, 0)
      }),
    { timeout: 40_000 },
  )

  test(
    `Pool: resize below the number of busy workers: every running task finishes, then the extra workers retire [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 3, isolation })
        yield* pool.ready
        // Long enough that all three are running at once even when the machine is busy and one starts late.
        const running = yield* Effect.forkChild(
          Effect.all([3000, 3000, 3000].map((ms) => pool.apply(tasks.sleep, ms)), { concurrency: "unbounded" }),
        )
        yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 3)), 10_000)
        yield* pool.resize(1)
        assertEquals(pool.size, 1)
        assertEquals(yield* Fiber.join(running), [3000, 3000, 3000])
        yield* eventually(alive(pool, 1), 10_000)
        assertEquals((yield* pool.stats).workersReplaced, 0)
        assertEquals(yield* pool.map(tasks.double, [1, 2, 3]), [2, 4, 6])
        assertEquals((yield* pool.stats).workersAlive, 1)
      }),
    { timeout: 40_000 },
  )

  test(`Pool: resize up starts more workers as work waits [${isolation}]`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ minSize: 1, maxSize: 1, isolation })
      yield* pool.ready
      yield* pool.resize(3)
      const pids = yield* pool.map(tasks.pid, [0, 0, 0], { chunkSize: 1 })
      assertEquals(pids.length, 3)
      yield* pool.map(tasks.sleep, [600, 600, 600], { chunkSize: 1 })
      assertEquals((yield* pool.stats).workersAlive, 3)
    }), { timeout: 40_000 })
}

test("Pool: ready waits for the initializer of every kept worker", () =>
  Effect.gen(function* () {
    const start = performance.now()
    const pool = yield* mp.Pool.make({ minSize: 2, maxSize: 4, initializer: slowInit, initializerPayload: 300 })
    yield* pool.ready
    const s = yield* pool.stats
    assertEquals(s.workersAlive, 2)
    assertEquals(performance.now() - start >= 300, true)
  }))

test("Pool: ready fails with WorkerCrashed when the initializer breaks the pool", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ minSize: 1, maxSize: 2, initializer: tasks.throws, initializerPayload: "boom" })
    assertInstanceOf(yield* Effect.flip(pool.ready), mp.WorkerCrashed)
  }))

test("Pool: ready fails with PoolClosed once the pool is terminated", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, initializer: slowInit, initializerPayload: 5_000 })
    const waiting = yield* Effect.forkChild(Effect.flip(pool.ready))
    yield* Effect.sleep(50)
    yield* pool.terminate
    assertInstanceOf(yield* Fiber.join(waiting), mp.PoolClosed)
  }))

test("Pool: maxSize alone starts no worker until work comes, then grows from zero", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ maxSize: 2 })
    yield* pool.ready
    assertEquals((yield* pool.stats).workersAlive, 0)
    assertEquals(yield* pool.apply(tasks.double, 21), 42)
  }))

test("Pool.make refuses size with minSize or maxSize, minSize above maxSize, and bad sizes; resize refuses bad n", () =>
  Effect.gen(function* () {
    const refused = (options: mp.Pool.PoolOptions) => Effect.flip(mp.Pool.make(options))
    const cases: Array<[mp.Pool.PoolOptions, string]> = [
      [{ size: 2, minSize: 1 }, "minSize"],
      [{ size: 2, maxSize: 4 }, "maxSize"],
      [{ minSize: 3, maxSize: 2 }, "minSize"],
      [{ minSize: -1 }, "minSize"],
      [{ minSize: 1.5 }, "minSize"],
      [{ maxSize: 0 }, "maxSize"],
    ]
    for (const [options, argument] of cases) {
      const e = yield* refused(options)
      assertInstanceOf(e, mp.InvalidArgument)
      assertEquals(e.argument, argument)
    }
    const pool = yield* mp.Pool.make({ size: 1 })
    for (const n of [0, -1, 1.5, Number.NaN, undefined as unknown as number]) {
      const e = yield* Effect.flip(pool.resize(n))
      assertInstanceOf(e, mp.InvalidArgument)
      assertEquals(e.argument, "n")
    }
    yield* pool.terminate
    assertInstanceOf(yield* Effect.flip(pool.resize(2)), mp.PoolClosed)
  }))
