/**
 * Faults inside a worker: a task module that throws at import time, an
 * initializer that fails or kills its worker, handlers that throw non-Error
 * values, results that cannot be cloned, workers that exit or are killed from
 * outside mid-task. The promise each time: no hang, a typed error naming what
 * happened, only the tasks that worker held fail, and the pool serves
 * afterwards. (Already covered elsewhere and not repeated here: a result that is
 * a function, `tests/pool/pool_suite.ts`; `self.close()` mid-map, same file;
 * `Deno.exit(3)`, `self.close()` and an escaped error under `Process`,
 * `tests/process/process_suite.ts`; a SIGKILLed child process under `submit`,
 * `tests/pool/pool_isolation_test.ts`.)
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as faults from "../fixtures/fault_tasks.ts"
import { brokenModule } from "../fixtures/fault_import_throws.ts"
import { slowInBrokenModule } from "../fixtures/fault_import_escapes.ts"
import * as tasks from "../fixtures/tasks.ts"
import { errorOf, eventually, test } from "../support/mod.ts"
import { serves } from "./_helpers.ts"

test("A task whose module throws at import time fails with TaskNotFound naming the module and the error; the worker keeps serving", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const error = yield* Effect.flip(pool.apply(brokenModule, 1))
    assertInstanceOf(error, mp.TaskNotFound)
    assertEquals(error.moduleUrl, brokenModule.moduleUrl)
    assertEquals(error.taskName, "brokenModule")
    assertStringIncludes(error.reason, "could not be imported")
    assertStringIncludes(error.reason, "this module is broken in workers")
    // Every later call fails the same way, at once (the failed import is remembered).
    assertInstanceOf(yield* Effect.flip(pool.apply(brokenModule, 2)), mp.TaskNotFound)
    yield* serves(pool)
    assertEquals((yield* pool.stats).workersReplaced, 0)
  }))

test("An error that escapes a task module's top-level code kills only that worker: its task fails with WorkerCrashed naming the error", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const [crashed, ok] = yield* Effect.all([
      Effect.flip(pool.apply(slowInBrokenModule, 1)),
      pool.apply(tasks.sleep, 200),
    ], { concurrency: "unbounded" })
    assertInstanceOf(crashed, mp.WorkerCrashed)
    assertStringIncludes(crashed.reason, "escaped from the module's top level")
    assertEquals(ok, 200)
    yield* serves(pool)
    const stats = yield* pool.stats
    assertEquals(stats.workersReplaced, 1)
    assertEquals(stats.workersAlive, 2)
  }))

test("An initializer whose module throws at import time fails every task with WorkerCrashed naming it, without restarting workers", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, initializer: brokenModule, initializerPayload: 0 })
    const error = yield* Effect.flip(pool.map(tasks.double, [1, 2, 3]))
    assertInstanceOf(error, mp.WorkerCrashed)
    assertStringIncludes(error.reason, "initializer failed")
    assertStringIncludes(error.reason, "this module is broken in workers")
    yield* Effect.sleep(200)
    const stats = yield* pool.stats
    assertEquals(stats.workersAlive, 0)
    assertEquals(stats.workersReplaced, 0)
    assertInstanceOf(yield* Effect.flip(pool.apply(tasks.double, 1)), mp.WorkerCrashed)
  }))

for (const how of [3, "close"] as const) {
  const what = how === "close" ? "close()" : "Deno.exit(3)"
  test(`An initializer that calls ${how === "close" ? "self." : ""}${what} fails every task with WorkerCrashed naming it, without restarting workers`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2, initializer: tasks.exitWith, initializerPayload: how })
      const error = yield* Effect.flip(pool.apply(tasks.double, 1))
      assertInstanceOf(error, mp.WorkerCrashed)
      assertStringIncludes(error.reason, "initializer")
      assertStringIncludes(error.reason, what)
      yield* Effect.sleep(200)
      const stats = yield* pool.stats
      assertEquals(stats.workersAlive, 0)
      assertEquals(stats.workersReplaced, 0)
      assertInstanceOf(yield* Effect.flip(pool.map(tasks.double, [1, 2])), mp.WorkerCrashed)
    }))
}

test("A task that throws a string, undefined or a cyclic object fails with RemoteException describing the value", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const exits = yield* pool.mapExit(tasks.throwsValue, ["string", "undefined", "cyclic"] as const, { chunkSize: 3 })
    const [str, undef, cyclic] = exits.map(errorOf)
    assertInstanceOf(str, mp.RemoteException)
    assertEquals([str.remoteName, str.remoteMessage], ["string", "a plain string"])
    assertInstanceOf(undef, mp.RemoteException)
    assertEquals([undef.remoteName, undef.remoteMessage], ["undefined", "undefined"])
    assertInstanceOf(cyclic, mp.RemoteException)
    assertEquals(cyclic.remoteName, "object")
    assertEquals(cyclic.remoteMessage, "[object Object]")
    for (const e of [str, undef, cyclic]) assertEquals(e.taskName, "throwsValue")
    yield* serves(pool)
    assertEquals((yield* pool.stats).workersReplaced, 0)
  }))

// Deno's structured clone does not refuse a WebSocket (nor a Deno.Listener, an AbortController):
// like any class instance it crosses as its own enumerable data, here `{}`. A success schema that
// names the class is how a task gets a typed error for it. (A function is refused: pool_suite.ts.)
test("A task that returns a WebSocket neither hangs nor kills its worker: it arrives as {}, and as SerializationError (decode-result) under a schema naming the class", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    assertEquals(yield* pool.apply(faults.returnsWebSocket, 0), {})
    const error = yield* Effect.flip(pool.apply(faults.returnsWebSocketChecked, 0))
    assertInstanceOf(error, mp.SerializationError)
    assertEquals(error.stage, "decode-result")
    assertEquals(error.taskName, "returnsWebSocketChecked")
    yield* serves(pool)
    assertEquals((yield* pool.stats).workersReplaced, 0)
  }))

test("Results that cannot be cloned inside a chunk of 100 fail alone: the other 98 arrive, in order", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const xs = Array.from({ length: 100 }, (_, i) => i)
    const exits = yield* pool.mapExit(faults.sometimesUnclonable, xs, { chunkSize: 100 })
    exits.forEach((exit, i) => {
      if (i % 50 === 7) {
        const e = errorOf(exit)
        assert(e instanceof mp.SerializationError && e.stage === "encode-result", `item ${i}: ${String(exit)}`)
      } else assertEquals(exit, Exit.succeed(i * 2))
    })
    yield* serves(pool)
  }))

test("A task that calls Deno.exit(3) fails with WorkerCrashed (exit code 3); only its tasks fail, the worker is replaced", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const [crashed, ok] = yield* Effect.all([
      Effect.flip(pool.apply(tasks.exitWith, 3)),
      pool.map(tasks.sleep, [100, 100, 100], { chunkSize: 1 }),
    ], { concurrency: "unbounded" })
    assertInstanceOf(crashed, mp.WorkerCrashed)
    assertEquals(crashed.exitCode, 3)
    assertStringIncludes(crashed.reason, "Deno.exit(3)")
    assertEquals(ok, [100, 100, 100])
    yield* serves(pool)
    assertEquals((yield* pool.stats).workersReplaced, 1)
  }))

test("A worker that exits from a timer while holding several tasks fails exactly those with WorkerCrashed; the rest succeed", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    // One worker takes exitLater (which never settles by itself) and dies 10 ms later.
    const [crashed, rest] = yield* Effect.all([
      Effect.flip(pool.apply(tasks.exitLater, 4)),
      pool.mapExit(tasks.sleep, Array.from({ length: 20 }, () => 20), { chunkSize: 1 }),
    ], { concurrency: "unbounded" })
    assertInstanceOf(crashed, mp.WorkerCrashed)
    assertEquals(crashed.exitCode, 4)
    const failed = rest.filter(Exit.isFailure)
    for (const exit of failed) assertInstanceOf(errorOf(exit), mp.WorkerCrashed)
    assertEquals(rest.length, 20)
    const stats = yield* pool.stats
    // Every task is accounted for exactly once: succeeded, or failed because its worker died.
    assertEquals(stats.completed + stats.failed, 21 + 0)
    assertEquals(stats.failed, 1 + failed.length)
    assertEquals(stats.workersReplaced, 1)
    yield* serves(pool)
  }))

test(
  "A child process killed from outside in the middle of a map fails exactly its tasks with WorkerCrashed; the rest succeed [process]",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2, isolation: "process" })
      yield* serves(pool)
      const victim = mp.activeChildren().flatMap((c) => c.pid ?? [])[0]
      const n = 40
      const [exits] = yield* Effect.all([
        pool.mapExit(tasks.sleep, Array.from({ length: n }, () => 50), { chunkSize: 1 }),
        eventually(pool.stats.pipe(Effect.map((s) => s.completed >= 10 + 4))).pipe(
          Effect.andThen(Effect.sync(() => Deno.kill(victim, "SIGKILL"))),
        ),
      ], { concurrency: "unbounded" })
      assertEquals(exits.length, n)
      const crashed = exits.filter(Exit.isFailure)
      assert(crashed.length >= 1, "the killed child held at least one task")
      for (const exit of crashed) {
        const e = errorOf(exit)
        assert(e instanceof mp.WorkerCrashed && e.signal === "SIGKILL", String(exit))
      }
      for (const exit of exits.filter(Exit.isSuccess)) assertEquals(exit.value, 50)
      const stats = yield* pool.stats
      assertEquals(stats.failed, crashed.length)
      assertEquals(stats.completed, 4 + n - crashed.length)
      assertEquals(stats.workersReplaced, 1)
      yield* serves(pool)
    }),
  { timeout: 30_000 },
)

test("A worker that dies under imap or imapUnordered fails the stream with WorkerCrashed; the worker is replaced and the pool serves", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const payloads: Array<number | "close"> = [1, 2, 3, "close", 5, 6, 7, 8]
    for (const imap of [pool.imap, pool.imapUnordered]) {
      const error = yield* Effect.flip(Stream.runCollect(imap(tasks.exitOrDouble, payloads)))
      assertInstanceOf(error, mp.WorkerCrashed)
      assertStringIncludes(error.reason, "close()")
    }
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersAlive === 2 && s.running === 0)))
    assertEquals((yield* pool.stats).workersReplaced, 2)
    yield* serves(pool)
  }))
