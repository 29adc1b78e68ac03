/**
 * Error messages that say what failed and how to fix it; a `RemoteException`
 * printed with the worker-side stack, like Python's `RemoteTraceback`.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import { runChild } from "../support/child.ts"
import { test, testAsync } from "../support/mod.ts"
import { explode, returnsClosure, square } from "../fixtures/first_day/nested_tasks.ts"

const PASS_DATA = "Pass data, not functions"

test("RemoteException: its message names the task and the remote error; toString and Cause.pretty end with the worker-side stack", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(explode, "boom")
    const e = yield* Effect.flip(p.join)
    assertInstanceOf(e, mp.RemoteException)
    assertEquals(e.message, 'Task "explode" failed in the worker with RangeError: boom')
    assertEquals([e.taskName, e.remoteName, e.remoteMessage], ["explode", "RangeError", "boom"])
    assertInstanceOf(e.cause, Error)
    assertEquals(e.cause.name, "RangeError")
    for (const printed of [String(e), Cause.pretty(Cause.fail(e))]) {
      assert(printed.startsWith('RemoteException: Task "explode" failed in the worker with RangeError: boom'), printed)
      const remote = printed.lastIndexOf("RangeError: boom")
      assert(remote > 0, printed)
      const tail = printed.slice(remote)
      assertStringIncludes(tail, "detonate")
      assertStringIncludes(tail, "nested_tasks.ts")
    }
  }))

testAsync(
  "RemoteException: uncaught under Effect.runPromise, Deno's report shows the task and then the remote stack",
  async () => {
    const r = await runChild(new URL("../fixtures/first_day/uncaught_remote.ts", import.meta.url), [], 30_000)
    assertEquals(r.code, 1)
    // deno-lint-ignore no-control-regex
    const plain = r.stderr.replace(/\x1b\[[0-9;]*m/g, "")
    assertStringIncludes(plain, 'RemoteException: Task "explode" failed in the worker with RangeError: boom')
    const caused = plain.indexOf("Caused by: RangeError: boom")
    assert(caused > 0, plain)
    assertStringIncludes(plain.slice(caused), "detonate")
  },
  { timeout: 40_000 },
)

test("TaskNotFound for a task the module does not export says how to export it", () =>
  Effect.gen(function* () {
    const ghost = { ...square, name: "hidden" } as typeof square
    const p = yield* mp.Process.spawn(ghost, 1)
    const e = yield* Effect.flip(p.join)
    assertInstanceOf(e, mp.TaskNotFound)
    assertStringIncludes(e.message, 'does not export a Task named "hidden"')
    assertStringIncludes(e.message, 'export const hidden = mp.Task.make(import.meta.url, "hidden"')
  }))

test("TaskNotFound for a module that cannot be imported says what to check", () =>
  Effect.gen(function* () {
    const url = new URL("../fixtures/first_day/does_not_exist.ts", import.meta.url).href
    const p = yield* mp.Process.spawn({ ...square, moduleUrl: url } as typeof square, 1)
    const e = yield* Effect.flip(p.join)
    assertInstanceOf(e, mp.TaskNotFound)
    assertStringIncludes(e.message, "could not be imported")
    assertStringIncludes(e.message, "make sure that module imports without error in a worker")
  }))

test("A function in a payload: Process.spawn and Pool.apply fail with SerializationError saying to pass data, not functions", () =>
  Effect.gen(function* () {
    const fn = (() => 1) as unknown as number
    const spawned = yield* Effect.flip(mp.Process.spawn(square, fn))
    assertInstanceOf(spawned, mp.SerializationError)
    assertEquals(spawned.stage, "encode-payload")
    assertStringIncludes(spawned.message, PASS_DATA)
    const pool = yield* mp.Pool.make({ size: 1 })
    const applied = yield* Effect.flip(pool.apply(square, fn))
    assertInstanceOf(applied, mp.SerializationError)
    assertStringIncludes(applied.message, PASS_DATA)
  }))

test("A task that returns a function fails with SerializationError saying to pass data, not functions", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(returnsClosure, 1)
    const e = yield* Effect.flip(p.join)
    assertInstanceOf(e, mp.SerializationError)
    assertEquals(e.stage, "encode-result")
    assertStringIncludes(e.message, PASS_DATA)
  }))
