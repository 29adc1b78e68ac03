/**
 * The Process suite on child processes (`isolation: "process"`), and what
 * only a child process can promise: a busy loop is stopped at once, a memory
 * cap holds, a crash or an outside kill is a typed error, and no child is left
 * in the OS process table.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals, assertInstanceOf, assertLess, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { lastJson, runChild } from "../support/child.ts"
import { alivePids, childPids, gone } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"
import { processSuite } from "./process_suite.ts"

processSuite("process")

test("Process.terminate stops a child stuck in while (true) {} within 100 ms [process]", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.spinForever, 0, { isolation: "process" })
    const pids = childPids(mp.activeChildren())
    assertEquals(pids.length, 1)
    yield* Effect.sleep(500) // let it load the task and spin
    const start = performance.now()
    yield* p.terminate
    const exit = yield* p.await
    assertLess(performance.now() - start, 100)
    assert(Exit.hasInterrupts(exit))
    assertEquals(yield* p.exitCode, -15)
    yield* eventually(gone(pids), 1_000)
  }))

test("Closing the Scope of a busy process leaves no child in the OS process table [process]", () =>
  Effect.gen(function* () {
    let pids: Array<number> = []
    const exit = yield* Effect.exit(
      Effect.scoped(Effect.gen(function* () {
        const p = yield* mp.Process.spawn(tasks.spinForever, 0, { isolation: "process" })
        pids = childPids(mp.activeChildren())
        return yield* p.join
      })).pipe(Effect.timeout(500)),
    )
    assert(Exit.isFailure(exit))
    assertEquals(pids.length, 1)
    // The finalizer reaps the child before the Scope counts as closed: no waiting here.
    assertEquals(yield* Effect.promise(() => alivePids(pids)), [])
  }))

test("Process: a child killed with SIGKILL from outside fails join with WorkerCrashed and the signal [process]", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.sleep, 60_000, { isolation: "process" })
    const [pid] = childPids(mp.activeChildren())
    yield* Effect.sleep(300)
    Deno.kill(pid, "SIGKILL")
    const error = yield* Effect.flip(p.join)
    assertInstanceOf(error, mp.WorkerCrashed)
    assertEquals(error.signal, "SIGKILL")
    assertEquals(error.exitCode, -9)
    assertStringIncludes(error.reason, "killed by SIGKILL")
    assertEquals(yield* p.exitCode, -9)
    assertEquals(yield* p.isAlive, false)
  }))

test(
  "Process: maxMemoryMb turns an out-of-memory task into WorkerCrashed that says so [process]",
  () =>
    Effect.gen(function* () {
      const p = yield* mp.Process.spawn(tasks.allocateForever, 0, { isolation: "process", maxMemoryMb: 128 })
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.WorkerCrashed)
      assertStringIncludes(error.reason, "out of memory")
      assertStringIncludes(error.reason, "128 MB")
    }),
  { timeout: 30_000 },
)

test("Process: a child gets only the permissions asked for [process]", () =>
  Effect.gen(function* () {
    // Read access to the repository (the task's module graph, node_modules), nothing else.
    const repo = new URL("../../", import.meta.url)
    const own = new URL("../fixtures/tasks.ts", import.meta.url).pathname
    const options: mp.Process.SpawnOptions = { isolation: "process", permissions: { read: [repo] } }
    const ok = yield* mp.Process.spawn(tasks.readFile, own, options)
    assertStringIncludes(yield* ok.join, "allocateForever")
    const denied = yield* mp.Process.spawn(tasks.readFile, "/etc/hostname", options)
    const error = yield* Effect.flip(denied.join)
    assertInstanceOf(error, mp.RemoteException)
    assertStringIncludes(error.message, "read access")
  }))

test('Process.spawn() rejects maxMemoryMb without isolation: "process", and unknown isolations', () =>
  Effect.gen(function* () {
    const a = yield* Effect.flip(mp.Process.spawn(tasks.double, 1, { maxMemoryMb: 128 }))
    assertInstanceOf(a, mp.InvalidArgument)
    assertEquals(a.argument, "maxMemoryMb")
    const b = yield* Effect.flip(mp.Process.spawn(tasks.double, 1, { isolation: "process", maxMemoryMb: 0 }))
    assert(b instanceof mp.InvalidArgument && b.argument === "maxMemoryMb")
    const c = yield* Effect.flip(mp.Process.spawn(tasks.double, 1, { isolation: "thread" as "worker" }))
    assert(c instanceof mp.InvalidArgument && c.argument === "isolation")
    assertEquals(mp.activeChildren().length, 0)
  }))

for (const how of ["kill", "exit"] as const) {
  test(
    `A busy child dies with its parent (parent ${how === "kill" ? "SIGKILLed" : "calls Deno.exit"}) [process]`,
    () =>
      Effect.gen(function* () {
        const script = new URL("../fixtures/orphan_parent.ts", import.meta.url)
        const result = yield* Effect.promise(() => runChild(script, [how], 20_000))
        assert(!result.timedOut, `the parent script hung:\n${result.stderr}`)
        const { pids } = lastJson<{ pids: Array<number> }>(result)
        assertEquals(pids.length, 2)
        yield* eventually(gone(pids), 2_000)
      }),
    { timeout: 30_000 },
  )
}

test(
  "A child dies with its parent even when the parent is SIGKILLed within 150 ms of starting it, before the child's watchdog runs [process]",
  () =>
    Effect.gen(function* () {
      const script = new URL("../fixtures/orphan_parent.ts", import.meta.url)
      const all: Array<number> = []
      // Do not leave spinning orphans behind when this test fails.
      const cleanUp = Effect.promise(() => alivePids(all)).pipe(Effect.map((left) => {
        for (const pid of left) {
          try {
            Deno.kill(pid, "SIGKILL")
          } catch { /* gone */ }
        }
      }))
      yield* Effect.gen(function* () {
        for (const delayMs of [0, 0, 10, 20, 30, 50, 70, 100, 150]) {
          const result = yield* Effect.promise(() => runChild(script, ["kill-early", String(delayMs)], 20_000))
          assert(!result.timedOut, `the parent script hung:\n${result.stderr}`)
          const { pids } = lastJson<{ pids: Array<number> }>(result)
          assertEquals(pids.length, 2)
          all.push(...pids)
        }
        // A child that saw the task before its parent died spins; it must still go.
        yield* Effect.sleep(1_500)
        yield* eventually(gone(all), 3_000)
      }).pipe(Effect.ensuring(cleanUp))
    }),
  { timeout: 90_000 },
)

test(
  'Process: a child never gets more than its parent; "inherit" passes on what the parent holds [process]',
  () =>
    Effect.gen(function* () {
      const script = new URL("../fixtures/process_permissions.ts", import.meta.url).pathname
      const run = (flags: ReadonlyArray<string>, args: ReadonlyArray<string>) =>
        Effect.promise(() =>
          new Deno.Command(Deno.execPath(), {
            args: ["run", "--no-prompt", ...flags, script, ...args],
            stdout: "piped",
            stderr: "piped",
          }).output()
        ).pipe(Effect.map((out) => {
          const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? ""
          assertEquals(out.code, 0, new TextDecoder().decode(out.stderr))
          return JSON.parse(text)
        }))
      const limited = yield* run(["--allow-read", `--allow-run=${Deno.execPath()}`], [])
      assertEquals(limited.escalation, "permissions")
      assertEquals(limited.read, true)
      assertStringIncludes(limited.env, "env access")
      const noRun = yield* run(["--allow-read"], ["norun"])
      assertEquals(noRun.noRun, "isolation")
    }),
  { timeout: 30_000 },
)
