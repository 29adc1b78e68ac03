/**
 * Pool control, item 2: a bounded queue (`maxQueue`) with backpressure
 * (`onFull: "wait"`) or load shedding (`onFull: "fail"`, `QueueFull`). A map
 * larger than the bound enters as room frees; an interrupted waiter leaves
 * nothing behind. On both hosts.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"

const stat = (pool: mp.Pool.Pool, f: (s: mp.Pool.PoolStats) => boolean) => pool.stats.pipe(Effect.map(f))

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(
    `Pool: maxQueue 2, onFull "fail": apply, submit and map fail at once with QueueFull when 2 payloads wait [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 1, maxQueue: 2, onFull: "fail", isolation })
        yield* pool.ready
        const blocker = yield* Effect.forkChild(pool.apply(tasks.sleep, 600))
        yield* eventually(stat(pool, (s) => s.workersBusy === 1), 10_000)
        const queued = yield* Effect.forkChild(pool.map(tasks.double, [1, 2]))
        yield* eventually(stat(pool, (s) => s.queued === 2))
        const full = yield* Effect.flip(pool.apply(tasks.double, 3))
        assertInstanceOf(full, mp.QueueFull)
        assertEquals(full._tag, "QueueFull")
        assertEquals(full.capacity, 2)
        assertInstanceOf(yield* Effect.flip(pool.map(tasks.double, [4])), mp.QueueFull)
        const submitted = yield* pool.submit(tasks.double, 5)
        assertInstanceOf(yield* Effect.flip(Fiber.join(submitted)), mp.QueueFull)
        assertEquals((yield* pool.stats).queued, 2)
        assertEquals(yield* Fiber.join(blocker), 600)
        assertEquals(yield* Fiber.join(queued), [2, 4])
        assertEquals(yield* pool.apply(tasks.double, 6), 12)
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: maxQueue 4, onFull "wait": a map of 60 payloads enters as room frees and completes in order [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 2, maxQueue: 4, isolation })
        const xs = Array.from({ length: 60 }, (_, i) => i)
        let most = 0
        const watch = yield* Effect.forkChild(Effect.forever(
          pool.stats.pipe(Effect.map((s) => most = Math.max(most, s.queued)), Effect.andThen(Effect.sleep(1))),
        ))
        const [a, b] = yield* Effect.all([
          pool.map(tasks.double, xs, { chunkSize: 1 }),
          pool.map(tasks.double, xs, { chunkSize: 1 }),
        ], { concurrency: "unbounded" })
        yield* Fiber.interrupt(watch)
        assertEquals(a, xs.map((x) => x * 2))
        assertEquals(b, xs.map((x) => x * 2))
        assertEquals(most <= 4, true)
      }),
    { timeout: 30_000 },
  )
}

test(`Pool: onFull "wait": a caller waiting for room, interrupted, leaves nothing queued and never runs`, () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, maxQueue: 1 })
    yield* pool.ready
    const blocker = yield* Effect.forkChild(pool.apply(tasks.sleep, 500))
    yield* eventually(stat(pool, (s) => s.workersBusy === 1), 10_000)
    const first = yield* Effect.forkChild(pool.apply(tasks.sleep, 1))
    yield* eventually(stat(pool, (s) => s.queued === 1))
    const waitingApply = yield* Effect.forkChild(pool.apply(tasks.sleep, 2))
    const waitingMap = yield* Effect.forkChild(pool.map(tasks.sleep, [3, 4, 5]))
    const waitingSubmit = yield* Effect.forkChild(pool.submit(tasks.sleep, 6))
    yield* Effect.sleep(100)
    // submit itself waits for room: no fiber yet.
    assertEquals(waitingSubmit.pollUnsafe(), undefined)
    yield* Fiber.interrupt(waitingApply)
    yield* Fiber.interrupt(waitingMap)
    yield* Fiber.interrupt(waitingSubmit)
    assertEquals(yield* Fiber.join(blocker), 500)
    assertEquals(yield* Fiber.join(first), 1)
    yield* pool.close
    const s = yield* pool.stats
    assertEquals([s.completed, s.failed, s.queued], [2, 0, 0])
  }))

test(`Pool: onFull "wait": submit returns its fiber once the queue has room`, () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, maxQueue: 1 })
    const blocker = yield* Effect.forkChild(pool.apply(tasks.sleep, 300))
    yield* eventually(stat(pool, (s) => s.workersBusy === 1), 10_000)
    yield* Effect.forkChild(pool.apply(tasks.sleep, 1))
    yield* eventually(stat(pool, (s) => s.queued === 1))
    const start = performance.now()
    const fiber = yield* pool.submit(tasks.double, 4)
    assertEquals(performance.now() - start >= 100, true)
    assertEquals(yield* Fiber.join(fiber), 8)
    yield* Fiber.join(blocker)
  }))

test("Pool: a terminated pool fails the callers waiting for room with PoolClosed", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, maxQueue: 1 })
    yield* Effect.forkChild(pool.apply(tasks.sleep, 2_000))
    yield* eventually(stat(pool, (s) => s.workersBusy === 1), 10_000)
    yield* Effect.forkChild(pool.apply(tasks.sleep, 1))
    yield* eventually(stat(pool, (s) => s.queued === 1))
    const waiting = yield* Effect.forkChild(Effect.flip(pool.map(tasks.double, [1, 2, 3])))
    yield* Effect.sleep(50)
    yield* pool.terminate
    assertInstanceOf(yield* Fiber.join(waiting), mp.PoolClosed)
  }))

test("Pool.make refuses a bad maxQueue, a bad onFull, and onFull without maxQueue", () =>
  Effect.gen(function* () {
    const cases: Array<[mp.Pool.PoolOptions, string]> = [
      [{ maxQueue: 0 }, "maxQueue"],
      [{ maxQueue: 1.5 }, "maxQueue"],
      [{ maxQueue: 2, onFull: "drop" as "fail" }, "onFull"],
      [{ onFull: "fail" }, "onFull"],
    ]
    for (const [options, argument] of cases) {
      const e = yield* Effect.flip(mp.Pool.make(options))
      assertInstanceOf(e, mp.InvalidArgument)
      assertEquals(e.argument, argument)
    }
  }))
