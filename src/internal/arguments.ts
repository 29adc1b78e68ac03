/**
 * The one argument-checking module: every check of the public API (pool,
 * process, shared memory, IPC) fails with an `InvalidArgument` naming the
 * argument and showing the bad value, with one message template:
 * "<argument> must be <rule>, got <value>" (`invalid`).
 *
 * The checks of the shared-memory and IPC APIs return the error (or
 * `undefined`) rather than an Effect, so that synchronous entry points can
 * throw it and Effect ones can fail with it; the pool's checks (`positiveInt`,
 * `iterable`, `durationMs`) are Effects.
 *
 * @internal
 * @module
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
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

/**
 * The `InvalidArgument` "<argument> must be <rule>, got <value>", followed by
 * ` (<hint>)` when a hint says what is accepted.
 */
export const invalid = (argument: string, rule: string, value: unknown, hint?: string): InvalidArgument =>
  new InvalidArgument({
    argument,
    message: `${argument} must be ${rule}, got ${shown(value)}${hint === undefined ? "" : ` (${hint})`}`,
  })

/** A `Duration.Input` in milliseconds; `NaN` when it is not one. */
const toMillis = (value: Duration.Input): number => {
  try {
    const ms = typeof value === "number" ? value : Duration.toMillis(Duration.fromInputUnsafe(value))
    return typeof ms === "number" ? ms : NaN
  } catch {
    return NaN
  }
}

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
  const ms = toMillis(value)
  return ms >= 0 ? ms : invalid(argument, "a non-negative duration (Infinity: wait forever)", value)
}

/** A lock option: `undefined` or one of the lock classes `isLock` accepts. */
export const lockOption = (
  argument: string,
  value: unknown,
  isLock: (u: unknown) => boolean,
): InvalidArgument | undefined =>
  value === undefined || isLock(value) ? undefined : invalid(argument, "a Lock or an RLock", value)

/** `undefined`, or a positive integer. */
export const positiveInt = (argument: string, value: unknown): Effect.Effect<number | undefined, InvalidArgument> =>
  value === undefined
    ? Effect.succeed(undefined)
    : typeof value === "number" && Number.isInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(invalid(argument, "a positive integer", value))

/** Anything with `[Symbol.iterator]`. */
export const iterable = (argument: string, value: unknown): Effect.Effect<void, InvalidArgument> =>
  value !== null && value !== undefined && typeof (value as Iterable<unknown>)[Symbol.iterator] === "function"
    ? Effect.void
    : Effect.fail(invalid(argument, "iterable", value))

/** `undefined`, or a string. */
export const optionalString = (argument: string, value: unknown): Effect.Effect<string | undefined, InvalidArgument> =>
  value === undefined || typeof value === "string"
    ? Effect.succeed(value)
    : Effect.fail(invalid(argument, "a string", value))

/**
 * `undefined`, or a non-negative `Duration.Input` in milliseconds (`positive`:
 * greater than zero). `Infinity` (`Duration.infinity`, `"Infinity"`) is
 * accepted and returned as `Infinity`: the caller decides that it means "no
 * limit". Anything else (negative, NaN, not a duration) fails with
 * "<argument> must be a <rule> duration, got <value> (<what is accepted>)".
 */
export const durationMs = (
  argument: string,
  value: Duration.Input | undefined,
  options: { readonly positive?: boolean } = {},
): Effect.Effect<number | undefined, InvalidArgument> =>
  Effect.suspend((): Effect.Effect<number | undefined, InvalidArgument> => {
    if (value === undefined) return Effect.succeed(undefined)
    const ms = toMillis(value)
    if (options.positive ? ms > 0 : ms >= 0) return Effect.succeed(ms)
    return Effect.fail(
      invalid(
        argument,
        `a ${options.positive ? "positive" : "non-negative"} duration`,
        value,
        `use milliseconds, a Duration, a string such as "5 seconds", or Infinity for no limit`,
      ),
    )
  })

/** The edit distance of `a` and `b` (insertions, deletions, substitutions). */
const _distance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]
}

/**
 * The options object of `argument` (`undefined`, or an object whose keys are
 * all in `known`), or the error: "options must have only known keys, got
 * "maxQeue" (did you mean "maxQueue"?)". Each options type keeps its list of
 * known keys in one const array beside its interface.
 */
export const knownKeys = (
  argument: string,
  value: unknown,
  known: ReadonlyArray<string>,
): InvalidArgument | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return invalid(argument, "an options object", value)
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    let best: string | undefined
    let bestDistance = Infinity
    for (const k of known) {
      const d = _distance(key.toLowerCase(), k.toLowerCase())
      if (d < bestDistance) [best, bestDistance] = [k, d]
    }
    const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    return new InvalidArgument({
      argument: `${argument}.${key}`,
      message: `${argument} must have only known keys, got ${shown(key)}${
        close ? ` (did you mean ${shown(best)}?)` : ` (known keys: ${known.join(", ")})`
      }`,
    })
  }
  return undefined
}

/** `knownKeys` as an Effect. */
export const checkKeys = (
  argument: string,
  value: unknown,
  known: ReadonlyArray<string>,
): Effect.Effect<void, InvalidArgument> => {
  const error = knownKeys(argument, value, known)
  return error === undefined ? Effect.void : Effect.fail(error)
}

/** `undefined`, or a boolean. */
export const optionalBoolean = (
  argument: string,
  value: unknown,
): Effect.Effect<boolean | undefined, InvalidArgument> =>
  value === undefined || typeof value === "boolean"
    ? Effect.succeed(value)
    : Effect.fail(invalid(argument, "a boolean", value))

/**
 * The keys of an options interface `T`, as the list `checkKeys` reads:
 * `optionKeys<PoolOptions>()(["size", …])` does not compile when the list
 * misses a key of `T` (so a new option cannot be forgotten) or names one `T`
 * does not have.
 */
export const optionKeys = <T>() =>
<const K extends ReadonlyArray<keyof T & string>>(
  keys: K & (Exclude<keyof T, K[number]> extends never ? unknown : { readonly missing: Exclude<keyof T, K[number]> }),
): ReadonlyArray<string> => keys
