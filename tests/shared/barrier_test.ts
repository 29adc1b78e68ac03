import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { Barrier, BrokenBarrier } from "../../mod.ts"
import * as barrierTasks from "../fixtures/barrier_tasks.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { eventually, test } from "../support/mod.ts"

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
    assertEquals(yield* barrier.nWaiting, 0)
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
    yield* barrier.reset
    assertEquals(yield* barrier.isBroken, false)
    const indexes = yield* Effect.all([barrier.wait(), barrier.wait(), barrier.wait()], { concurrency: 3 })
    assertEquals([...indexes].sort(), [0, 1, 2])
  }), { timeout: 30_000 })

test("Barrier: abort fails the waiting worker with BrokenBarrier(aborted)", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(2)
    const waiter = yield* mp.Process.spawn(tasks.barrierOnce, { barrier })
    yield* Effect.sleep(150)
    yield* barrier.abort
    assertEquals(yield* waiter.join, "broken aborted")
    assertEquals((yield* Effect.flip(barrier.wait())).reason, "aborted")
  }), { timeout: 30_000 })

test("Barrier: reset fails the parties waiting at that moment, then the barrier works again", () =>
  Effect.gen(function* () {
    const barrier = yield* Barrier.make(2)
    const waiting = yield* Effect.forkChild(Effect.flip(barrier.wait()))
    yield* Effect.sleep(20)
    assertEquals(yield* barrier.nWaiting, 1)
    yield* barrier.reset
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
    const words = new Int32Array((barrier as unknown as { readonly buffer: SharedArrayBuffer }).buffer)
    Atomics.store(words, 0, 0x12345) // the mutex word, looking held by a thread that never releases
    const start = performance.now()
    const e = yield* Effect.flip(barrier.wait({ timeout: "200 millis" }).pipe(Effect.timeout("10 seconds")))
    assertEquals(e._tag, "BrokenBarrier")
    assertInstanceOf(e, BrokenBarrier)
    assertEquals(e.reason, "timeout")
    assert(performance.now() - start < 3_000)
    Atomics.store(words, 0, 0)
  }))

const int32s = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * n))

test(
  "Barrier action: the party that trips the barrier runs it once per round, before any party is released; wait gives each arrival index once",
  () =>
    Effect.gen(function* () {
      const rounds = 20
      const log: Array<string> = []
      let actions = 0
      const barrier = yield* Barrier.make(3, { action: Effect.sync(() => void actions++) })
      const party = (name: string) =>
        Effect.gen(function* () {
          const indexes: Array<number> = []
          for (let r = 0; r < rounds; r++) {
            indexes.push(yield* barrier.wait())
            if (actions !== r + 1) log.push(`${name} released in round ${r} after ${actions} actions`)
          }
          return indexes
        })
      const all = yield* Effect.all([party("a"), party("b"), party("c")], { concurrency: 3 })
      assertEquals(log, [])
      assertEquals(actions, rounds)
      for (let r = 0; r < rounds; r++) assertEquals(all.map((xs) => xs[r]).sort(), [0, 1, 2])
    }),
  { timeout: 30_000 },
)

test(
  "Barrier action that fails breaks the barrier: the tripping party gets BrokenBarrier(action-failed) with the failure, the others BrokenBarrier(action-failed); reset makes it work again",
  () =>
    Effect.gen(function* () {
      let fail = true
      const barrier = yield* Barrier.make(2, {
        action: Effect.suspend(() => fail ? Effect.fail(new Error("boom")) : Effect.void),
      })
      const first = yield* Effect.forkChild(Effect.flip(barrier.wait()))
      yield* eventually(Effect.map(barrier.nWaiting, (n) => n === 1))
      const tripping = yield* Effect.flip(barrier.wait())
      assertInstanceOf(tripping, BrokenBarrier)
      assertEquals(tripping.reason, "action-failed")
      assert(tripping.detail?.includes("boom"), tripping.message)
      assertEquals((yield* Fiber.join(first)).reason, "action-failed")
      assertEquals(yield* barrier.isBroken, true)
      assertEquals(barrier.broken, true)
      assertEquals((yield* Effect.flip(barrier.wait())).reason, "action-failed")
      yield* barrier.reset
      fail = false
      const indexes = yield* Effect.all([barrier.wait(), barrier.wait()], { concurrency: 2 })
      assertEquals([...indexes].sort(), [0, 1])
    }),
  { timeout: 30_000 },
)

