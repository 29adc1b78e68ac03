import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { BoundedSemaphore, Semaphore, SemaphoreOverRelease } from "../../mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { test } from "../support/mod.ts"

test("BoundedSemaphore: holders never exceed the bound with three workers contending", () =>
  Effect.gen(function* () {
    const sem = yield* BoundedSemaphore.make(2)
    const inside = new Int32Array(new SharedArrayBuffer(8))
    const procs = yield* Effect.forEach(
      [1, 2, 3],
      () => mp.Process.spawn(tasks.boundedSection, { sem, inside, n: 2_000 }),
    )
    yield* Effect.forEach(procs, (p) => p.join, { concurrency: "unbounded" })
    assert(inside[1] <= 2, `at most 2 holders at once, saw ${inside[1]}`)
    assert(inside[1] >= 1)
    assertEquals(inside[0], 0)
    assertEquals(yield* sem.getValue, 2, "every permit came back")
  }), { timeout: 60_000 })

test("BoundedSemaphore: releasing past the bound is SemaphoreOverRelease and gives nothing back", () =>
  Effect.gen(function* () {
    const sem = yield* BoundedSemaphore.make(1)
    assertEquals(sem.bound, 1)
    const e = yield* Effect.flip(sem.release)
    assertInstanceOf(e, SemaphoreOverRelease)
    assertEquals(e.bound, 1)
    assertEquals(yield* sem.getValue, 1)
    yield* sem.take
    yield* sem.release
    assertEquals(yield* sem.getValue, 1)
    assertInstanceOf(yield* Effect.flip(BoundedSemaphore.make(0)), mp.InvalidArgument)
  }))

test("Semaphore: a release in one worker wakes a taker in another", () =>
  Effect.gen(function* () {
    const sem = yield* Semaphore.make(0)
    const taker = yield* mp.Process.spawn(tasks.takePermit, { sem })
    yield* Effect.sleep(100)
    assert(yield* taker.isAlive, "the taker waits for a permit")
    yield* sem.release
    assertEquals(yield* taker.join, "got it")
    assertEquals(yield* sem.getValue, 0)
  }), { timeout: 30_000 })

test("Semaphore: acquire is scoped, withPermit releases on failure, a timed-out take takes nothing", () =>
  Effect.gen(function* () {
    const sem = yield* Semaphore.make(1)
    yield* Effect.scoped(Effect.gen(function* () {
      yield* sem.acquire
      assertEquals(yield* sem.getValue, 0)
      assert(!(yield* sem.tryAcquire))
      const timedOut = yield* Effect.exit(Effect.timeout(sem.take, 30))
      assert(Exit.isFailure(timedOut))
    }))
    assertEquals(yield* sem.getValue, 1)
    assert(Exit.isFailure(yield* Effect.exit(sem.withPermit(Effect.fail("boom")))))
    assertEquals(yield* sem.getValue, 1)
    const waiter = yield* Effect.forkChild(sem.withPermit(Effect.never))
    yield* Effect.sleep(10)
    assertEquals(yield* sem.getValue, 0)
    yield* Fiber.interrupt(waiter)
    assertEquals(yield* sem.getValue, 1)
    assertInstanceOf(yield* Effect.flip(Semaphore.make(-1)), mp.InvalidArgument)
    assertInstanceOf(yield* Effect.flip(Semaphore.make(1.5)), mp.InvalidArgument)
  }))

test("Semaphore: permits go to waiters in any order, never more than released", () =>
  Effect.gen(function* () {
    const sem = yield* Semaphore.make(0)
    const got: Array<number> = []
    const fibers = yield* Effect.forEach(
      [1, 2, 3],
      (i) => Effect.forkChild(Effect.andThen(sem.take, Effect.sync(() => got.push(i)))),
    )
    yield* Effect.sleep(10)
    yield* sem.release
    yield* sem.release
    yield* Effect.sleep(30)
    assertEquals(got.length, 2)
    yield* sem.release
    yield* Effect.forEach(fibers, Fiber.join)
    assertEquals(got.length, 3)
  }))
