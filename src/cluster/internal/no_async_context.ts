/**
 * Imported first by `runner_cli.ts`, before `effect` loads: hides
 * `node:async_hooks` from Effect in the runner's own thread, so its fibers do
 * not capture an async context each time they suspend. On Deno each captured
 * context stays reachable until its fiber ends (README, "Platform facts"),
 * and effect/cluster's loops (storage sync, shard locks, health checks, the
 * PostgreSQL connection) are fibers that never end: an idle runner grew by
 * ~27 KB a second, gigabytes a day (measured). Effect reads the module once,
 * when it loads, through `process.getBuiltinModule`, and nothing else in the
 * runner's graph uses it. The runner's thread runs no task code (tasks run in
 * its pool's workers, separate isolates with their own Effect), so nothing
 * there relies on `AsyncLocalStorage` across fibers.
 *
 * @internal
 * @module
 */
const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
const getBuiltinModule = host?.getBuiltinModule
if (host !== undefined && getBuiltinModule !== undefined) {
  host.getBuiltinModule = (id: string) =>
    id === "node:async_hooks" || id === "async_hooks" ? undefined : getBuiltinModule.call(host, id)
}
