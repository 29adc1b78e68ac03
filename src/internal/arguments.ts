/**
 * Argument checks of the shared-memory and IPC APIs (locks, values, arrays,
 * queues, pipes, barriers): each returns the checked value or an
 * `InvalidArgument` naming the argument and showing the bad value, with the
 * message template of the pool's checks (`src/pool/internal/arguments.ts`):
 * "<argument> must be <rule>, got <value>". The two modules are meant to be
 * merged.
 *
 * These return the error (or `undefined`) rather than an Effect, so that
 * synchronous entry points can throw it and Effect ones can fail with it.
 *
 * @internal
 * @module
 */
import * as Duration from "effect/Duration"
import { InvalidArgument } from "../errors.ts"

/** A bad argument as the message shows it: strings quoted, so `"2"` is not mistaken for `2`. */
export const shown = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "object" && value !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object"
  }
  return String(value)
}

/** The `InvalidArgument` "<argument> must be <rule>, got <value>". */
export const invalid = (argument: string, rule: string, value: unknown): InvalidArgument =>
  new InvalidArgument({ argument, message: `${argument} must be ${rule}, got ${shown(value)}` })

/** An integer in `min .. max`, or the error. */
export const intIn = (
  argument: string,
  value: unknown,
  min: number,
  max: number,
): InvalidArgument | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : invalid(argument, `an integer from ${min} to ${max}`, value)

/**
 * A timeout of a wait: `undefined` (the caller's default), or a non-negative
 * `Duration.Input` (`Infinity` waits forever). Returns milliseconds, or the
 * error for a negative, NaN or malformed value.
 */
export const timeoutMs = (
  argument: string,
  value: Duration.Input | undefined,
): number | undefined | InvalidArgument => {
  if (value === undefined) return undefined
  let ms: number
  try {
    ms = typeof value === "number" ? value : Duration.toMillis(Duration.fromInputUnsafe(value))
  } catch {
    return invalid(argument, "a non-negative duration (Infinity: wait forever)", value)
  }
  if (typeof ms !== "number" || !(ms >= 0)) {
    return invalid(argument, "a non-negative duration (Infinity: wait forever)", value)
  }
  return ms
}

/** A lock option: `undefined` or one of the lock classes `isLock` accepts. */
export const lockOption = (
  argument: string,
  value: unknown,
  isLock: (u: unknown) => boolean,
): InvalidArgument | undefined =>
  value === undefined || isLock(value) ? undefined : invalid(argument, "a Lock or an RLock", value)
