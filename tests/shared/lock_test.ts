import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { markWorkerDead, ownerIdOfWorker } from "../../src/internal/owner.ts"
import { Event, Lock, LockAbandoned, NotLockOwner, RLock } from "../../mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { eventually, test } from "../support/mod.ts"

const N = 100_000
const counter = (): Int32Array => new Int32Array(new SharedArrayBuffer(4))

test("Lock.withLock() loses no increment across two workers (2 x 100,000)", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const data = counter()
    const a = yield* mp.Process.spawn(tasks.incrementUnderLock, { lock, data, n: N })
    const b = yield* mp.Process.spawn(tasks.incrementUnderLock, { lock, data, n: N })
    yield* Effect.all([a.join, b.join], { concurrency: 2 })
    assertEquals(data[0], 2 * N)
  }), { timeout: 60_000 })

test(
  "the same increments without a lock do lose updates (the race the lock prevents is real)",
  () =>
    Effect.gen(function* () {
      // Both workers start together; on a loaded machine one may still run alone, so each runs long enough
      // (millions of increments, tens of milliseconds) to overlap the other, and we try a few times.
      const n = 50 * N
      let lost = 0
      for (let attempt = 0; attempt < 5 && lost === 0; attempt++) {
        const data = new Int32Array(new SharedArrayBuffer(8))
        yield* Effect.scoped(Effect.gen(function* () {
          const a = yield* mp.Process.spawn(tasks.incrementUnlocked, { data, n, parties: 2 })
          const b = yield* mp.Process.spawn(tasks.incrementUnlocked, { data, n, parties: 2 })
          yield* Effect.all([a.join, b.join], { concurrency: 2 })
        }))
        lost = 2 * n - data[0]
      }
      assert(lost > 0, "two unsynchronized workers lost no update in 5 attempts")
    }),
  { timeout: 60_000 },
)

test("Lock.withLock() releases when the effect fails, and when it is interrupted", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const failed = yield* Effect.exit(lock.withLock(Effect.fail("boom")))
    assert(Exit.isFailure(failed))
    assert(!(yield* lock.isLocked))
    const fiber = yield* Effect.forkChild(lock.withLock(Effect.never))
    yield* eventually(lock.isLocked, 10_000)
    yield* Fiber.interrupt(fiber)
    assert(!(yield* lock.isLocked))
  }))

test("Lock.acquire holds the lock until its Scope closes, also after a failure", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function* () {
      yield* lock.acquire
      assert(yield* lock.isLocked)
      return yield* Effect.fail("inside")
    })))
    assert(Exit.isFailure(exit))
    assert(!(yield* lock.isLocked))
    assert(yield* Effect.scoped(lock.tryAcquire))
    assert(!(yield* lock.isLocked))
  }))

test("Lock excludes fibers of the same thread: the second waits for the first", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const order: Array<string> = []
    const first = lock.withLock(Effect.gen(function* () {
      order.push("first in")
      yield* Effect.sleep(30)
      order.push("first out")
    }))
    const second = Effect.andThen(Effect.sleep(5), lock.withLock(Effect.sync(() => order.push("second in"))))
    yield* Effect.all([first, second], { concurrency: 2 })
    assertEquals(order, ["first in", "first out", "second in"])
  }))

test("a waiter interrupted by a timeout leaves a lock held by a worker usable", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const held = yield* Event.make()
    const release = yield* Event.make()
    const holder = yield* mp.Process.spawn(tasks.holdUntil, { lock, held, release })
    yield* held.wait
    const timedOut = yield* Effect.exit(Effect.timeout(lock.withLock(Effect.void), 50))
    assert(Exit.isFailure(timedOut), "the lock is held by the worker")
    assert(!(yield* Effect.scoped(lock.tryAcquire)))
    yield* release.set
    yield* holder.join
    yield* lock.withLock(Effect.void).pipe(Effect.timeout(2_000))
    assert(!(yield* lock.isLocked))
  }))

