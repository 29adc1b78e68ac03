import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { Barrier, BrokenBarrier } from "../../mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { test } from "../support/mod.ts"

test("Barrier: three workers pass 50 rounds together, each index given once per round", () =>
  Effect.gen(function* () {
    const rounds = 50
    const barrier = yield* Barrier.make(3)
    const arrivals = new Int32Array(new SharedArrayBuffer(4 * rounds))
    const procs = yield* Effect.forEach([1, 2, 3], () =>
      mp.Process.spawn(tasks.barrierRounds, { barrier, arrivals, rounds }))
    const indexes = yield* Effect.forEach(procs, (p) =>
      p.join, { concurrency: "unbounded" })
    for (let r = 0; r < rounds; r++) {
      assertEquals(indexes.map((xs) => xs[r]).sort(), [0, 1, 2], `round ${r}`)
      assertEquals(arrivals[r], 3)
    }
    assertEquals(yield* barrier.nWaiting(), 0)
  }), { timeout: 60_000 })

test("Barrier: a party's timeout breaks the barrier for every party until reset", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(3)
    const patient = yield* mp.Process.spawn(tasks.barrierOnce, { barrier })
    const impatient = yield* mp.Process.spawn(tasks.barrierOnce, { barrier, timeoutMs: 200 })
    assertEquals(yield* impatient.join, "broken timeout")
    assertEquals(yield* patient.join, "broken timeout")
    const later = yield* Effect.flip(barrier.wait())
    assertInstanceOf(later, BrokenBarrier)
    assertEquals(later.reason, "timeout")
    yield* barrier.reset()
    assertEquals(yield* barrier.isBroken(), false)
    const indexes = yield* Effect.all([barrier.wait(), barrier.wait(), barrier.wait()], { concurrency: 3 })
    assertEquals([...indexes].sort(), [0, 1, 2])
  }), { timeout: 30_000 })

test("Barrier: abort() fails the waiting worker with BrokenBarrier(aborted)", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(2)
    const waiter = yield* mp.Process.spawn(tasks.barrierOnce, { barrier })
    yield* Effect.sleep(150)
    yield* barrier.abort()
    assertEquals(yield* waiter.join, "broken aborted")
    assertEquals((yield* Effect.flip(barrier.wait())).reason, "aborted")
  }), { timeout: 30_000 })

test("Barrier: reset() fails the parties waiting at that moment, then the barrier works again", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(2)
    const waiting = yield* Effect.forkChild(Effect.flip(barrier.wait()))
    yield* Effect.sleep(20)
    assertEquals(yield* barrier.nWaiting(), 1)
    yield* barrier.reset()
    assertEquals((yield* Fiber.join(waiting)).reason, "reset")
    const indexes = yield* Effect.all([barrier.wait(), barrier.wait()], { concurrency: 2 })
    assertEquals([...indexes].sort(), [0, 1])
  }))

test("Barrier: a waiting party interrupted by an Effect timeout breaks the barrier (nobody waits forever)", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(2)
    const exit = yield* Effect.exit(Effect.timeout(barrier.wait(), 30))
    assertEquals(Exit.isFailure(exit), true)
    assertEquals((yield* Effect.flip(barrier.wait())).reason, "interrupted")
    assertInstanceOf(yield* Effect.flip(Barrier.make(0)), mp.InvalidArgument)
  }))

test("Barrier.wait({ timeout }) keeps its deadline while taking the barrier's own lock (garbage in its lock word)", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(2)
    const words = new Int32Array(barrier.buffer)
    Atomics.store(words, 0, 0x12345) // the mutex word, looking held by a thread that never releases
    const start = performance.now()
    const e = yield* Effect.flip(barrier.wait({ timeout: "200 millis" }).pipe(Effect.timeout("10 seconds")))
    assertEquals(e._tag, "BrokenBarrier")
    assertInstanceOf(e, BrokenBarrier)
    assertEquals(e.reason, "timeout")
    assert(performance.now() - start < 3_000)
    Atomics.store(words, 0, 0)
  }))
