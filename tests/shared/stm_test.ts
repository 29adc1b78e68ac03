import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { atomically, Barrier, retry, TRef } from "../../mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { test } from "../support/mod.ts"

test(
  "atomically: the total balance stays constant under 3 x 10,000 random transfers, and every audit sees it",
  () =>
    Effect.gen(function* () {
      const accounts = yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8], () => TRef.make("i32", 1_000))
      const total = 8_000
      const workers = yield* Effect.forEach(
        [11, 22, 33],
        (seed) => mp.Process.spawn(tasks.transfers, { accounts, n: 10_000, seed }),
      )
      const auditor = yield* mp.Process.spawn(tasks.audits, { accounts, n: 2_000, total })
      const moved = yield* Effect.forEach(workers, (w) => w.join, { concurrency: "unbounded" })
      const wrong = yield* auditor.join
      assertEquals(wrong, [], "no transaction saw a total other than 8,000")
      const balances = yield* Effect.forEach(accounts, (a) => a.get)
      assertEquals(balances.reduce((s, x) => s + x, 0), total)
      assert(balances.every((b) => b >= 0), "no account was overdrawn")
      assert(moved.every((m) => m > 1_000), `transfers happened: ${moved}`)
    }),
  { timeout: 120_000 },
)

test(
  "atomically: no write skew: of two parties each withdrawing if the sum allows, exactly one does (200 rounds)",
  () =>
    Effect.gen(function* () {
      const x = yield* TRef.make("i32", 50)
      const y = yield* TRef.make("i32", 50)
      const barrier = yield* Barrier.make(2)
      const accounts = [x, y] as const
      const a = yield* mp.Process.spawn(tasks.writeSkew, { accounts, party: 0 as const, barrier, rounds: 200 })
      const b = yield* mp.Process.spawn(tasks.writeSkew, { accounts, party: 1 as const, barrier, rounds: 200 })
      const [bad] = yield* Effect.all([a.join, b.join], { concurrency: 2 })
      assertEquals(bad, [], "rounds in which both withdrew")
    }),
  { timeout: 120_000 },
)

test("atomically: a failing transaction commits nothing", () =>
  Effect.gen(function* () {
    const a = yield* TRef.make("i32", 1)
    const b = yield* TRef.make("i32", 1)
    const exit = yield* Effect.exit(atomically(Effect.gen(function* () {
      yield* a.set(100)
      yield* b.set(100)
      return yield* Effect.fail("changed my mind")
    })))
    assert(Exit.isFailure(exit))
    assertEquals([yield* a.get, yield* b.get], [1, 1])
  }))

test("atomically: a transaction reads its own writes; nested atomically joins the outer one", () =>
  Effect.gen(function* () {
    const a = yield* TRef.make("f64", 0.5)
    const seen = yield* atomically(Effect.gen(function* () {
      yield* a.set(1.5)
      const inner = yield* atomically(a.update((v) => v * 2))
      return [inner, yield* a.get]
    }))
    assertEquals(seen, [3, 3])
    assertEquals(yield* a.get, 3)
  }))

test("atomically: a transaction that saw a stale value runs again (no lost update between fibers)", () =>
  Effect.gen(function* () {
    const counter = yield* TRef.make("i32", 0)
    let attempts = 0
    const read = yield* Deferred.make<void>()
    const committed = yield* Deferred.make<void>()
    const slow = atomically(Effect.gen(function* () {
      attempts++
      const v = yield* counter.get
      if (attempts === 1) {
        // another fiber commits between this attempt's read and its write
        yield* Deferred.succeed(read, undefined)
        yield* Deferred.await(committed)
      }
      yield* counter.set(v + 1)
    }))
    const fiber = yield* Effect.forkChild(slow)
    yield* Deferred.await(read)
    yield* counter.update((v) => v + 10)
    yield* Deferred.succeed(committed, undefined)
    yield* Fiber.join(fiber)
    assertEquals(yield* counter.get, 11)
    assertEquals(attempts, 2)
  }))

test(
  "retry: a transaction in a worker waits until a cell it read changes, then commits",
  () =>
    Effect.gen(function* () {
      const ref = yield* TRef.make("i32", 0)
      const waiter = yield* mp.Process.spawn(tasks.takeWhenPositive, { ref })
      yield* Effect.sleep(200)
      assert(yield* waiter.isAlive, "blocked in retry")
      yield* ref.set(5)
      assertEquals(yield* waiter.join, 5)
      assertEquals(yield* ref.get, 4)
    }),
  { timeout: 30_000 },
)

test("retry: wakes a fiber of the same thread, and an interrupted retry leaves nothing behind", () =>
  Effect.gen(function* () {
    const ref = yield* TRef.make("i32", 0)
    const take = atomically(Effect.gen(function* () {
      const v = yield* ref.get
      if (v === 0) return yield* retry()
      yield* ref.set(v - 1)
      return v
    }))
    const timedOut = yield* Effect.exit(Effect.timeout(take, 30))
    assert(Exit.isFailure(timedOut))
    assertEquals((ref as unknown as { readonly i32: Int32Array }).i32[2], 0, "no sleeper left registered")
    const fiber = yield* Effect.forkChild(take)
    yield* Effect.sleep(10)
    yield* ref.set(2)
    assertEquals(yield* Fiber.join(fiber), 2)
    assertEquals(yield* ref.get, 1)
  }))

test("retry outside atomically, or with nothing read, is a defect with a clear message", () =>
  Effect.gen(function* () {
    const outside = yield* Effect.exit(retry())
    assert(Exit.isFailure(outside) && String(outside.cause).includes("outside atomically"))
    const nothing = yield* Effect.exit(atomically(retry()))
    assert(Exit.isFailure(nothing) && String(nothing.cause).includes("read no TRef"))
  }))

test("TRef: values are checked like Value's", () =>
  Effect.gen(function* () {
    assertInstanceOf(yield* Effect.flip(TRef.make("i8", 200)), mp.InvalidArgument)
    const r = yield* TRef.make("u64", 1n)
    assertInstanceOf(yield* Effect.flip(r.set(-1n)), mp.InvalidArgument)
    assertEquals(yield* r.update((x) => x + 1n), 2n)
    assertEquals(yield* r.get, 2n)
  }))
