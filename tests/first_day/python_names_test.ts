/**
 * Python names: `current_process()`, `parent_process()`, `Process.kill()`,
 * and `Process(target=f)` without arguments.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals, assertNotEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { test } from "../support/mod.ts"
import { answer, forever, spin, square, whoAmI } from "../fixtures/first_day/nested_tasks.ts"

test("currentProcess() in the main program is MainProcess (id 0, this pid, not a worker); parentProcess() is undefined", () =>
  Effect.sync(() => {
    assertEquals(mp.currentProcess(), { name: "MainProcess", id: 0, pid: Deno.pid, isWorker: false })
    assertEquals(mp.parentProcess(), undefined)
  }))

test("currentProcess() in a Process is that process (its name and id); parentProcess() is MainProcess", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(whoAmI, undefined, { name: "inspector" })
    const { current, parent } = yield* p.join
    assertEquals(current, { name: "inspector", id: p.id, pid: Deno.pid, isWorker: true })
    assertEquals(parent, { name: "MainProcess", id: 0, pid: Deno.pid, isWorker: false })
  }))

test(
  "currentProcess() in a pool worker carries the pool's name; in a child process it has its own pid",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, name: "crunch" })
      const { current } = yield* pool.apply(whoAmI, undefined)
      assert(current.name.startsWith("crunch-Worker-"), current.name)
      assert(current.isWorker)
      const p = yield* mp.Process.spawn(whoAmI, undefined, { isolation: "process" })
      const child = yield* p.join
      assertEquals([child.current.name, child.current.id, child.current.isWorker], [p.name, p.id, true])
      assertNotEquals(child.current.pid, Deno.pid)
      assertEquals(child.parent?.pid, Deno.pid)
    }),
  { timeout: 30_000 },
)

for (const isolation of ["worker", "process"] as const) {
  test(
    `Process.kill stops a ${isolation} at once: exitCode -9, join interrupted, not alive`,
    () =>
      Effect.gen(function* () {
        const p = yield* mp.Process.spawn(forever, undefined, { isolation })
        assert(yield* p.isAlive)
        yield* p.kill
        assertEquals(yield* p.exitCode, -9)
        assertEquals(yield* p.isAlive, false)
        const exit = yield* p.await
        assert(Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt"), String(exit))
        yield* p.kill // a no-op once it has ended
        assertEquals(yield* p.exitCode, -9)
      }),
    { timeout: 30_000 },
  )
}

test("Process.kill stops a process-isolated busy loop (SIGKILL)", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(spin, undefined, { isolation: "process" })
    yield* Effect.sleep(100)
    yield* p.kill
    assertEquals(yield* p.exitCode, -9)
    assertEquals(mp.activeChildren().length, 0)
  }), { timeout: 30_000 })

test("Process.kill after the task ended changes nothing (exitCode stays 0)", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(square, 3)
    assertEquals(yield* p.join, 9)
    yield* p.kill
    assertEquals(yield* p.exitCode, 0)
  }))

test("Process.spawn(task) without a payload runs a task that takes none", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(answer)
    assertEquals(yield* p.join, 42)
    const named = yield* mp.Process.spawn(answer, undefined, { name: "named" })
    assertEquals([named.name, yield* named.join], ["named", 42])
    // A task that needs a payload still requires one.
    // @ts-expect-error: square takes a number
    const missing = () => mp.Process.spawn(square)
    assertEquals(typeof missing, "function")
  }))
