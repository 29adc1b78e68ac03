import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { markWorkerDead } from "../../src/internal/owner.ts"
import { Array as SArray, BlockingRefused, Event, Lock, RLock, Value } from "../../mod.ts"
import * as tasks from "../fixtures/sync_tasks.ts"
import { eventually, test } from "../support/mod.ts"

const N = 100_000

/** The lock word of a lock (its internal fields). */
const words = (lock: unknown) => lock as unknown as { readonly buffer: SharedArrayBuffer; readonly index: number }

/** Whether nobody holds `lock` (the owner bits of its lock word are 0). */
const isFree = (lock: Lock.Lock | RLock.RLock): boolean =>
  (Atomics.load(new Int32Array(words(lock).buffer), words(lock).index) & 0x3fffffff) === 0

const both = <A, E>(a: mp.Process.Process<A, E>, b: mp.Process.Process<A, E>) =>
  Effect.all([a.join, b.join], { concurrency: 2 })

test("Value.updateSync() loses no increment across two workers (2 x 100,000)", () =>
  Effect.gen(function* () {
    const value = yield* Value.make("i", 0)
    const a = yield* mp.Process.spawn(tasks.incrementSync, { value, n: N })
    const b = yield* mp.Process.spawn(tasks.incrementSync, { value, n: N })
    yield* both(a, b)
    assertEquals(yield* value.get, 2 * N)
  }), { timeout: 60_000 })

test(
  "Lock.withLockSync() and RLock.withLockSync() (nested) lose no increment across two workers",
  () =>
    Effect.gen(function* () {
      const lock = yield* Lock.make()
      const data = new Int32Array(new SharedArrayBuffer(4))
      yield* both(
        yield* mp.Process.spawn(tasks.incrementSync, { lock, data, n: N }),
        yield* mp.Process.spawn(tasks.incrementSync, { lock, data, n: N }),
      )
      assertEquals(data[0], 2 * N)
      const rlock = yield* RLock.make()
      const data2 = new Int32Array(new SharedArrayBuffer(4))
      yield* both(
        yield* mp.Process.spawn(tasks.incrementSync, { lock: rlock, data: data2, n: N / 2, nested: true }),
        yield* mp.Process.spawn(tasks.incrementSync, { lock: rlock, data: data2, n: N / 2, nested: true }),
      )
      assertEquals(data2[0], N)
      assert(isFree(lock))
    }),
  { timeout: 60_000 },
)

test(
  "Array.updateSync() (f64) loses nothing across two workers; the sync and Effect paths exclude each other",
  () =>
    Effect.gen(function* () {
      const array = yield* SArray.make("d", 3)
      yield* both(
        yield* mp.Process.spawn(tasks.incrementSync, { array, n: 20_000 }),
        yield* mp.Process.spawn(tasks.incrementSync, { array, n: 20_000 }),
      )
      assertEquals(yield* array.toArray, [0, 20_000, 0])
      // One worker on the synchronous path, one on the Effect path, one lock.
      const value = yield* Value.make("i", 0)
      const a = yield* mp.Process.spawn(tasks.incrementSync, { value, n: N / 2 })
      const b = yield* mp.Process.spawn(tasks.incrementEffect, { value, n: N / 2 })
      yield* Effect.all([a.join, b.join], { concurrency: 2 })
      assertEquals(yield* value.get, N)
    }),
  { timeout: 60_000 },
)

test(
  "withLockSync()/updateSync(): an f that throws releases the lock; a misfit result or index is a typed error",
  () =>
    Effect.gen(function* () {
      const lock = yield* Lock.make()
      const rlock = yield* RLock.make()
      const value = yield* Value.make("B", 7)
      const r = yield* mp.Process.spawn(tasks.throwInside, { lock, rlock, value }).pipe(Effect.flatMap((p) => p.join))
      assertEquals(r.lock?.tag, "SyntaxError")
      assertEquals(r.lockFree, "taken again")
      assertEquals(r.rlock?.tag, "TypeError")
      assertEquals(r.rlockFree, "taken again")
      assertEquals(r.update?.tag, "RangeError")
      assertEquals([r.misfit?.tag, r.misfit?.typed], ["InvalidArgument", true])
      assertEquals(r.valueAfter, 7, "nothing written")
      assertEquals([r.index?.tag, r.index?.typed], ["IndexOutOfRange", true])
      assert(isFree(lock))
      assert(isFree(rlock))
      assertEquals(yield* value.update((x) => x + 1), 8)
    }),
  { timeout: 30_000 },
)

