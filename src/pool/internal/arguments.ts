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

/** `undefined`, or a finite non-negative `Duration.Input`, in milliseconds. */
export const durationMs = (argument: string, value: Duration.Input | undefined) =>
  Effect.suspend((): Effect.Effect<number | undefined, InvalidArgument> => {
    if (value === undefined) return Effect.succeed(undefined)
    const d = typeof value === "number"
      ? (Number.isFinite(value) ? value : NaN)
      : Duration.toMillis(Duration.fromInputUnsafe(value))
    if (typeof d !== "number" || !(d >= 0)) {
      return Effect.fail(
        new InvalidArgument({
          argument,
          message: `${argument} must be a finite, non-negative duration, got ${shown(value)}`,
        }),
      )
    }
    return Effect.succeed(d)
  }).pipe(
    Effect.catchDefect(() =>
      Effect.fail(new InvalidArgument({ argument, message: `${argument} is not a valid duration: ${String(value)}` }))
    ),
  )
