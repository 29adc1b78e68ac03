/**
 * The main-module guard: a module that defines tasks and starts its program
 * at import time (no `if (import.meta.main)`) must not turn into a silent fork
 * bomb. Each scenario runs in a child `deno` process with a deadline; the
 * fixture stops itself (exit code 3) if threads or processes multiply.
 */
import * as Effect from "effect/Effect"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import { lastJson, runChild } from "../support/child.ts"
import { test, testAsync } from "../support/mod.ts"
import { poolInTask, spawnInTask } from "../fixtures/first_day/nested_tasks.ts"

const fixture = new URL("../fixtures/first_day/unguarded_main.ts", import.meta.url)

interface Outcome {
  readonly ok?: boolean
  readonly bomb?: boolean
  readonly value?: number
  readonly tag?: string
  readonly message?: string
  readonly maxThreads: number
  readonly maxDescendants: number
}

const run = async (mode: string, isolation: "worker" | "process"): Promise<Outcome & { stderr: string }> => {
  const result = await runChild(fixture, [mode, isolation], 45_000)
  assert(!result.timedOut, `the child did not finish within 45 s:\n${result.stdout}\n${result.stderr}`)
  const outcome = lastJson<Outcome>(result)
  assert(outcome.bomb !== true, `workers multiplied: ${JSON.stringify(outcome)}`)
  assertEquals(result.code, 0, result.stderr)
  return { ...outcome, stderr: result.stderr }
}

const assertRefused = (outcome: Outcome, operation: string): void => {
  assertEquals(outcome.ok, false)
  assertEquals(outcome.tag, "MissingMainGuard")
  assertStringIncludes(outcome.message!, `${operation} was called while a worker was importing`)
  assertStringIncludes(outcome.message!, "unguarded_main.ts")
  assertStringIncludes(outcome.message!, "if (import.meta.main)")
}

const bounded = (outcome: Outcome, isolation: "worker" | "process"): void => {
  // Two workers cost ~40 threads; a fork bomb passes 150 within seconds.
  if (isolation === "worker") assert(outcome.maxThreads <= 100, `threads: ${outcome.maxThreads}`)
  else assert(outcome.maxDescendants <= 2, `descendant processes: ${outcome.maxDescendants}`)
}

for (const isolation of ["worker", "process"] as const) {
  const host = isolation === "worker" ? "a thread worker" : "a process worker"
  for (
    const [mode, operation, how] of [
      ["sync", "Pool.make", "Effect.runPromise(program) at the top level"],
      ["await", "Pool.make", "await Effect.runPromise(program) at the top level"],
      ["spawn", "Process.spawn", "Effect.runPromise(program) at the top level"],
      ["runMain", "runMain", "mp.runMain(program) at the top level"],
    ] as const
  ) {
    testAsync(
      `A main module without if (import.meta.main) running ${how}: ${operation} in ${host} fails with MissingMainGuard showing the guard, the parent's task gets it, nothing multiplies`,
      async () => {
        const outcome = await run(mode, isolation)
        assertRefused(outcome, operation)
        bounded(outcome, isolation)
      },
      { timeout: 60_000 },
    )
  }
  testAsync(
    `A main module without the guard whose program makes its pool after an async step: refused in ${host} (printed there), the parent's task still succeeds, nothing multiplies`,
    async () => {
      const outcome = await run("delayed", isolation)
      assertEquals([outcome.ok, outcome.value], [true, 42])
      assertStringIncludes(outcome.stderr, "MissingMainGuard: Pool.make was called in a worker, outside any task")
      bounded(outcome, isolation)
    },
    { timeout: 60_000 },
  )
}

test(
  "A task may start a pool of its own in its worker (an Effect handler with Pool.make)",
  () =>
    Effect.gen(function* () {
      const p = yield* mp.Process.spawn(poolInTask, [1, 2, 3])
      assertEquals(yield* p.join, [1, 4, 9])
    }),
  { timeout: 30_000 },
)

test(
  "A task may spawn a process in its worker after an await (a Promise handler with Process.spawn)",
  () =>
    Effect.gen(function* () {
      const p = yield* mp.Process.spawn(spawnInTask, 7)
      assertEquals(yield* p.join, 49)
    }),
  { timeout: 30_000 },
)

test("Pool.make and Process.spawn are never refused in the main program", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    assertEquals(pool.size, 1)
    const error = new mp.MissingMainGuard({ operation: "Pool.make", moduleUrl: "file:///main.ts" })
    assertInstanceOf(error, mp.MissingMainGuard)
    assertStringIncludes(error.message, "if (import.meta.main)")
  }))