test(
  "Barrier action across workers: a Task action runs in the worker that trips the barrier, once per round, before the others are released",
  () =>
    Effect.gen(function* () {
      const rounds = 10
      const counter = int32s(2)
      const who = int32s(rounds)
      const barrier = yield* Barrier.make(3, { action: { task: barrierTasks.recordTrip, payload: { counter, who } } })
      const procs = yield* Effect.forEach([1, 2, 3], (n) =>
        mp.Process.spawn(barrierTasks.actionRounds, { barrier, counter, rounds }, { name: `party-${n}` }))
      const indexes = yield* Effect.forEach(procs, (p) =>
        p.join, { concurrency: "unbounded" })
      assertEquals(counter[0], rounds)
      for (let r = 0; r < rounds; r++) {
        // The party that got the last index (it arrived last and tripped the barrier) ran the action.
        const tripper = indexes.findIndex((xs) => xs[r] === 2) + 1
        assertEquals(who[r], tripper, `round ${r}`)
      }
    }),
  { timeout: 60_000 },
)

test(
  "Barrier action given as an Effect stays in its thread: a worker that trips the barrier breaks it (action-failed) instead of running it",
  () =>
    Effect.gen(function* () {
      let ran = 0
      const barrier = yield* Barrier.make(2, { action: Effect.sync(() => void ran++) })
      const here = yield* Effect.forkChild(Effect.flip(barrier.wait()))
      yield* eventually(Effect.map(barrier.nWaiting, (n) => n === 1))
      const worker = yield* mp.Process.spawn(barrierTasks.waitOnce, { barrier })
      assertEquals(yield* worker.join, "broken action-failed")
      assertEquals((yield* Fiber.join(here)).reason, "action-failed")
      assertEquals(ran, 0)
    }),
  { timeout: 30_000 },
)

test(
  "Barrier: a party arriving while the action of a full round runs waits for the next round",
  () =>
    Effect.gen(function* () {
      const gate = yield* mp.Event.make()
      const barrier = yield* Barrier.make(2, { action: gate.wait })
      const round1 = yield* Effect.forkChild(Effect.all([barrier.wait(), barrier.wait()], { concurrency: 2 }))
      yield* eventually(Effect.map(barrier.nWaiting, (n) => n === 2))
      const late = yield* Effect.forkChild(barrier.wait())
      yield* Effect.yieldNow
      assertEquals(yield* barrier.nWaiting, 2)
      yield* gate.set
      assertEquals([...(yield* Fiber.join(round1))].sort(), [0, 1])
      yield* eventually(Effect.map(barrier.nWaiting, (n) => n === 1))
      yield* gate.clear
      const partner = yield* Effect.forkChild(barrier.wait())
      yield* gate.set
      assertEquals([yield* Fiber.join(late), yield* Fiber.join(partner)].sort(), [0, 1])
    }),
  { timeout: 30_000 },
)

test("Barrier.make refuses an action that is neither an Effect nor a Task: InvalidArgument naming it", () =>
  Effect.gen(function* () {
    const e = yield* Effect.flip(Barrier.make(2, { action: (() => 1) as never }))
    assertInstanceOf(e, mp.InvalidArgument)
    assertEquals(e.argument, "action")
  }))

test(
  "Barrier action across workers that fails breaks the barrier for every party: each worker gets BrokenBarrier(action-failed)",
  () =>
    Effect.gen(function* () {
      const counter = int32s(2)
      counter[1] = 1 // the action fails in its first round
      const who = int32s(1)
      const barrier = yield* Barrier.make(3, { action: { task: barrierTasks.recordTrip, payload: { counter, who } } })
      const procs = yield* Effect.forEach([1, 2, 3], (n) =>
        mp.Process.spawn(barrierTasks.waitOnce, { barrier }, { name: `party-${n}` }))
      const results = yield* Effect.forEach(procs, (p) =>
        p.join, { concurrency: "unbounded" })
      assertEquals(results, ["broken action-failed", "broken action-failed", "broken action-failed"])
      assertEquals(counter[0], 1)
      assert(who[0] >= 1 && who[0] <= 3, `the action ran in ${who[0]}`)
      assertEquals(barrier.broken, true)
    }),
  { timeout: 30_000 },
)
