import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { Condition, Event, Lock, NotLockOwner, RawArray, RLock } from "../../mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { eventually, test } from "../support/mod.ts"

test("Event.set wakes every waiter in three workers", () =>
  Effect.gen(function* () {
    const event = yield* Event.make()
    const arrived = new Int32Array(new SharedArrayBuffer(4))
    const procs = yield* Effect.forEach([1, 2, 3], () => mp.Process.spawn(tasks.waitEvent, { event, arrived }))
    yield* eventually(Effect.sync(() => Atomics.load(arrived, 0) === 3), 10_000)
    yield* Effect.sleep(50)
    for (const p of procs) assert(yield* p.isAlive, "waiting for the event")
    yield* event.set
    const results = yield* Effect.forEach(procs, (p) => p.join, { concurrency: "unbounded" })
    assertEquals(results, ["woken", "woken", "woken"])
  }), { timeout: 30_000 })

test("Event: set, isSet, clear; wait returns at once while set; a set then clear still wakes waiters", () =>
  Effect.gen(function* () {
    const event = yield* Event.make()
    assert(!(yield* event.isSet))
    yield* event.set
    yield* event.set
    assert(yield* event.isSet)
    yield* event.wait
    yield* event.clear
    assert(!(yield* event.isSet))
    assert(Exit.isFailure(yield* Effect.exit(Effect.timeout(event.wait, 30))), "waits again after clear")
    const waiter = yield* Effect.forkChild(event.wait)
    yield* Effect.sleep(10)
    yield* event.set
    yield* event.clear
    yield* Fiber.join(waiter).pipe(Effect.timeout(2_000))
  }))

test(
  "Condition: a producer and a consumer in two workers move 2,000 items through a 4-slot buffer",
  () =>
    Effect.gen(function* () {
      const cond = yield* Condition.make(yield* Lock.make())
      const slots = yield* RawArray.make("i32", 4)
      const state = new Int32Array(new SharedArrayBuffer(12))
      const buffer = { cond, slots, state }
      const n = 2_000
      const consumer = yield* mp.Process.spawn(tasks.consume, { ...buffer, n })
      const producer = yield* mp.Process.spawn(tasks.produce, { ...buffer, n })
      const [sum] = yield* Effect.all([consumer.join, producer.join], { concurrency: 2 })
      assertEquals(sum, n * (n + 1) / 2)
      assertEquals(state[0], 0)
    }),
  { timeout: 60_000 },
)

test("Condition: notify(1) wakes one waiter, notifyAll the rest; waiters hold the lock when they return", () =>
  Effect.gen(function* () {
    const cond = yield* Condition.make()
    const woken: Array<number> = []
    const waiter = (i: number) =>
      cond.withLock(Effect.gen(function* () {
        yield* cond.wait
        assert(yield* (cond.lock as { isOwned: Effect.Effect<boolean> }).isOwned)
        woken.push(i)
      }))
    const fibers = yield* Effect.forEach([1, 2, 3], (i) => Effect.forkChild(waiter(i)))
    yield* Effect.sleep(20)
    yield* cond.withLock(cond.notify())
    yield* Effect.sleep(30)
    assertEquals(woken.length, 1)
    yield* cond.withLock(cond.notifyAll)
    yield* Effect.forEach(fibers, Fiber.join)
    assertEquals(woken.length, 3)
  }))

test("Condition over an RLock taken twice: wait releases it fully and restores both levels", () =>
  Effect.gen(function* () {
    const lock = yield* RLock.make()
    const cond = yield* Condition.make(lock)
    const waiter = yield* Effect.forkChild(lock.withLock(lock.withLock(Effect.gen(function* () {
      yield* cond.wait
      yield* lock.release // one level left after the wait...
      const still = yield* lock.isOwned
      yield* lock.take // ...put it back for the withLock that ends next
      return still
    }))))
    yield* Effect.sleep(20)
    // The waiter released both levels while waiting, so this fiber can take the lock.
    yield* cond.withLock(cond.notify())
    assertEquals(yield* Fiber.join(waiter), true)
    yield* lock.withLock(Effect.void).pipe(Effect.timeout(1_000)) // free again after both levels were released
  }))

test("Condition: a notify with nobody waiting is not remembered", () =>
  Effect.gen(function* () {
    const cond = yield* Condition.make()
    yield* cond.withLock(cond.notifyAll)
    const exit = yield* Effect.exit(Effect.timeout(cond.withLock(cond.wait), 50))
    assert(Exit.isFailure(exit))
  }))

test("Condition: a waiter that timed out leaves the count, and notify(1) still reaches the one left", () =>
  Effect.gen(function* () {
    const cond = yield* Condition.make()
    const patient = yield* Effect.forkChild(cond.withLock(cond.wait))
    const impatient = yield* Effect.exit(Effect.timeout(cond.withLock(cond.wait), 20))
    assert(Exit.isFailure(impatient))
    assertEquals((cond as unknown as { readonly i32: Int32Array }).i32[1], 1, "only the patient waiter is counted")
    yield* cond.withLock(cond.notify(1))
    yield* Fiber.join(patient).pipe(Effect.timeout(2_000))
    assertEquals(
      [
        (cond as unknown as { readonly i32: Int32Array }).i32[1],
        (cond as unknown as { readonly i32: Int32Array }).i32[2],
      ],
      [0, 0],
      "no waiter counted, no wake-up left over",
    )
  }))

test("Condition: wait and notify without holding the lock fail with NotLockOwner", () =>
  Effect.gen(function* () {
    const cond = yield* Condition.make()
    assertInstanceOf(yield* Effect.flip(cond.wait), NotLockOwner)
    assertInstanceOf(yield* Effect.flip(cond.notify()), NotLockOwner)
  }))