test("Lock.release by a thread that does not hold it fails with NotLockOwner", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const e = yield* Effect.flip(lock.release)
    assertInstanceOf(e, NotLockOwner)
    assertEquals(e.ownerId, 0)
    assertStringIncludes(e.message, "un-acquired")
    yield* lock.take
    yield* lock.release
  }))

test(
  "a worker that exits while holding the Lock yields LockAbandoned to the next acquirer, who can recover",
  () =>
    Effect.gen(function* () {
      const lock = yield* Lock.make()
      const held = yield* Event.make()
      const owner = counter()
      const exit = yield* Event.make()
      const proc = yield* mp.Process.spawn(tasks.holdUntilExit, { lock, owner, held, exit })
      yield* held.wait
      assertEquals(ownerIdOfWorker(proc.id), owner[0])
      yield* exit.set
      yield* proc.await
      // What the worker runtime does when it sees a worker die (idempotent here).
      markWorkerDead(proc.id)
      const repaired: Array<string> = []
      yield* Effect.scoped(Effect.gen(function* () {
        const e = yield* Effect.flip(lock.acquire)
        assertInstanceOf(e, LockAbandoned)
        assertEquals(e.ownerId, owner[0])
        assert(yield* lock.isLocked, "the acquirer holds the lock after LockAbandoned")
        repaired.push("repaired under the lock")
      })).pipe(Effect.timeout(5_000))
      assertEquals(repaired, ["repaired under the lock"])
      assert(!(yield* lock.isLocked))
      yield* lock.withLock(Effect.void) // plain again
    }),
  { timeout: 30_000 },
)

test("withLock() reports LockAbandoned without running the effect and frees the lock", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const held = yield* Event.make()
    const owner = counter()
    const exit = yield* Event.make()
    const proc = yield* mp.Process.spawn(tasks.holdUntilExit, { lock, owner, held, exit })
    yield* held.wait
    yield* exit.set
    yield* proc.await
    let ran = false
    const e = yield* Effect.flip(lock.withLock(Effect.sync(() => ran = true)))
    assertInstanceOf(e, LockAbandoned)
    assert(!ran)
    assert(!(yield* lock.isLocked))
  }), { timeout: 30_000 })

test("RLock: the holding fiber re-enters; the lock is free after the last release", () =>
  Effect.gen(function* () {
    const lock = yield* RLock.make()
    yield* lock.withLock(lock.withLock(Effect.gen(function* () {
      assert(yield* lock.isOwned)
    })))
    assert(!(yield* lock.isOwned))
    yield* lock.take
    yield* lock.take
    yield* lock.release
    assert(yield* lock.isOwned)
    yield* lock.release
    assert(!(yield* lock.isOwned))
    assertInstanceOf(yield* Effect.flip(lock.release), NotLockOwner)
  }))

test("RLock: another fiber of the same worker is not the owner: it waits, and cannot release", () =>
  Effect.gen(function* () {
    const lock = yield* RLock.make()
    yield* lock.take
    const other = yield* Effect.forkChild(Effect.flip(lock.release))
    assertInstanceOf(yield* Fiber.join(other), NotLockOwner)
    const waiter = yield* Effect.forkChild(lock.withLock(Effect.succeed("in")))
    yield* Effect.sleep(20)
    assertEquals(waiter.pollUnsafe(), undefined)
    yield* lock.release
    assertEquals(yield* Fiber.join(waiter), "in")
  }))

test("RLock: release from a worker that does not hold it fails with NotLockOwner", () =>
  Effect.gen(function* () {
    const lock = yield* RLock.make()
    yield* lock.take
    const p = yield* mp.Process.spawn(tasks.releaseForeign, { lock })
    assertStringIncludes(yield* p.join, "NotLockOwner")
    assert(yield* lock.isOwned, "still held by the main fiber")
    yield* lock.release
  }))

