/**
 * `mp.runMain`: signals interrupt the program so every Scope closes, failures
 * are printed readably, the exit code is set, and the process exits even with
 * a thread stuck in a busy loop. Each program runs in a child `deno` process.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert"
import { runChild } from "../support/child.ts"
import { testAsync } from "../support/mod.ts"

const fixture = new URL("../fixtures/first_day/run_main.ts", import.meta.url)

/** Runs the `signal` program, sends `signal` once it printed "ready", and returns how it ended. */
const interrupted = async (signal: "SIGINT" | "SIGTERM") => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fixture.pathname, "signal"],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn()
  const killer = setTimeout(() => child.kill("SIGKILL"), 40_000)
  const decoder = new TextDecoder()
  let stdout = ""
  let sent = false
  const reading = (async () => {
    for await (const bytes of child.stdout) {
      stdout += decoder.decode(bytes, { stream: true })
      if (!sent && stdout.includes("ready")) {
        sent = true
        child.kill(signal)
      }
    }
  })()
  const stderr = new Response(child.stderr).text()
  const status = await child.status
  await reading
  clearTimeout(killer)
  return { code: status.code, stdout, stderr: await stderr, sent }
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  testAsync(
    `runMain: ${signal} interrupts the program, every finalizer runs and the pool shuts down, exit code ${code}`,
    async () => {
      const r = await interrupted(signal)
      assert(r.sent, `the program never got ready:\n${r.stdout}\n${r.stderr}`)
      assertStringIncludes(r.stdout, "pool scope closing")
      assertStringIncludes(r.stdout, "finalized: 0 workers left")
      assertEquals(r.code, code, r.stderr)
    },
    { timeout: 60_000 },
  )
}

testAsync(
  "runMain: a typed failure is printed readably on stderr (tag and fields) and the exit code is 1",
  async () => {
    const r = await runChild(fixture, ["fail"], 30_000)
    assertEquals(r.code, 1)
    assertStringIncludes(r.stderr, 'BadConfig: { key: "port" }')
    assertStringIncludes(r.stderr, "run_main.ts")
  },
  { timeout: 40_000 },
)

testAsync("runMain: success exits with code 0", async () => {
  const r = await runChild(fixture, ["success"], 30_000)
  assertEquals([r.code, r.stdout.trim(), r.stderr], [0, "done", ""])
}, { timeout: 40_000 })

testAsync("runMain: the process exits when the program ends, even with a Worker thread left spinning", async () => {
  const r = await runChild(fixture, ["spinning"], 30_000)
  assert(!r.timedOut, "the process did not exit: the spinning thread kept it alive")
  assertEquals(r.code, 0, r.stderr)
  assertStringIncludes(r.stdout, "left a thread spinning")
}, { timeout: 40_000 })

testAsync(
  "runMain: an uncaught RemoteException prints the task, the remote error and, last, its stack in the worker",
  async () => {
    const r = await runChild(fixture, ["remote"], 30_000)
    assertEquals(r.code, 1)
    assertStringIncludes(r.stderr, 'RemoteException: Task "explode" failed in the worker with RangeError: boom')
    const cause = r.stderr.indexOf("[cause]: RangeError: boom")
    assert(cause > 0, r.stderr)
    assertStringIncludes(r.stderr.slice(cause), "detonate")
    assertStringIncludes(r.stderr.slice(cause), "nested_tasks.ts")
  },
  { timeout: 40_000 },
)
