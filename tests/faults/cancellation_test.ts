/**
 * The caller goes away, or the pool does: a caller interrupted in the middle
 * of `map`, `imap` or `submit` stops its remote work (nothing keeps running
 * for nobody, nothing stays queued); a pool whose Scope closes while tasks are
 * queued, running or still being sent fails its waiting callers with
 * `PoolClosed` instead of leaving them hanging; work offered to a closed pool
 * fails at once. (Covered elsewhere: interrupting one `submit` fiber, map
 * failing fast, `terminate` with queued and running work, close then apply,
 * in `tests/pool/pool_suite.ts`.)
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertLess } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { eventually, test } from "../support/mod.ts"
import { serves, settledWithoutReplacement } from "./_helpers.ts"

const stoppable = [
  ["an Effect handler", tasks.sleep],
  ["a Promise handler that honours its AbortSignal", tasks.sleepPromise],
  ["a synchronous loop that calls checkpoint()", tasks.spinCooperative],
] as const

for (const [kind, task] of stoppable) {
  test(`Interrupting the caller in the middle of map stops its running tasks (${kind}) and drops the queued ones; no worker is replaced`, () =>
    Effect.gen(function* () {
      // A long grace: a task that did not stop would get its worker replaced only after the test's checks.
      const pool = yield* mp.Pool.make({ size: 2, interruptGrace: 10_000 })
      yield* serves(pool)
      const fiber = yield* Effect.forkChild(pool.map(task, Array.from({ length: 10 }, () => 60_000), { chunkSize: 1 }))
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 2 && s.queued === 8)))
      yield* Effect.sleep(50)
      yield* Fiber.interrupt(fiber)
      yield* settledWithoutReplacement(pool)
      yield* serves(pool)
    }))
}

test("A consumer that stops reading an imap stream early stops the remote work it no longer needs", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, interruptGrace: 10_000 })
    // Five quick tasks, then long ones: those already sent must be stopped, the rest never sent.
    const input = Array.from({ length: 1_000 }, (_, i) => i < 5 ? 10 + i : 60_000)
    const firsts = yield* Stream.runCollect(pool.imap(tasks.sleep, input).pipe(Stream.take(5)))
    assertEquals(Array.from(firsts), input.slice(0, 5))
    yield* settledWithoutReplacement(pool)
    // imap pulls ahead only as far as its concurrency allows, not the whole input.
    const stats = yield* pool.stats
    assertEquals(stats.completed, 5)
    yield* serves(pool)
  }))

test("Interrupting the fiber that drains an imap stream stops its running tasks; no worker is replaced", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, interruptGrace: 10_000 })
    let seen = 0
    const fiber = yield* Effect.forkChild(
      pool.imapUnordered(tasks.sleepPromise, Array.from({ length: 100 }, (_, i) => i < 4 ? 10 : 60_000)).pipe(
        Stream.runForEach(() => Effect.sync(() => seen++)),
      ),
    )
    yield* eventually(Effect.sync(() => seen === 4))
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 2)))
    yield* Fiber.interrupt(fiber)
    yield* settledWithoutReplacement(pool)
    yield* serves(pool)
  }))

test("Interrupting 100 submitted fibers stops their remote tasks and empties the queue; no worker is replaced", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, interruptGrace: 10_000 })
    const fibers = yield* Effect.forEach(Array.from({ length: 100 }), () => pool.submit(tasks.sleep, 60_000))
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 2 && s.queued === 98)))
    yield* Fiber.interruptAll(fibers)
    for (const fiber of fibers) assert(Exit.hasInterrupts(yield* Fiber.await(fiber)))
    yield* settledWithoutReplacement(pool)
    yield* serves(pool)
  }))

/** Runs `body` with a pool in a Scope of its own, and closes that Scope when `body` says so. */
const withClosingPool = <A>(
  size: number,
  body: (pool: mp.Pool.Pool, close: Effect.Effect<void>) => Effect.Effect<A, unknown, Scope.Scope>,
) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const pool = yield* mp.Pool.make({ size }).pipe(Scope.provide(scope))
    return yield* body(pool, Scope.close(scope, Exit.void))
  })

