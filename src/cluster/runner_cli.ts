/**
 * `deno task runner`: starts a cluster runner on this machine.
 *
 * ```sh
 * deno task runner --url postgres://postgres@db:5432/mp --host 10.0.0.5 --port 34431 --workers 8
 * ```
 *
 * Flags win over the environment: `MP_CLUSTER_URL`, `MP_RUNNER_HOST`
 * (the address others reach it at, default `127.0.0.1`), `MP_RUNNER_LISTEN`
 * (the address it listens on, default the host), `MP_RUNNER_PORT` (default
 * `34431`), `MP_RUNNER_WORKERS` (default: the machine's cores). SIGTERM or SIGINT stops it gracefully: its
 * shards are handed back and unanswered messages run elsewhere. It prints one
 * line `runner ready <host>:<port> (<n> shards)` once it owns shards.
 *
 * @module
 */
// First, before effect loads (see the module): a runner's fibers must not keep an async context per suspension.
import "../no_async_context.ts"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SqlError from "effect/sql/SqlError"
import { SocketServerError } from "effect/socket/SocketServer"
import { parseArgs } from "node:util"
import { runMain } from "../runMain.ts"
import { redacted } from "./internal/options.ts"
import * as Runner from "./Runner.ts"

/** Reads the runner's options from flags, then the environment, then defaults; a message when one is missing or bad. */
export const optionsFrom = (args: ReadonlyArray<string>): Runner.RunnerOptions | string => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      url: { type: "string" },
      host: { type: "string" },
      listen: { type: "string" },
      port: { type: "string" },
      workers: { type: "string" },
    },
  })
  const url = values.url ?? Deno.env.get("MP_CLUSTER_URL")
  if (url === undefined) return "runner: give the PostgreSQL URL with --url or MP_CLUSTER_URL"
  const port = Number(values.port ?? Deno.env.get("MP_RUNNER_PORT") ?? "34431")
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `runner: --port must be a TCP port, got ${port}`
  const workersText = values.workers ?? Deno.env.get("MP_RUNNER_WORKERS")
  const workers = workersText === undefined ? undefined : Number(workersText)
  if (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) {
    return `runner: --workers must be a positive integer, got ${workersText}`
  }
  return {
    url,
    host: values.host ?? Deno.env.get("MP_RUNNER_HOST") ?? "127.0.0.1",
    listen: values.listen ?? Deno.env.get("MP_RUNNER_LISTEN"),
    port,
    workers,
  }
}

/** The error's message and those of its causes that add something (`connect ECONNREFUSED …`). */
const messageOf = (e: unknown): string => {
  const parts: Array<string> = []
  for (let at: unknown = e, depth = 0; at !== undefined && depth < 5; depth++) {
    const text = at instanceof Error ? at.message : String(at)
    if (!parts.some((p) => p.includes(text))) parts.push(text)
    at = at instanceof Error ? at.cause : undefined
  }
  return parts.join(": ")
}

/**
 * One line for the failures a runner meets at its start (PostgreSQL
 * unreachable, its port taken), instead of a stack trace; `undefined` for
 * anything else.
 */
export const startupFailure = (cause: Cause.Cause<unknown>, options: Runner.RunnerOptions): string | undefined => {
  const error = Cause.squash(cause)
  if (SqlError.isSqlError(error)) {
    return `runner: cannot reach the cluster's PostgreSQL (${redacted(options.url)}): ${messageOf(error)}`
  }
  if (error instanceof SocketServerError) {
    return `runner: cannot listen on ${options.listen ?? options.host}:${options.port}: ${messageOf(error)}`
  }
  return undefined
}

if (import.meta.main) {
  const options = optionsFrom(Deno.args)
  if (typeof options === "string") {
    console.error(options)
    Deno.exit(2)
  }
  runMain(
    Layer.launch(Runner.layer({
      ...options,
      onReady: (shards) => console.log(`runner ready ${options.host}:${options.port} (${shards} shards)`),
    })).pipe(Effect.catchCause((cause) => {
      const line = startupFailure(cause, options)
      if (line === undefined) return Effect.failCause(cause)
      console.error(line)
      return Effect.sync(() => Deno.exit(1))
    })),
  )
}
