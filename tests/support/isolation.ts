/**
 * Helpers for suites that run against both hosts, and for proving that no
 * child process outlives its test.
 *
 * @module
 */
import * as Effect from "effect/Effect"

/** The two hosts a suite runs against. */
export type Isolation = "worker" | "process"

/** The pids among `pids` that are still in the OS process table (zombies count as gone). */
export const alivePids = async (pids: ReadonlyArray<number>): Promise<Array<number>> => {
  if (pids.length === 0) return []
  const out = await new Deno.Command("ps", {
    args: ["-o", "pid=,stat=", "-p", pids.join(",")],
    stdout: "piped",
    stderr: "null",
  }).output()
  const alive: Array<number> = []
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [pid, stat] = line.trim().split(/\s+/)
    if (pid !== undefined && pid !== "" && !stat?.startsWith("Z")) alive.push(Number(pid))
  }
  return alive
}

/** The pids of our live child processes (from `activeChildren()`). */
export const childPids = (children: ReadonlyArray<{ readonly pid?: number | undefined }>): Array<number> =>
  children.flatMap((c) => c.pid === undefined ? [] : [c.pid])

/** Whether none of `pids` is still in the OS process table. */
export const gone = (pids: ReadonlyArray<number>): Effect.Effect<boolean> =>
  Effect.promise(() => alivePids(pids)).pipe(Effect.map((a) => a.length === 0))
