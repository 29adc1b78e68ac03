/**
 * A background loop that does not grow: runs `tick` at once, then again
 * `ms` after each run ends, until the Scope closes, each run in a fiber of
 * its own started from a timer. On Deno, a fiber keeps ~450 bytes for every
 * time it suspends until it ends (README, "Platform facts"), so the same
 * loop in one long-lived fiber (`Effect.forever`) would grow by kilobytes a
 * second for as long as a pool, cluster client or runner lives.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

/** Starts the loop; it stops (interrupting a run in progress) when the Scope closes. Failures of a run are ignored. */
export const every = <R>(
  ms: number,
  tick: Effect.Effect<void, unknown, R>,
): Effect.Effect<void, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const runFork = Effect.runForkWith(yield* Effect.context<R>())
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Fiber.Fiber<void> | undefined
    const run = (): void => {
      timer = undefined
      running = runFork(Effect.ensuring(
        Effect.ignoreCause(tick),
        Effect.sync(() => {
          running = undefined
          if (!stopped) timer = setTimeout(run, ms)
        }),
      ))
    }
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        stopped = true
        if (timer !== undefined) clearTimeout(timer)
        return running === undefined ? Effect.void : Fiber.interrupt(running)
      })
    )
    run()
  })