test("RLock: nested withLock loses no increment across two workers (2 x 50,000)", () =>
  Effect.gen(function* () {
    const lock = yield* RLock.make()
    const data = counter()
    const a = yield* mp.Process.spawn(tasks.incrementNestedRLock, { lock, data, n: 50_000 })
    const b = yield* mp.Process.spawn(tasks.incrementNestedRLock, { lock, data, n: 50_000 })
    yield* Effect.all([a.join, b.join], { concurrency: 2 })
    assertEquals(data[0], 100_000)
  }), { timeout: 60_000 })

test(
  "the runtime marks a worker that exits holding a Lock: the next acquirer gets LockAbandoned",
  () =>
    Effect.gen(function* () {
      const lock = yield* Lock.make()
      const proc = yield* mp.Process.spawn(tasks.holdThenExit, { lock })
      const exit = yield* proc.await
      assert(Exit.isFailure(exit), "the worker died")
      assertEquals(ownerIdOfWorker(proc.id), undefined, "the runtime called markWorkerDead for the dead worker")
      const e = yield* Effect.flip(lock.withLock(Effect.void)).pipe(Effect.timeout(5_000))
      assertInstanceOf(e, LockAbandoned)
      yield* lock.withLock(Effect.void)
    }),
  { timeout: 30_000 },
)

test(
  "a worker terminated mid-task holding a Lock may still run: acquirers get LockAbandoned (may-still-run) and the lock is not taken over",
  () =>
    Effect.gen(function* () {
      const lock = yield* Lock.make()
      const held = yield* Event.make()
      const proc = yield* mp.Process.spawn(tasks.holdForever, { lock, owner: counter(), held })
      yield* held.wait
      yield* proc.terminate
      assertEquals(ownerIdOfWorker(proc.id), undefined, "the runtime called markWorkerDead for the dead worker")
      for (let i = 0; i < 2; i++) {
        const e = yield* Effect.flip(lock.withLock(Effect.void)).pipe(Effect.timeout(5_000))
        assertInstanceOf(e, LockAbandoned)
        assertEquals(e.reason, "may-still-run")
        assert(yield* lock.isLocked, "still held by the terminated thread")
      }
      assertEquals(yield* Effect.scoped(lock.tryAcquire), false)
    }),
  { timeout: 30_000 },
)

test(
  "a pool worker that dies holding a Lock: the pool replaces it, the next task gets LockAbandoned",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1 })
      const lock = yield* Lock.make()
      const crashed = yield* Effect.flip(pool.apply(tasks.holdThenExit, { lock }))
      assertEquals(crashed._tag, "WorkerCrashed")
      const data = counter()
      const next = yield* Effect.exit(pool.apply(tasks.incrementUnderLock, { lock, data, n: 1 }))
      assert(Exit.isFailure(next))
      assertInstanceOf(yield* Effect.flip(next), LockAbandoned)
      assertEquals(yield* pool.apply(tasks.incrementUnderLock, { lock, data, n: 1 }), 1)
      assertEquals(data[0], 1)
    }),
  { timeout: 30_000 },
)

test(
  "a worker terminated while idle (no task in flight) has stopped: its Lock is taken over with LockAbandoned (died)",
  () =>
    Effect.gen(function* () {
      const lock = yield* Lock.make()
      const owner = yield* Effect.scoped(Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 1 })
        return yield* pool.apply(tasks.takeAndKeep, { lock })
      })) // closing the pool terminates its idle worker
      assert(yield* lock.isLocked)
      const e = yield* Effect.flip(Effect.scoped(lock.acquire)).pipe(Effect.timeout(5_000))
      assertInstanceOf(e, LockAbandoned)
      assertEquals([e.reason, e.ownerId, e.held], ["died", owner, true])
      assert(!(yield* lock.isLocked), "released with the acquirer's Scope")
    }),
  { timeout: 30_000 },
)
