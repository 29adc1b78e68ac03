/**
 * Least privilege: workers get no more rights than asked, a refusal reaches
 * the parent as a typed error, and the parent keeps its own rights.
 *
 * Per-worker permissions of Worker threads need Deno's
 * `--unstable-worker-options` flag, and without it Deno ends the whole process
 * (exit code 70) when the first such worker starts. So these scenarios run in a
 * child process started with the flag (`tests/fixtures/fault_permissions_child.ts`),
 * and `deno test` itself needs no flag. Child processes (`isolation: "process"`)
 * need no flag: `tests/process/process_isolation_test.ts` covers them.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert"
import { runChild, runJson } from "../support/child.ts"
import { testAsync } from "../support/mod.ts"

const script = new URL("../fixtures/fault_permissions_child.ts", import.meta.url)

interface Outcome {
  readonly ok?: unknown
  readonly tag?: string
  readonly remoteName?: string
  readonly message?: string
  readonly argument?: string
}

const run = (scenario: string, flags: ReadonlyArray<string>): Promise<Record<string, Outcome>> =>
  runJson<Record<string, Outcome>>(script, [scenario], 20_000, flags)

const refused = (outcome: Outcome, kind: string): void => {
  assertEquals(outcome.tag, "RemoteException", JSON.stringify(outcome))
  assertEquals(outcome.remoteName, "NotCapable")
  assertStringIncludes(outcome.message ?? "", `Requires ${kind} access`)
}

testAsync(
  "A worker without write, net or env permission is refused them with RemoteException (NotCapable) reaching the parent; the parent keeps its own",
  async () => {
    const r = await run("denied", ["--unstable-worker-options"])
    refused(r.write, "write")
    refused(r.net, "net")
    refused(r.env, "env")
    refused(r.readOutside, "read")
    refused(r.processWrite, "write") // Process.spawn takes the same option
    assert(typeof r.read.ok === "number" && r.read.ok > 0, "reads inside the granted folder work")
    assertEquals(r.serves.ok, [2, 4, 6])
    assertEquals(r.workerFileExists as unknown, false)
    assertEquals(r.parent as unknown, { write: true, net: true })
    // The default is to inherit the parent's permissions.
    assertStringIncludes(String(r.inheritWrite.ok), "inherit.txt")
  },
  { timeout: 30_000 },
)

testAsync(
  'permissions: "none" refuses even reading the task\'s module: tasks fail with TaskNotFound naming read access',
  async () => {
    const r = await run("none", ["--unstable-worker-options"])
    assertEquals(r.task.tag, "TaskNotFound")
    assertStringIncludes(r.task.message ?? "", "Requires read access")
    assertEquals(r.parent as unknown, { write: true, net: true })
  },
  { timeout: 30_000 },
)

testAsync(
  "A worker cannot get permissions its parent lacks: Pool.make and Process.spawn fail with InvalidArgument (permissions)",
  async () => {
    const r = await run("escalation", ["--unstable-worker-options", "--deny-env"])
    for (const outcome of [r.pool, r.process]) {
      assertEquals(outcome.tag, "InvalidArgument", JSON.stringify(outcome))
      assertEquals(outcome.argument, "permissions")
      assertStringIncludes(outcome.message ?? "", "env access this process does not have")
    }
    assertEquals(r.children as unknown, 0)
  },
  { timeout: 30_000 },
)

testAsync(
  "Worker threads: a permission entry Deno would refuse (empty path, bad host, env name or sys kind) is InvalidArgument from Pool.make and Process.spawn, not a defect",
  async () => {
    const r = await run("bad-entries", ["--unstable-worker-options"])
    for (const name of ["emptyRead", "emptyWrite", "emptyNet", "emptyEnv", "emptyRun", "badHost", "badEnv", "badSys"]) {
      for (const outcome of [r[`pool.${name}`], r[`process.${name}`]]) {
        assertEquals(outcome.tag, "InvalidArgument", `${name}: ${JSON.stringify(outcome)}`)
        assertEquals(outcome.argument, "permissions")
        assertStringIncludes(outcome.message ?? "", "cannot grant")
      }
    }
    assertEquals(r.comma.ok, 4)
    assertEquals(r.children as unknown, 1)
  },
  { timeout: 30_000 },
)

testAsync(
  "Without --unstable-worker-options, per-worker permissions end the process with code 70 and Deno's message (a platform limit, documented)",
  async () => {
    const result = await runChild(script, ["none"], 20_000)
    assert(!result.timedOut, `the child hung:\n${result.stderr}`)
    assertEquals(result.code, 70)
    assertStringIncludes(result.stderr, "--unstable-worker-options")
  },
  { timeout: 30_000 },
)
