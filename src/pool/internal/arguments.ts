/**
 * Checks of the arguments at the Pool's API edge: each fails at once with an
 * `InvalidArgument` that names the argument and shows the bad value.
 *
 * @internal
 * @module
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { InvalidArgument } from "../../errors.ts"

/** A bad argument as the message shows it: strings quoted, so `"2"` is not mistaken for `2`. */
export const shown = (value: unknown): string => typeof value === "string" ? JSON.stringify(value) : String(value)

/** `undefined`, or a positive integer. */
export const positiveInt = (argument: string, value: unknown): Effect.Effect<number | undefined, InvalidArgument> =>
  value === undefined
    ? Effect.succeed(undefined)
    : typeof value === "number" && Number.isInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(
      new InvalidArgument({ argument, message: `${argument} must be a positive integer, got ${shown(value)}` }),
    )

/** Anything with `[Symbol.iterator]`. */
export const iterable = (argument: string, value: unknown): Effect.Effect<void, InvalidArgument> =>
  value !== null && value !== undefined && typeof (value as Iterable<unknown>)[Symbol.iterator] === "function"
    ? Effect.void
    : Effect.fail(new InvalidArgument({ argument, message: `${argument} must be iterable, got ${shown(value)}` }))

/**
 * `undefined`, or a non-negative `Duration.Input` in milliseconds (`positive`:
 * greater than zero). `Infinity` (`Duration.infinity`, `"Infinity"`) is
 * accepted and returned as `Infinity`: the caller decides that it means "no
 * limit". Anything else (negative, NaN, not a duration) fails with one message
 * template: `<argument> must be a <rule> duration, got <value> (<what is accepted>)`.
 */
export const durationMs = (
  argument: string,
  value: Duration.Input | undefined,
  options: { readonly positive?: boolean } = {},
): Effect.Effect<number | undefined, InvalidArgument> =>
  Effect.suspend((): Effect.Effect<number | undefined, InvalidArgument> => {
    if (value === undefined) return Effect.succeed(undefined)
    let d: number
    try {
      d = typeof value === "number" ? value : Duration.toMillis(Duration.fromInputUnsafe(value))
    } catch {
      d = NaN
    }
    if (typeof d === "number" && (options.positive ? d > 0 : d >= 0)) return Effect.succeed(d)
    const rule = options.positive ? "positive" : "non-negative"
    return Effect.fail(
      new InvalidArgument({
        argument,
        message: `${argument} must be a ${rule} duration, got ${shown(value)} ` +
          `(use milliseconds, a Duration, a string such as "5 seconds", or Infinity for no limit)`,
      }),
    )
  })
