/**
 * Checks of a cluster pool's options and of its per-call options: bad input
 * is `InvalidArgument` naming the argument and the value, at the edge.
 *
 * @internal
 * @module
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { checkKeys, invalid, timeoutMs } from "../../internal/arguments.ts"
import type { CallSettings } from "./client.ts"

/** A positive, finite duration in ms: a cluster call always has a deadline. */
export const finiteMs = (argument: string, value: Duration.Input | undefined): number | InvalidArgument => {
  const ms = timeoutMs(argument, value)
  if (typeof ms === "object") return ms
  return ms === undefined || ms <= 0 || ms === Infinity
    ? invalid(argument, "a positive, finite duration (a cluster call needs a deadline)", value)
    : ms
}

/** The keys `apply` and `submit` take on a cluster pool. */
export const callKeys: ReadonlyArray<string> = ["timeout", "priority", "key"]

/** The keys `map`, `mapExit`, `starmap`, `imap`... take on a cluster pool. */
export const mapKeys: ReadonlyArray<string> = ["chunkSize", "onProgress", "timeout", "priority"]

/**
 * `timeout`, `priority` and `key` of per-call options (`keys` says which are
 * taken), as the dispatcher's settings.
 */
export const callSettings = (
  options: unknown,
  keys: ReadonlyArray<string>,
): Effect.Effect<CallSettings, InvalidArgument> =>
  Effect.flatMap(checkKeys("options", options, keys), () => {
    if (options === undefined) return Effect.succeed({})
    const { timeout, priority, key } = options as { timeout?: Duration.Input; priority?: unknown; key?: unknown }
    const ms = timeout === undefined ? undefined : finiteMs("timeout", timeout)
    if (typeof ms === "object") return Effect.fail(ms)
    if (priority !== undefined && !(typeof priority === "number" && Number.isFinite(priority))) {
      return Effect.fail(invalid("priority", "a finite number", priority))
    }
    if (key !== undefined && typeof key !== "string") return Effect.fail(invalid("key", "a string", key))
    return Effect.succeed({ timeoutMs: ms, priority, key })
  })

/** The URL without its password, for messages. */
export const redacted = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password !== "") u.password = "***"
    return u.toString()
  } catch {
    return "an unreadable URL"
  }
}
