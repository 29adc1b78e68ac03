/**
 * `@mp/multiprocessing/no-async-context`: import it first, before anything
 * that loads `effect`, to keep a long-lived program's memory flat on Deno.
 *
 * Effect 4.1 captures a `node:async_hooks` async context each time a fiber
 * suspends, so that `AsyncLocalStorage` values follow fibers. On Deno each
 * captured context stays reachable until its fiber ends (about 450 bytes), and
 * some fibers never end: a socket's reader, effect/cluster's loops, a
 * PostgreSQL connection. A `Cluster.pool` caller's heap then grows with every
 * message it receives (measured: ~40 KB per 60,000 tasks, and flat with this
 * module; `deno task soak:cluster`). This module hides `node:async_hooks`
 * from Effect (which reads it once, when it loads, through
 * `process.getBuiltinModule`), so fibers capture nothing.
 *
 * Use it only in a program that does not rely on `AsyncLocalStorage` values
 * following Effect fibers (OpenTelemetry's Node context manager does; Effect's
 * own tracing does not). `deno task runner` imports it: a runner's thread runs
 * no task code (tasks run in its pool's workers, isolates of their own).
 *
 * @example
 * ```ts
 * import "@mp/multiprocessing/no-async-context" // first
 * import { Effect } from "effect"
 * import { Cluster } from "@mp/multiprocessing/cluster"
 * ```
 *
 * @module
 */
const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
const getBuiltinModule = host?.getBuiltinModule
if (host !== undefined && getBuiltinModule !== undefined) {
  host.getBuiltinModule = (id: string) =>
    id === "node:async_hooks" || id === "async_hooks" ? undefined : getBuiltinModule.call(host, id)
}
