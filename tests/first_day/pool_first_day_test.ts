/**
 * A Python user's first day with the pool: `apply(task)` without a payload, a
 * module that never loads, a busy task past its timeout, a pool far larger than
 * the machine.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { assert, assertEquals, assertLess, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import { test, testAsync } from "../support/mod.ts"
import { runChild } from "../support/child.ts"
import { workersWanted } from "../../src/pool/internal/policy.ts"
import { busyFor, greeting, seven, waitThenName as waitThenNameTask } from "../fixtures/first_day/pool_day.ts"
import { afterSlowImport, initAfterSlowImport } from "../fixtures/first_day/slow_import.ts"

test("pool.apply(task) and pool.submit(task) run a task that takes no payload", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    assertEquals(yield* pool.apply(seven), 7)
    assertEquals(yield* Fiber.join(yield* pool.submit(seven)), 7)
    assertEquals(yield* pool.apply(greeting), "hello world")
    assertEquals(yield* pool.apply(greeting, "Ada"), "hello Ada")
    // A task that needs a payload still requires one.
    // @ts-expect-error: waitThenName takes a number
    const missing = () => pool.apply(waitThenNameTask)
    assertEquals(typeof missing, "function")
  }))

test(
  "loadTimeout bounds a module that never loads: TaskTimeout says loading (phase load) near 1 s, not after taskTimeout + 30 s",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, taskTimeout: "2 seconds", loadTimeout: "1 second" })
      const start = performance.now()
      const exit = yield* Effect.exit(pool.apply(afterSlowImport))
      const elapsed = performance.now() - start
      assert(Exit.isFailure(exit))
      const error = exit.cause.reasons[0]
      assert(error._tag === "Fail" && error.error instanceof mp.TaskTimeout, String(exit.cause))
      assertEquals(error.error.phase, "load")
      assertEquals(error.error.timeoutMs, 1000)
      assertStringIncludes(error.error.message, "loading")
      assertStringIncludes(error.error.message, "loadTimeout")
      assert(elapsed >= 900, `failed too early: ${elapsed} ms`)
      assertLess(elapsed, 10_000)
    }),
  { timeout: 30_000 },
)

test(
  "loadTimeout also bounds the initializer's module: the pool breaks with WorkerCrashed naming loadTimeout",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, initializer: initAfterSlowImport, loadTimeout: "1 second" })
      const start = performance.now()
      const exit = yield* Effect.exit(pool.apply(seven))
      assertLess(performance.now() - start, 10_000)
      assert(Exit.isFailure(exit))
      const error = exit.cause.reasons[0]
      assert(error._tag === "Fail" && error.error instanceof mp.WorkerCrashed, String(exit.cause))
      assertStringIncludes(error.error.reason, "loadTimeout")
    }),
  { timeout: 30_000 },
)

test("a TaskTimeout while the task runs says phase run and names taskTimeout", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, taskTimeout: 300 })
    const exit = yield* Effect.exit(pool.apply(waitThenNameTask, 60_000))
    assert(Exit.isFailure(exit))
    const error = exit.cause.reasons[0]
    assert(error._tag === "Fail" && error.error instanceof mp.TaskTimeout, String(exit.cause))
    assertEquals(error.error.phase, "run")
    assertEquals(error.error.timeoutMs, 300)
    assertStringIncludes(error.error.message, "taskTimeout")
  }), { timeout: 30_000 })

test("loadTimeout is checked like every duration: zero, negative or not a duration is InvalidArgument", () =>
  Effect.gen(function* () {
    for (const bad of [0, -1, NaN, "soon"]) {
      const exit = yield* Effect.exit(mp.Pool.make({ loadTimeout: bad as number }))
      assert(Exit.isFailure(exit))
      const error = exit.cause.reasons[0]
      assert(error._tag === "Fail" && error.error instanceof mp.InvalidArgument, String(exit.cause))
      assertEquals(error.error.argument, "loadTimeout")
    }
    // Infinity means no limit.
    const pool = yield* mp.Pool.make({ size: 1, loadTimeout: Infinity })
    assertEquals(yield* pool.apply(seven), 7)
  }))

const stuckChild = new URL("../fixtures/first_day/stuck_child.ts", import.meta.url)
const warningsIn = (stderr: string): Array<string> => stderr.split("\n").filter((l) => l.includes("cannot be stopped"))

testAsync(
  "a busy task past its taskTimeout on a thread prints one warning naming it: the process will not exit on its own",
  async () => {
    const result = await runChild(stuckChild, ["pool-busy"], 30_000)
    assert(!result.timedOut, `the child hung:\n${result.stdout}\n${result.stderr}`)
    assertStringIncludes(result.stdout, "TaskTimeout")
    const warnings = warningsIn(result.stderr)
    assertEquals(warnings.length, 1, result.stderr)
    for (
      const words of ["spinStuck", "will not exit on its own", 'isolation: "process"', "mp.checkpoint()", "mp.runMain"]
    ) {
      assertStringIncludes(warnings[0], words)
    }
  },
  { timeout: 40_000 },
)

testAsync("a busy Effect handler past its taskTimeout prints the same warning once, naming it", async () => {
  const result = await runChild(stuckChild, ["pool-busy-effect"], 30_000)
  assert(!result.timedOut, `the child hung:\n${result.stdout}\n${result.stderr}`)
  const warnings = warningsIn(result.stderr)
  assertEquals(warnings.length, 1, result.stderr)
  assertStringIncludes(warnings[0], "spinStuckEffect")
}, { timeout: 40_000 })

testAsync("closing a pool's Scope while a task spins on a thread prints the same warning once", async () => {
  const result = await runChild(stuckChild, ["pool-close-busy"], 30_000)
  assert(!result.timedOut, `the child hung:\n${result.stdout}\n${result.stderr}`)
  const warnings = warningsIn(result.stderr)
  assertEquals(warnings.length, 1, result.stderr)
  assertStringIncludes(warnings[0], "spinStuck")
}, { timeout: 40_000 })

testAsync("Process.terminate on a busy thread prints the same warning once", async () => {
  const result = await runChild(stuckChild, ["process-busy"], 30_000)
  assert(!result.timedOut, `the child hung:\n${result.stdout}\n${result.stderr}`)
  const warnings = warningsIn(result.stderr)
  assertEquals(warnings.length, 1, result.stderr)
  assertStringIncludes(warnings[0], "spinStuck")
}, { timeout: 40_000 })

testAsync("an awaiting task past its taskTimeout gives no warning, and the process exits on its own", async () => {
  const result = await runChild(stuckChild, ["pool-await"], 30_000)
  assert(!result.timedOut, `the child hung:\n${result.stdout}\n${result.stderr}`)
  assertStringIncludes(result.stdout, "TaskTimeout")
  assertEquals(warningsIn(result.stderr), [], result.stderr)
  assertEquals(result.code, 0)
}, { timeout: 40_000 })

test("a pool of 64 running a map of 20,000 quick tasks does not start its 64 workers", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 64 })
    const xs = yield* pool.map(busyFor, Array.from({ length: 20_000 }, () => 0))
    assertEquals(xs.length, 20_000)
    const alive = (yield* pool.stats).workersAlive
    assert(alive < 64, `${alive} workers alive`)
  }), { timeout: 60_000 })

test(
  "Pool.make({ size: 64 }) starts only cpuCount() workers: one apply leaves at most cpuCount() + 1 alive",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 64 })
      assertEquals(pool.size, 64)
      assertEquals(yield* pool.apply(seven), 7)
      const stats = yield* pool.stats
      assert(stats.workersAlive <= mp.cpuCount() + 1, `${stats.workersAlive} workers alive`)
      assert(mp.activeChildren().length <= mp.cpuCount() + 1)
    }),
  { timeout: 60_000 },
)

test(
  "a pool larger than the machine grows on demand: a map of slow tasks uses more than cpuCount() workers",
  () =>
    Effect.gen(function* () {
      const size = mp.cpuCount() + 3
      const pool = yield* mp.Pool.make({ size })
      const names = yield* pool.map(waitThenNameTask, Array.from({ length: size }, () => 3_000))
      assert(new Set(names).size > mp.cpuCount(), `only ${new Set(names).size} workers ran tasks`)
      assertEquals((yield* pool.stats).workersAlive, size)
    }),
  { timeout: 60_000 },
)

test("workersWanted: the eager workers, then one per worker's worth of waiting work, at most doubling, never more than size", () =>
  Effect.sync(() => {
    const d = { size: 64, eager: 2, idleShrinks: false, ready: 2, busy: 0, queued: 0 }
    assertEquals(workersWanted(d), 2)
    assertEquals(workersWanted({ ...d, queued: 1 }), 2)
    assertEquals(workersWanted({ ...d, busy: 2, queued: 1 }), 3)
    // Growth at most doubles the ready workers, so measured quick tasks stop it early.
    assertEquals(workersWanted({ ...d, busy: 2, queued: 100 }), 4)
    assertEquals(workersWanted({ ...d, ready: 0, busy: 0, queued: 100 }), 2)
    assertEquals(workersWanted({ ...d, ready: 32, busy: 32, queued: 100 }), 64)
    assertEquals(workersWanted({ ...d, idleShrinks: true, ready: 0 }), 0)
    assertEquals(workersWanted({ ...d, idleShrinks: true, ready: 0, queued: 1 }), 2)
    assertEquals(workersWanted({ ...d, size: 1, eager: 1, ready: 1, queued: 5 }), 1)
  }))

test(
  "an interrupted chunk of synchronous items stops within a few items: its worker is not terminated",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, interruptGrace: "2 seconds" })
      assertEquals(yield* pool.apply(seven), 7) // the worker has loaded the module: only the chunk is timed
      // One chunk of 1,000 items of 5 ms: 5 s of work that never lets the event loop run.
      const exit = yield* Effect.exit(
        pool.map(busyFor, Array.from({ length: 1_000 }, () => 5), { chunkSize: 1_000 }).pipe(Effect.timeout(300)),
      )
      assert(Exit.isFailure(exit))
      const start = performance.now()
      assertEquals(yield* pool.apply(seven), 7)
      assertLess(performance.now() - start, 1_900)
      assertEquals((yield* pool.stats).workersReplaced, 0)
    }),
  { timeout: 30_000 },
)
