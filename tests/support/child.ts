/**
 * Runs a script in a child `deno` process with its own deadline, for
 * scenarios that would leave a stuck thread in the test process (a worker in a
 * busy loop cannot be stopped by `Worker.terminate()` on Deno 2.9).
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert"

/** What a child script printed and how it ended. */
export interface ChildResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
  readonly elapsedMs: number
}

/** Runs `deno run -A <script> ...args`, killing it (SIGKILL) after `timeoutMs`. */
export const runChild = async (
  script: URL,
  args: ReadonlyArray<string> = [],
  timeoutMs = 15_000,
  extraFlags: ReadonlyArray<string> = [],
): Promise<ChildResult> => {
  const start = performance.now()
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...extraFlags, script.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    try {
      child.kill("SIGKILL")
    } catch { /* already gone */ }
  }, timeoutMs)
  const out = await child.output()
  clearTimeout(timer)
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    timedOut,
    elapsedMs: performance.now() - start,
  }
}

/** The last line of stdout parsed as JSON. */
export const lastJson = <T>(result: ChildResult): T => {
  const lines = result.stdout.trim().split("\n")
  const last = lines[lines.length - 1]
  try {
    return JSON.parse(last) as T
  } catch {
    throw new Error(`child printed no JSON (code ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
}

/**
 * Runs `script` with `args` in a child (as `runChild`) that must finish within
 * `timeoutMs` and exit with code 0, and returns the last line it printed, parsed as JSON.
 */
export const runJson = async <T>(
  script: URL,
  args: ReadonlyArray<string>,
  timeoutMs: number,
  extraFlags: ReadonlyArray<string> = [],
): Promise<T> => {
  const result = await runChild(script, args, timeoutMs, extraFlags)
  assert(!result.timedOut, `the child hung:\n${result.stderr}`)
  assertEquals(result.code, 0, result.stderr)
  return lastJson<T>(result)
}