test("When a pool's Scope closes, callers waiting on queued and running work from outside it fail with PoolClosed, not a hang", () =>
  Effect.gen(function* () {
    const outcome = yield* withClosingPool(2, (pool, close) =>
      Effect.gen(function* () {
        const mapping = yield* Effect.forkChild(
          pool.map(tasks.sleep, [60_000, 60_000, 60_000, 60_000], { chunkSize: 1 }),
        )
        const applying = yield* Effect.forkChild(pool.apply(tasks.sleep, 60_000))
        const streaming = yield* Effect.forkChild(Stream.runCollect(pool.imap(tasks.sleep, [60_000, 60_000])))
        yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 2 && s.queued > 0)))
        const start = performance.now()
        yield* close
        const errors = [
          yield* Effect.flip(Fiber.join(mapping)),
          yield* Effect.flip(Fiber.join(applying)),
          yield* Effect.flip(Fiber.join(streaming)),
        ]
        return { errors, ms: performance.now() - start }
      }))
    for (const e of outcome.errors) assertInstanceOf(e, mp.PoolClosed)
    assertLess(outcome.ms, 1_000)
    assertEquals(mp.activeChildren().length, 0)
  }))

test("When a pool's Scope closes while a large map is half sent (some chunks in the workers, most still queued), the map fails with PoolClosed", () =>
  Effect.gen(function* () {
    const outcome = yield* withClosingPool(2, (pool, close) =>
      Effect.gen(function* () {
        const xs = Array.from({ length: 200_000 }, (_, i) => i)
        const mapping = yield* Effect.forkChild(pool.mapExit(tasks.doubleAsync, xs, { chunkSize: 10 }))
        yield* eventually(pool.stats.pipe(Effect.map((s) => s.completed > 0)))
        const before = yield* pool.stats
        yield* close
        return { exits: yield* Fiber.join(mapping), before }
      }))
    assert(outcome.before.queued > 0, "some chunks were still queued")
    const { exits } = outcome
    assertEquals(exits.length, 200_000)
    let ok = 0
    let closed = 0
    exits.forEach((exit, i) => {
      if (Exit.isSuccess(exit)) {
        assertEquals(exit.value, 2 * i)
        ok++
      } else {
        const e = Exit.findErrorOption(exit)
        assert(e._tag === "Some" && e.value instanceof mp.PoolClosed, String(exit))
        closed++
      }
    })
    assert(ok > 0 && closed > 0, `${ok} ran, ${closed} were closed`)
    assertEquals(ok + closed, 200_000)
    assertEquals(mp.activeChildren().length, 0)
  }))

test("When a pool's Scope closes in the same tick as a map is enqueued (nothing sent yet), the map fails with PoolClosed", () =>
  Effect.gen(function* () {
    const error = yield* withClosingPool(2, (pool, close) =>
      Effect.gen(function* () {
        const mapping = yield* Effect.forkChild(pool.map(tasks.double, [1, 2, 3, 4, 5, 6]), { startImmediately: true })
        yield* close
        return yield* Effect.flip(Fiber.join(mapping))
      }))
    assertInstanceOf(error, mp.PoolClosed)
    assertEquals(mp.activeChildren().length, 0)
  }))

test("Work offered to a pool after its Scope closed fails at once with PoolClosed: apply, map, starmap, imap, submit (mapExit: one PoolClosed per payload)", () =>
  Effect.gen(function* () {
    const pool = yield* Effect.scoped(mp.Pool.make({ size: 1 }))
    const start = performance.now()
    assertInstanceOf(yield* Effect.flip(pool.apply(tasks.double, 1)), mp.PoolClosed)
    assertInstanceOf(yield* Effect.flip(pool.map(tasks.double, [1, 2])), mp.PoolClosed)
    assertInstanceOf(yield* Effect.flip(pool.starmap(tasks.add, [[1, 2]])), mp.PoolClosed)
    assertInstanceOf(yield* Effect.flip(Stream.runCollect(pool.imap(tasks.double, [1, 2]))), mp.PoolClosed)
    assertInstanceOf(yield* Effect.flip(Stream.runCollect(pool.imapUnordered(tasks.double, [1]))), mp.PoolClosed)
    const fiber = yield* pool.submit(tasks.double, 1)
    assertInstanceOf(yield* Effect.flip(Fiber.join(fiber)), mp.PoolClosed)
    const exits = yield* pool.mapExit(tasks.double, [1, 2, 3])
    assertEquals(exits.length, 3)
    for (const exit of exits) {
      const e = Exit.findErrorOption(exit)
      assert(e._tag === "Some" && e.value instanceof mp.PoolClosed)
    }
    assertLess(performance.now() - start, 500)
    assertEquals(mp.activeChildren().length, 0)
  }))
