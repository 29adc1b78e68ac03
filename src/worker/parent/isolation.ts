/**
 * Turns the public `isolation`, `maxMemoryMb` and `permissions` options of
 * `Process.spawn` and `Pool.make` into a host factory, failing with
 * `InvalidArgument` up front rather than with a crash loop later.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { InvalidArgument } from "../../errors.ts"
import { type HostFactory, threadHost, type WorkerPermissions } from "./host.ts"
import { checkPermissions, findEscalation } from "./permissions.ts"
import { processHost } from "./process_host.ts"
import { isCompiled } from "./compiled.ts"

/** What runs each worker: a Deno Worker thread, or a child `deno` process. */
export type Isolation = "worker" | "process"

/** The options that choose a host. */
export interface IsolationOptions {
  readonly isolation?: Isolation | undefined
  readonly maxMemoryMb?: number | undefined
  readonly permissions?: WorkerPermissions | undefined
  /** Internal override (tests). */
  readonly host?: HostFactory | undefined
}

/**
 * The smallest `maxMemoryMb` accepted. Measured on Deno 2.9.6: a child needs
 * 17 MiB of old space to load the worker runtime and a task module that
 * imports `effect` and this library, and dies at start-up with 16 or less; the
 * floor leaves room for heavier task modules.
 */
export const MIN_MEMORY_MB = 32

const invalid = (argument: string, message: string) => Effect.fail(new InvalidArgument({ argument, message }))

/** The host factory for `options`, or `InvalidArgument`. */
export const resolveHost = (options: IsolationOptions): Effect.Effect<HostFactory, InvalidArgument> =>
  Effect.suspend((): Effect.Effect<HostFactory, InvalidArgument> => {
    const isolation = options.isolation ?? "worker"
    if (isolation !== "worker" && isolation !== "process") {
      return invalid("isolation", `isolation must be "worker" or "process", got ${String(isolation)}`)
    }
    const mb = options.maxMemoryMb
    if (mb !== undefined && !(typeof mb === "number" && Number.isInteger(mb) && mb > 0)) {
      return invalid("maxMemoryMb", `maxMemoryMb must be a positive integer, got ${String(mb)}`)
    }
    if (options.host !== undefined) return Effect.succeed(options.host)
    const permissions = options.permissions
    const bad = checkPermissions(permissions, isolation)
    if (bad !== undefined) return invalid("permissions", bad)
    // A Worker thread asked for more than this process has would throw NotCapable from its constructor.
    const escalation = findEscalation(permissions)
    if (escalation !== undefined) return invalid("permissions", escalation)
    if (isolation === "worker") {
      if (mb !== undefined) {
        return invalid("maxMemoryMb", `maxMemoryMb needs isolation: "process" (a Worker thread has no heap limit)`)
      }
      return Effect.succeed(threadHost)
    }
    if (isCompiled()) return compiledProcessHost(options)
    if (mb !== undefined && mb < MIN_MEMORY_MB) {
      return invalid(
        "maxMemoryMb",
        `maxMemoryMb must be at least ${MIN_MEMORY_MB} (below that a child deno process cannot load the worker runtime and a task), got ${mb}`,
      )
    }
    if (Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state !== "granted") {
      return invalid(
        "isolation",
        `isolation: "process" needs permission to run the deno executable (--allow-run=${Deno.execPath()})`,
      )
    }
    return Effect.succeed(processHost({ maxMemoryMb: mb }))
  })

/**
 * The process host of a compiled program (`deno compile`): each child is the
 * program's own binary, which takes its permissions and V8 flags from
 * `deno compile` only, so options that would need other flags are refused.
 */
const compiledProcessHost = (options: IsolationOptions): Effect.Effect<HostFactory, InvalidArgument> => {
  if (options.maxMemoryMb !== undefined) {
    return invalid(
      "maxMemoryMb",
      `maxMemoryMb cannot be applied in a compiled program: its child processes take their V8 flags from deno compile ` +
        `only (compile with --v8-flags=--max-old-space-size=${options.maxMemoryMb}, which caps every process of the ` +
        `program, this one included), got ${options.maxMemoryMb}`,
    )
  }
  const permissions = options.permissions
  if (permissions !== undefined && permissions !== "inherit") {
    return invalid(
      "permissions",
      `permissions cannot be narrowed for isolation: "process" in a compiled program: its child processes have the ` +
        `permissions given to deno compile; use isolation: "worker" (compile with --unstable-worker-options) or ` +
        `compile with fewer permissions, got ${JSON.stringify(permissions)}`,
    )
  }
  if (Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state !== "granted") {
    return invalid(
      "isolation",
      `isolation: "process" in a compiled program starts the program's own binary (${Deno.execPath()}): ` +
        `compile it with --allow-run`,
    )
  }
  return Effect.succeed(processHost({}))
}

/** The hosts one owner (a pool, a Process) started, so that it can await exactly those. */
export interface OwnedHosts {
  /** Starts hosts through `factory` and remembers them until they have settled. */
  readonly factory: HostFactory
  /**
   * Waits until every host started through `factory` that is ending has
   * settled (a child process reaped, its pipes closed); at once with Worker
   * threads. Run it after terminating them: a live host is waited for.
   * Hosts of other owners are never waited for.
   */
  readonly settled: Effect.Effect<void>
}

/** Tracks the hosts started through `factory` for one owner. */
export const ownHosts = (factory: HostFactory): OwnedHosts => {
  const pending = new Set<Promise<void>>()
  return {
    factory: (options) => {
      const host = factory(options)
      const settled = host.settled
      if (settled !== undefined) {
        pending.add(settled)
        settled.then(() => pending.delete(settled))
      }
      return host
    },
    settled: Effect.suspend(() => {
      if (pending.size === 0) return Effect.void
      const all = Promise.all(pending)
      return Effect.promise(() => all)
    }).pipe(Effect.asVoid),
  }
}
