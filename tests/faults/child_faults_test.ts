/**
 * Faults that would leave a thread stuck in this test process (a busy
 * synchronous loop: Deno 2.9 cannot stop it) or kill it (a worker thread out of
 * memory), each run in a child process with a deadline
 * (`tests/fixtures/fault_child.ts`). The `"process"` host gives the hard
 * versions of these promises (the loop's child is killed, a memory cap holds):
 * `tests/pool/pool_isolation_test.ts`.
 */
import { assert, assertEquals, assertLess, assertStringIncludes } from "@std/assert"
import { type ChildResult, runChild, runJson } from "../support/child.ts"
import { testAsync } from "../support/mod.ts"

const script = new URL("../fixtures/fault_child.ts", import.meta.url)

const run = <T>(scenario: string, flags: ReadonlyArray<string> = []): Promise<T & { children: number }> =>
  runJson<T & { children: number }>(script, [scenario], 20_000, flags)

testAsync(
  "A busy loop past its taskTimeout fails with TaskTimeout at its timeout; its worker is replaced and the pool serves (child process)",
  async () => {
    const r = await run<
      { tag: string; elapsedMs: number; after: Array<number>; workersReplaced: number; alive: number }
    >(
      "busy-timeout",
    )
    assertEquals(r.tag, "TaskTimeout")
    assertLess(r.elapsedMs, 1_500) // taskTimeout 200 ms; the grace (100 ms) does not delay the error
    assertEquals(r.after, [2, 4, 6])
    assertEquals(r.workersReplaced, 1)
    assertEquals(r.alive, 1)
    assertEquals(r.children, 0)
  },
  { timeout: 30_000 },
)

testAsync(
  "Interrupting a submitted busy loop ends its fiber at once; the worker is replaced after the grace and the pool serves (child process)",
  async () => {
    const r = await run<{ tag: string; interruptMs: number; after: number; workersReplaced: number }>(
      "busy-interrupt-submit",
    )
    assertEquals(r.tag, "Interrupted")
    assertLess(r.interruptMs, 500)
    assertEquals(r.after, 42)
    assertEquals(r.workersReplaced, 1)
    assertEquals(r.children, 0)
  },
  { timeout: 30_000 },
)

testAsync(
  "A caller that gives up on a map of busy loops gets its timeout; both workers are replaced and the pool serves (child process)",
  async () => {
    const r = await run<{ tag: string; elapsedMs: number; after: Array<number>; workersReplaced: number }>(
      "busy-interrupt-map",
    )
    assertEquals(r.tag, "TimeoutError")
    assertLess(r.elapsedMs, 5_000) // a 300 ms timeout; generous for a loaded machine, far from a hang
    assertEquals(r.after, [2, 4, 6, 8])
    assertEquals(r.workersReplaced, 2)
    assertEquals(r.children, 0)
  },
  { timeout: 30_000 },
)

testAsync(
  "Closing a pool's Scope while a worker spins returns at once and leaves no worker reported alive (child process)",
  async () => {
    const r = await run<{ closeMs: number }>("busy-scope-close")
    assertLess(r.closeMs, 1_000)
    assertEquals(r.children, 0)
  },
  { timeout: 30_000 },
)

// The thread host cannot contain this: V8 aborts the whole process. The promise is only that
// it ends (no hang); use isolation: "process" with maxMemoryMb for containment.
testAsync(
  'A worker thread that runs out of memory ends the whole process promptly, never a hang (child process; contained with isolation: "process")',
  async () => {
    const result: ChildResult = await runChild(script, ["oom-thread"], 20_000, ["--v8-flags=--max-old-space-size=64"])
    assert(!result.timedOut, "the child hung")
    assert(result.code !== 0, `the child survived: ${result.stdout}`)
    assertStringIncludes(result.stderr, "out of memory")
    assertEquals(result.stdout.includes("survived"), false)
  },
  { timeout: 30_000 },
)
