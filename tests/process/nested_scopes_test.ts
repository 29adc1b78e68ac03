/**
 * Closing a Scope waits only for the workers that Scope owns: a child process
 * owned by another, still open Scope (an outer pool or Process) never holds
 * it up, whichever host each side uses.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import { assert, assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { alivePids, childPids } from "../support/isolation.ts"
import { test } from "../support/mod.ts"

type Isolation = "worker" | "process"

/** A pool in the current Scope that has run one task. */
const pool = (isolation: Isolation) =>
  Effect.gen(function* () {
    const p = yield* mp.Pool.make({ size: 1, isolation })
    assertEquals(yield* p.apply(tasks.double, 1), 2)
  })

/** A Process in the current Scope that is still running (a long sleep). */
const process = (isolation: Isolation) =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.sleep, 60_000, { isolation })
    assert(yield* p.isAlive)
  })

/** A Process in the current Scope that has finished its task. */
const finishedProcess = (isolation: Isolation) =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.double, 3, { isolation })
    assertEquals(yield* p.join, 6)
  })

/**
 * With `outer` open, runs `inner` in its own Scope and requires that Scope to
 * close within `deadlineMs` (it runs in a fiber of its own, so a hang is a
 * failure here and not a stuck test: closing the outer Scope releases it).
 */
const innerClosesWhileOuterIsOpen = (
  outer: Effect.Effect<void, unknown, Scope.Scope>,
  inner: Effect.Effect<void, unknown, Scope.Scope>,
  deadlineMs = 10_000,
) =>
  Effect.gen(function* () {
    yield* outer
    const outerPids = childPids(mp.activeChildren())
    let innerPids: Array<number> = []
    const fiber = yield* Effect.forkChild(Effect.scoped(Effect.gen(function* () {
      yield* inner
      innerPids = childPids(mp.activeChildren()).filter((pid) => !outerPids.includes(pid))
    })))
    const exit = yield* Effect.exit(Effect.timeout(Fiber.await(fiber), deadlineMs))
    assert(Exit.isSuccess(exit), `the inner Scope did not close within ${deadlineMs} ms while the outer one was open`)
    assert(Exit.isSuccess(exit.value), `the inner Scope failed: ${String(exit.value)}`)
    // What the inner Scope owned is gone; what the outer one owns lives on.
    assertEquals(yield* Effect.promise(() => alivePids(innerPids)), [])
    assertEquals((yield* Effect.promise(() => alivePids(outerPids))).length, outerPids.length)
  })

const cases: ReadonlyArray<
  readonly [string, Effect.Effect<void, unknown, Scope.Scope>, string, Effect.Effect<void, unknown, Scope.Scope>]
> = [
  ["a process pool", pool("process"), "a worker pool", pool("worker")],
  ["a process pool", pool("process"), "another process pool", pool("process")],
  ["a process pool", pool("process"), "a running Process (process)", process("process")],
  ["a process pool", pool("process"), "a finished Process (process)", finishedProcess("process")],
  ["a process pool", pool("process"), "a running Process (worker)", process("worker")],
  ["a running Process (process)", process("process"), "a process pool", pool("process")],
  ["a running Process (process)", process("process"), "a worker pool", pool("worker")],
  ["a running Process (process)", process("process"), "another running Process (process)", process("process")],
]

for (const [outerName, outer, innerName, inner] of cases) {
  test(
    `Closing a Scope with ${innerName} does not wait for ${outerName} in an outer Scope`,
    () => innerClosesWhileOuterIsOpen(outer, inner),
    { timeout: 30_000 },
  )
}

test(
  "Closing a Scope with a process pool whose child was replaced waits only for its own children",
  () =>
    innerClosesWhileOuterIsOpen(
      pool("process"),
      Effect.gen(function* () {
        const p = yield* mp.Pool.make({ size: 1, isolation: "process" })
        // The first child dies; the pool starts another one.
        yield* Effect.exit(p.apply(tasks.exitWith, 3))
        assertEquals(yield* p.apply(tasks.double, 4), 8)
      }),
    ),
  { timeout: 30_000 },
)
