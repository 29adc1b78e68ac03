/**
 * `onProgress` of `map` and `mapExit`: the map's callbacks count settled
 * payloads in plain code; one fiber reports the count to the user's Effect,
 * one call at a time, coalescing what arrived meanwhile, and once more with
 * `(total, total)` before the map returns.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"

/** The progress of one map call. */
export interface Progress {
  /** `count` more payloads settled (plain code, from the map's callbacks). */
  readonly settled: (count: number) => void
  /** Runs `map` with the reporter beside it. */
  readonly around: <A, E>(map: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

/** Progress reported to `onProgress` for a map of `total` payloads. */
export const makeProgress = (
  onProgress: (done: number, total: number) => Effect.Effect<void>,
  total: number,
): Progress => {
  let done = 0
  let wake: (() => void) | undefined
  const reporter = Effect.gen(function* () {
    let reported = 0
    while (reported < total) {
      if (done === reported) {
        yield* Effect.callback<void>((resume) => {
          wake = () => resume(Effect.void)
          return Effect.sync(() => wake = undefined)
        })
        continue
      }
      reported = done
      yield* onProgress(reported, total)
    }
  })
  return {
    settled: (count) => {
      done += count
      const w = wake
      wake = undefined
      w?.()
    },
    around: (map) =>
      Effect.gen(function* () {
        if (total === 0) {
          const value = yield* map
          yield* onProgress(0, 0)
          return value
        }
        const fiber = yield* Effect.forkChild(reporter, { startImmediately: true })
        const exit = yield* Effect.exit(map)
        if (Exit.isSuccess(exit)) yield* Fiber.join(fiber)
        else yield* Fiber.interrupt(fiber)
        return yield* exit
      }),
  }
}
