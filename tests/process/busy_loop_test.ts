import { assert, assertEquals, assertLess } from "@std/assert"
import { lastJson, runChild } from "../support/child.ts"
import { testAsync } from "../support/mod.ts"

testAsync("Process.terminate on a worker stuck in while(true) returns within a second (child process)", async () => {
  const result = await runChild(new URL("../fixtures/busy_terminate.ts", import.meta.url), [], 20_000)
  assert(!result.timedOut, `the child hung:\n${result.stderr}`)
  const r = lastJson<
    { terminateMs: number; isAlive: boolean; exitCode: number; interrupted: boolean; children: number }
  >(
    result,
  )
  assertLess(r.terminateMs, 1000)
  assertEquals(r.isAlive, false)
  assertEquals(r.exitCode, -15)
  assert(r.interrupted)
  assertEquals(r.children, 0)
  assertEquals(result.code, 0)
}, { timeout: 30_000 })
