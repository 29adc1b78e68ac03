import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { Array as SharedArray, Condition, NotLockOwner, RLock, Value } from "../../mod.ts"
import { test } from "../support/mod.ts"

/** Whether nobody holds the lock (its mutex word is 0). */
const isFree = (lock: unknown): boolean => {
  const word = lock as { readonly buffer: SharedArrayBuffer; readonly index: number } // its internal fields
  return Atomics.load(new Int32Array(word.buffer), word.index) === 0
}

test("Condition: wait under Effect.timeoutOption inside withLock times out cleanly (its doc example)", () =>
  Effect.gen(function* () {
    const c = yield* Condition.make()
    const r = yield* c.withLock(c.wait.pipe(Effect.timeoutOption("100 millis")))
    assert(Option.isNone(r))
    assert(isFree(c.lock), "released after the section")
    // The lock is usable by anyone afterwards.
    yield* Effect.forkChild(c.withLock(Effect.void)).pipe(Effect.flatMap(Fiber.join), Effect.timeout("2 seconds"))
  }))

test("Condition: a wait in a child fiber of the holder is woken by notify() and hands the lock back", () =>
  Effect.gen(function* () {
    const c = yield* Condition.make()
    const flag = yield* Value.make("i", 0)
    const waiter = yield* Effect.forkChild(
      c.withLock(Effect.gen(function* () {
        yield* c.waitFor(Effect.map(flag.get, (n) => n > 0)).pipe(Effect.timeout("10 seconds"))
        assert(yield* (c.lock as RLock.RLock).isOwned, "the section's fiber owns the lock again after the wait")
        return yield* flag.get
      })),
    )
    yield* Effect.sleep(20)
    yield* c.withLock(Effect.andThen(flag.set(7), c.notify()))
    assertEquals(yield* Fiber.join(waiter), 7)
    assert(isFree(c.lock))
  }))

test("Value: get/update() under Effect.timeout inside getLock().withLock() re-enter instead of waiting for themselves", () =>
  Effect.gen(function* () {
    const v = yield* Value.make("i", 41)
    const n = yield* v.getLock().withLock(
      Effect.andThen(
        v.update((x) => x + 1).pipe(Effect.timeout("2 seconds")),
        v.get.pipe(Effect.timeout("2 seconds")),
      ),
    )
    assertEquals(n, 42)
    assert(isFree(v.getLock()))
  }))

test("RLock: fibers forked inside withLock (race, all with concurrency, forkScoped) own it; others do not", () =>
  Effect.gen(function* () {
    const lock = yield* RLock.make()
    const arr = yield* SharedArray.make("i", 4)
    yield* lock.withLock(Effect.gen(function* () {
      assert(yield* Effect.race(lock.withLock(lock.isOwned), Effect.never))
      yield* Effect.all(
        [0, 1, 2, 3].map((i) => arr.update(i, (x) => x + i)),
        { concurrency: "unbounded" },
      )
      const child = yield* Effect.scoped(Effect.gen(function* () {
        const f = yield* Effect.forkScoped(Effect.andThen(lock.take, lock.release))
        return yield* Fiber.join(f)
      }))
      assertEquals(child, undefined)
      // A level taken by a child fiber is released by it; the section still holds the lock.
      yield* Effect.forkChild(Effect.andThen(lock.take, lock.release)).pipe(Effect.flatMap(Fiber.join))
      assert(yield* lock.isOwned)
    })).pipe(Effect.timeout("5 seconds"))
    assertEquals(yield* arr.toArray, [0, 1, 2, 3])
    assert(isFree(lock))
    // A fiber forked outside any section is not an owner.
    yield* lock.take
    const other = yield* Effect.forkChild(Effect.flip(lock.release))
    assertInstanceOf(yield* Fiber.join(other), NotLockOwner)
    yield* lock.release
  }))

test("Condition: notify() from a child fiber of the holder is allowed; from an unrelated fiber it is NotLockOwner", () =>
  Effect.gen(function* () {
    const c = yield* Condition.make()
    yield* c.withLock(Effect.all([c.notify(), c.notifyAll], { concurrency: 2 }))
    const held = yield* Effect.forkChild(c.withLock(Effect.never))
    yield* Effect.sleep(20)
    assertInstanceOf(yield* Effect.flip(c.notify()), NotLockOwner)
    yield* Fiber.interrupt(held)
  }))
