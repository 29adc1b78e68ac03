/**
 * The per-call options of `apply`, `submit`, `map` and `imap` (`timeout`,
 * `priority`, and for one-task calls `key`), checked at the edge: a bad value
 * or an unknown option fails with `InvalidArgument` naming it.
 *
 * @internal
 * @module
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { durationMs, invalid, knownKeys } from "../../internal/arguments.ts"
import type { CallTuning } from "./model.ts"

/** The options a call may carry. */
interface RawCallOptions {
  readonly timeout?: Duration.Input | undefined
  readonly priority?: number | undefined
  readonly key?: string | undefined
}

/** The keys of `CallOptions`. */
const applyKeys: ReadonlyArray<string> = ["timeout", "priority", "key"]

/** A call without options: one Effect for all of them (this runs on every call). */
const noTuning: Effect.Effect<CallTuning | undefined> = Effect.succeed(undefined)

/**
 * The call's options as its jobs carry them (`undefined` when it gives none of
 * them); `kind` says which are allowed (`"map"`: `chunkSize`, `timeout`,
 * `priority`; `"apply"`: `timeout`, `priority`, `key`).
 */
export const callTuning = (
  options: unknown,
  kind: "map" | "apply",
): Effect.Effect<CallTuning | undefined, InvalidArgument> =>
  options === undefined ? noTuning : Effect.suspend((): Effect.Effect<CallTuning | undefined, InvalidArgument> => {
    if (typeof options !== "object" || options === null) return Effect.fail(invalid("options", "an object", options))
    // The keys of map options are checked with the rest of them (`mapOptionKeys` in calls.ts).
    if (kind === "apply") {
      const unknown = knownKeys("options", options, applyKeys)
      if (unknown !== undefined) return Effect.fail(unknown)
    }
    const o = options as RawCallOptions
    if (o.priority !== undefined && (typeof o.priority !== "number" || !Number.isFinite(o.priority))) {
      return Effect.fail(invalid("priority", "a finite number", o.priority))
    }
    if (o.key !== undefined && typeof o.key !== "string") return Effect.fail(invalid("key", "a string", o.key))
    if (o.timeout === undefined && o.priority === undefined && o.key === undefined) return Effect.succeed(undefined)
    return Effect.map(
      durationMs("timeout", o.timeout, { positive: true }),
      (timeoutMs): CallTuning => ({ timeoutMs, priority: o.priority, key: o.key }),
    )
  })
