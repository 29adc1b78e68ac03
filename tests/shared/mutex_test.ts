import { assert, assertEquals, assertInstanceOf, assertNotEquals } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { currentOwnerId, isOwnerDead, markOwnerDead, MAX_OWNERS } from "../../src/internal/owner.ts"
import { LockAbandoned } from "../../src/shared/errors.ts"
import * as mutex from "../../src/internal/mutex.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { test } from "../support/mod.ts"

const word = (): Int32Array => new Int32Array(new SharedArrayBuffer(8))

// An owner id nobody uses, for simulating a dead holder.
let fakeOwner = MAX_OWNERS - 10
const deadOwner = (): number => {
  const id = fakeOwner--
  markOwnerDead(id)
  return id
}

test("mutex: the lock word holds the owner id, and WAITERS once someone waited", () =>
  Effect.gen(function* () {
    const i32 = word()
    assert(mutex.tryLock(i32, 0))
    assertEquals(i32[0], currentOwnerId())
    assert(!mutex.tryLock(i32, 0))
    const waiter = yield* Effect.forkChild(mutex.lock(i32, 0))
    yield* Effect.sleep(20)
    assertEquals(i32[0], currentOwnerId() | mutex.WAITERS)
    mutex.unlock(i32, 0)
    yield* Fiber.await(waiter)
    assertEquals(mutex.holder(i32, 0), currentOwnerId())
    assertEquals(mutex.unlockOwned(i32, 0), -1)
    assertEquals(i32[0], 0)
  }))

test("mutex: unlockOwned refuses a mutex held by another owner or by nobody", () =>
  Effect.sync(() => {
    const i32 = word()
    assertEquals(mutex.unlockOwned(i32, 0), 0)
    i32[0] = 12345
    assertEquals(mutex.unlockOwned(i32, 0), 12345)
    assertEquals(i32[0], 12345)
  }))

test("mutex: a holder marked dead is taken over with LockAbandoned, and the mutex is then held", () =>
  Effect.gen(function* () {
    const i32 = word()
    const dead = deadOwner()
    i32[0] = dead | mutex.WAITERS
    const exit = yield* Effect.exit(mutex.lock(i32, 0, "lock"))
    assert(Exit.isFailure(exit))
    const error = yield* Effect.flip(exit)
    assertInstanceOf(error, LockAbandoned)
    assertEquals(error.ownerId, dead)
    assertEquals(mutex.holder(i32, 0), currentOwnerId())
    mutex.unlock(i32, 0)
    yield* mutex.lock(i32, 0) // recovered: a plain lock again
    mutex.unlock(i32, 0)
  }))

test("mutex: a waiter notices a holder that dies while it waits (no notify needed)", () =>
  Effect.gen(function* () {
    const i32 = word()
    const owner = fakeOwner--
    i32[0] = owner
    const waiter = yield* Effect.forkChild(Effect.exit(mutex.lock(i32, 0)))
    yield* Effect.sleep(30)
    assert(!isOwnerDead(owner))
    markOwnerDead(owner)
    const started = performance.now()
    const exit = yield* Fiber.join(waiter)
    assert(performance.now() - started < 1_000, "the waiter re-checks the holder within a slice")
    assertInstanceOf(yield* Effect.flip(exit), LockAbandoned)
    mutex.unlock(i32, 0)
  }))

test("mutex: an interrupted waiter leaves the mutex consistent and usable", () =>
  Effect.gen(function* () {
    const i32 = word()
    assert(mutex.tryLock(i32, 0))
    const timedOut = yield* Effect.exit(Effect.timeout(mutex.lock(i32, 0), 30))
    assert(Exit.isFailure(timedOut))
    assertEquals(mutex.holder(i32, 0), currentOwnerId())
    mutex.unlock(i32, 0)
    assertEquals(i32[0], 0)
    yield* mutex.lock(i32, 0)
    mutex.unlock(i32, 0)
  }))

test("mutex: lockBlocking reports ok, timed-out, deadlock and abandoned", () =>
  Effect.sync(() => {
    const i32 = word()
    assertEquals(mutex.lockBlocking(i32, 0), "ok")
    assertEquals(mutex.lockBlocking(i32, 0, 10), "deadlock")
    mutex.unlock(i32, 0)
    const owner = fakeOwner--
    i32[0] = owner
    assertEquals(mutex.lockBlocking(i32, 0, 30), "timed-out")
    markOwnerDead(owner)
    assertEquals(mutex.lockBlocking(i32, 0, 1_000), "abandoned")
    assertEquals(mutex.holder(i32, 0), currentOwnerId())
    mutex.unlock(i32, 0)
  }))

test("mutex: awaitFree returns once the holder unlocks", () =>
  Effect.gen(function* () {
    const i32 = word()
    assert(mutex.tryLock(i32, 0))
    const waiter = yield* Effect.forkChild(mutex.awaitFree(i32, 0))
    yield* Effect.sleep(20)
    assertEquals(waiter.pollUnsafe(), undefined)
    mutex.unlock(i32, 0)
    yield* Fiber.await(waiter)
    assertEquals(i32[0], 0)
  }))

test("owner ids: the main thread and each worker get distinct non-zero ids", () =>
  Effect.gen(function* () {
    const a = yield* mp.Process.spawn(tasks.ownerId, null)
    const b = yield* mp.Process.spawn(tasks.ownerId, null)
    const [ia, ib] = yield* Effect.all([a.join, b.join])
    const me = currentOwnerId()
    assert(me > 0 && ia > 0 && ib > 0)
    assertNotEquals(ia, ib)
    assertNotEquals(ia, me)
    assertNotEquals(ib, me)
    assert(ia < MAX_OWNERS && ib < MAX_OWNERS, "workers got their ids from the shared owner table")
  }))
