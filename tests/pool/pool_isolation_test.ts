/**
 * The Pool suite on child processes (`isolation: "process"`), and the hard
 * guarantees only a child process gives: a task stuck in `while (true) {}` is
 * stopped by its timeout and this test process exits normally, a memory cap
 * kills only its worker, an outside SIGKILL is a typed crash, and closing the
 * Scope leaves no child in the OS process table.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { assert, assertEquals, assertInstanceOf, assertLess, assertNotEquals, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { alivePids, childPids, gone } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"
import { poolSuite } from "./pool_suite.ts"

poolSuite("process")

test("Pool: a while (true) {} task under taskTimeout fails with TaskTimeout; its child is killed and replaced [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process", taskTimeout: 300, interruptGrace: 50 })
    const before = yield* pool.apply(tasks.pid, 0)
    const start = performance.now()
    const error = yield* Effect.flip(pool.apply(tasks.spinForever, 0))
    assertInstanceOf(error, mp.TaskTimeout)
    assertLess(performance.now() - start, 2_000)
    // The stuck child is gone from the OS process table within the grace period and a bit.
    yield* eventually(gone([before]), 1_000)
    const after = yield* pool.apply(tasks.pid, 0)
    assertNotEquals(after, before)
    assertEquals((yield* pool.stats).workersReplaced, 1)
  }))

test("Pool: interrupting a map of busy loops kills the children within the grace period [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, isolation: "process", interruptGrace: 50 })
    const pids = yield* pool.map(tasks.pid, [0, 1], { chunkSize: 1 })
    const fiber = yield* Effect.forkChild(pool.map(tasks.spinForever, [0, 1], { chunkSize: 1 }))
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 2)))
    yield* Effect.sleep(100)
    const start = performance.now()
    yield* Fiber.interrupt(fiber)
    yield* eventually(gone(pids), 1_000)
    assertLess(performance.now() - start, 1_000)
    assertEquals(yield* pool.map(tasks.double, [1, 2]), [2, 4])
  }))

test(
  "Pool: maxMemoryMb 128: an allocating task gives WorkerCrashed (out of memory) and the pool goes on [process]",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2, isolation: "process", maxMemoryMb: 128 })
      const [oom, ok] = yield* Effect.all([
        Effect.flip(pool.apply(tasks.allocateForever, 0)),
        pool.apply(tasks.sleep, 200),
      ], { concurrency: "unbounded" })
      assertInstanceOf(oom, mp.WorkerCrashed)
      assertStringIncludes(oom.reason, "out of memory")
      assertEquals(ok, 200)
      assertEquals(yield* pool.map(tasks.double, [1, 2, 3]), [2, 4, 6])
      const stats = yield* pool.stats
      assertEquals(stats.workersReplaced, 1)
      assertEquals(stats.workersAlive, 2)
    }),
  { timeout: 30_000 },
)

test("Pool: a child killed with SIGKILL from outside mid-task fails that task with WorkerCrashed [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process" })
    const fiber = yield* pool.submit(tasks.sleep, 60_000)
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 1)))
    const [pid] = childPids(mp.activeChildren())
    yield* Effect.sleep(100)
    const start = performance.now()
    Deno.kill(pid, "SIGKILL")
    const error = yield* Effect.flip(Fiber.join(fiber))
    assertLess(performance.now() - start, 500)
    assertInstanceOf(error, mp.WorkerCrashed)
    assertEquals(error.signal, "SIGKILL")
    assertEquals(error.exitCode, -9)
    assertEquals(yield* pool.apply(tasks.double, 21), 42)
    assertEquals((yield* pool.stats).workersReplaced, 1)
  }))

test("Pool: closing its Scope leaves no child in the OS process table, busy or idle [process]", () =>
  Effect.gen(function* () {
    let pids: Array<number> = []
    yield* Effect.scoped(Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 3, isolation: "process" })
      yield* pool.submit(tasks.spinForever, 0)
      yield* pool.submit(tasks.sleep, 60_000)
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 2)))
      // Two workers are busy: a third task starts the third worker (past cpuCount() they start on demand).
      assertEquals(yield* pool.apply(tasks.double, 1), 2)
      yield* Effect.sleep(500) // the children load their tasks: one spins, one sleeps
      pids = childPids(mp.activeChildren())
      assertEquals((yield* Effect.promise(() => alivePids(pids))).length, 3)
    }))
    assertEquals(pids.length, 3)
    assertEquals(mp.activeChildren().length, 0)
    // The pool's finalizer reaps its children before the Scope counts as closed: no waiting here.
    assertEquals(yield* Effect.promise(() => alivePids(pids)), [])
  }))

test("Pool: what the task prints goes to the parent's stdout around the frames [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process" })
    const lines = ["plain", "\u00ff\u0000mp not a frame", "x".repeat(100_000)]
    assertEquals(yield* pool.map(tasks.log, lines, { chunkSize: 1 }), lines.map((l) => l.length))
    assertEquals(yield* pool.apply(tasks.double, 2), 4)
  }))

test('Pool.make() rejects maxMemoryMb without isolation: "process"', () =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(mp.Pool.make({ size: 1, maxMemoryMb: 64 }))
    assertInstanceOf(error, mp.InvalidArgument)
    assertEquals(error.argument, "maxMemoryMb")
    const exit = yield* Effect.exit(mp.Pool.make({ size: 1, isolation: "process", maxMemoryMb: -5 }))
    assert(Exit.isFailure(exit))
    assertEquals(mp.activeChildren().length, 0)
  }))
