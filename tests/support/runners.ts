/**
 * Cluster runner processes for the tests: `deno run -A src/cluster/runner_cli.ts`
 * on 127.0.0.1, each with a small local pool. Stopped with SIGTERM (SIGKILL
 * after a deadline) when the Scope closes; their output is kept for a
 * failing test's message.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { freePort } from "./postgres.ts"

const CLI = new URL("../../src/cluster/runner_cli.ts", import.meta.url).pathname

/** A runner process. */
export interface RunnerProcess {
  readonly port: number
  readonly pid: number
  /** Resolves when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>
  /** Everything it printed so far. */
  readonly output: () => string
  readonly kill: (signal: Deno.Signal) => void
}

const drain = async (stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> => {
  const decoder = new TextDecoder()
  for await (const bytes of stream) onText(decoder.decode(bytes, { stream: true }))
}

/** Starts a runner and waits (up to `readyMs`) for its "runner ready" line. */
export const startRunner = (
  url: string,
  options: { readonly workers?: number; readonly readyMs?: number } = {},
): Effect.Effect<RunnerProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const port = freePort()
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          CLI,
          "--url",
          url,
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--workers",
          String(options.workers ?? 1),
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn()
      let out = ""
      let ready: () => void = () => {}
      const readyP = new Promise<void>((resolve) => ready = resolve)
      const onText = (text: string) => {
        out += text
        if (out.includes("runner ready")) ready()
      }
      const drained = Promise.all([drain(child.stdout, onText), drain(child.stderr, onText)])
      const exited = child.status.then(async (status) => {
        await drained
        return status
      })
      const runner: RunnerProcess = {
        port,
        pid: child.pid,
        exited,
        output: () => out,
        kill: (signal) => {
          try {
            child.kill(signal)
          } catch { /* already gone */ }
        },
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      const outcome = await Promise.race([
        readyP.then(() => "ready" as const),
        exited.then(() => "exited" as const),
        new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), options.readyMs ?? 60_000)),
      ])
      clearTimeout(timer)
      if (outcome !== "ready") {
        runner.kill("SIGKILL")
        await exited
        throw new Error(`runner on port ${port} did not start (${outcome}):\n${out}`)
      }
      return runner
    }),
    (runner) => Effect.promise(() => stopRunner(runner)),
  )

/**
 * SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once
 * it is gone, with `killed` true when SIGTERM was not enough.
 */
export const stopRunner = async (
  runner: RunnerProcess,
  graceMs = 20_000,
): Promise<{ readonly status: Deno.CommandStatus; readonly killed: boolean }> => {
  runner.kill("SIGTERM")
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = await Promise.race([
    runner.exited.then(() => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), graceMs)),
  ])
  clearTimeout(timer)
  if (late) runner.kill("SIGKILL")
  return { status: await runner.exited, killed: late }
}

/**
 * The pid of the runner that holds the shard of effect/cluster's health check
 * singleton: its advisory lock in `pg_locks`, the session's client port in
 * `pg_stat_activity`, the process that owns that port from `ss`.
 */
export const healthCheckerPid = (pgPort: number): number | undefined => {
  // effect/cluster's hashString (internal/hash.ts) over the singleton's name, 300 shards per group.
  const name = "effect/cluster/Sharding/RunnerHealth"
  let h = 5381, i = name.length
  while (i) h = (h * 33) ^ name.charCodeAt(--i)
  h = (h & 0xbfffffff) | ((h >>> 1) & 0x40000000)
  const lockNumber = 1_000_000 + Math.abs(h % 300) + 1
  const clientPort = psql(
    pgPort,
    `SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid ` +
      `WHERE l.locktype = 'advisory' AND l.granted AND l.objid = ${lockNumber}`,
  )
  if (clientPort === "") return undefined
  const owner = /pid=(\d+)/.exec(run("ss", ["-tnpH", `sport = :${clientPort}`]))
  return owner === null ? undefined : Number(owner[1])
}

const run = (cmd: string, args: Array<string>) =>
  new TextDecoder().decode(new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync().stdout)

/** One query through `psql` on the test database (unaligned, tuples only), trimmed. */
export const psql = (pgPort: number, query: string): string => {
  const bin = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => `/usr/lib/postgresql/${e.name}/bin/psql`)[0]
  return run(bin, ["-h", "127.0.0.1", "-U", "postgres", "-At", "-p", String(pgPort), "-c", query]).trim()
}

/** Runs `deno task runner` with `args` until it exits (it should, at once): its code and what it printed. */
export const runnerExits = async (args: ReadonlyArray<string>): Promise<{ code: number; output: string }> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output()
  const decoder = new TextDecoder()
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) }
}