test(
  "RLock sync path: nested sections, takeSync/releaseSync, re-entry into the fiber's withLock; deadlocks refused",
  () =>
    Effect.gen(function* () {
      const rlock = yield* RLock.make()
      const lock = yield* Lock.make()
      const value = yield* Value.make("i", 0)
      const r = yield* mp.Process.spawn(tasks.reentry, { rlock, lock, value }).pipe(Effect.flatMap((p) => p.join))
      assertEquals(r.nested, "three deep")
      assert(r.freeAfterNested)
      assertEquals(r.pairs?.tag, "NotLockOwner", "a section's own level is not releaseSync's to give back")
      assertEquals(r.releaseUnheld?.tag, "NotLockOwner")
      assertEquals(r.inEffect, "re-entered the fiber's hold")
      assertEquals(
        r.value,
        10,
        "Python's idiom, withLockSync(() => setSync(getSync() + 1)), re-enters the value's RLock",
      )
      for (const refused of [r.lockTwice, r.lockInEffect, r.otherFiber]) {
        assertEquals([refused?.tag, refused?.typed, refused?.reason], ["BlockingRefused", true, "deadlock"])
      }
      assertEquals([r.lockFree, r.rlockFree], ["free", "free"])
      assert(isFree(rlock) && isFree(lock))
    }),
  { timeout: 30_000 },
)

test("on the main thread the sync API is refused with BlockingRefused, deterministically, and takes nothing", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const rlock = yield* RLock.make()
    const value = yield* Value.make("i", 1)
    const array = yield* SArray.make("i", 2)
    let ran = false
    const calls: ReadonlyArray<() => unknown> = [
      () => lock.withLockSync(() => ran = true),
      () => rlock.withLockSync(() => ran = true),
      () => lock.takeSync(),
      () => rlock.takeSync(),
      () => value.updateSync((x) => (ran = true, x + 1)),
      () => value.getSync(),
      () => value.setSync(5),
      () => array.updateSync(0, (x) => (ran = true, x + 1)),
    ]
    for (const call of calls) {
      let thrown: unknown
      try {
        call()
      } catch (e) {
        thrown = e
      }
      assertInstanceOf(thrown, BlockingRefused)
      assertEquals(thrown.reason, "main-thread")
      assertStringIncludes(thrown.message, "main thread")
    }
    assert(!ran)
    assert(isFree(lock) && isFree(rlock))
    assertEquals(yield* value.get, 1)
  }))

for (const kind of ["Lock", "RLock"] as const) {
  test(
    `${kind}: after a holder died, withLockSync and takeSync throw the typed LockAbandoned`,
    () =>
      Effect.gen(function* () {
        const lock = kind === "Lock" ? yield* Lock.make() : yield* RLock.make()
        for (const how of ["withLockSync", "takeSync"] as const) {
          const held = yield* Event.make()
          const owner = new Int32Array(new SharedArrayBuffer(4))
          const exit = yield* Event.make()
          const holder = yield* mp.Process.spawn(tasks.holdUntilExit, { lock, owner, held, exit })
          yield* held.wait
          yield* exit.set
          yield* holder.await
          markWorkerDead(holder.id) // what the runtime does (idempotent)
          const r = yield* mp.Process.spawn(tasks.takeAbandoned, { lock, how }).pipe(Effect.flatMap((p) => p.join))
          assertEquals([r.error?.tag, r.error?.typed, r.error?.ownerId], ["LockAbandoned", true, owner[0]])
          if (how === "withLockSync") assert(!r.ran, "f did not run")
          else assert(r.heldAfterError, "takeSync: the caller holds the lock after LockAbandoned")
          assertEquals(r.freeAfter, "free")
          assert(isFree(lock))
        }
      }),
    { timeout: 60_000 },
  )
}

test(
  "a worker blocked in updateSync learns LockAbandoned when the holder dies while it waits",
  () =>
    Effect.gen(function* () {
      const value = yield* Value.make("i", 41)
      const held = yield* Event.make()
      const owner = new Int32Array(new SharedArrayBuffer(4))
      const exit = yield* Event.make()
      const holder = yield* mp.Process.spawn(tasks.holdUntilExit, { lock: value.getLock(), owner, held, exit })
      yield* held.wait
      const started = new Int32Array(new SharedArrayBuffer(4))
      const waiter = yield* mp.Process.spawn(tasks.takeAbandoned, {
        lock: value.getLock(),
        value,
        started,
        how: "updateSync",
      })
      yield* eventually(Effect.sync(() => Atomics.load(started, 0) === 1), 10_000)
      yield* Effect.sleep(150) // the waiter is blocked in Atomics.wait by now
      yield* exit.set // the holder exits; the runtime marks it dead
      yield* holder.await
      const r = yield* waiter.join
      assertEquals([r.error?.tag, r.error?.typed, r.error?.ownerId], ["LockAbandoned", true, owner[0]])
      assert(!r.ran, "f did not run")
      assert(r.waitedMs >= 100, `blocked ${r.waitedMs} ms before the holder died`)
      assertEquals(r.value, 41)
      assertEquals(yield* value.update((x) => x + 1), 42)
    }),
  { timeout: 30_000 },
)
