/**
 * Whether the cluster has a runner alive, as the caller sees it: a runner
 * registered and healthy in PostgreSQL that answers a ping (runners SIGKILLed
 * all at once still look healthy in storage until their heartbeat expires).
 * Checked every `CHECK_INTERVAL_MS` while calls are running, never when idle.
 * A call that has seen no runner alive for `runnerTimeout` fails with
 * `NoRunners`.
 *
 * @internal
 * @module
 */
import type * as Runners from "effect/cluster/Runners"
import type * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { NoRunners } from "../errors.ts"
import { every } from "../../internal/every.ts"
import { isAlive } from "./health.ts"

/** How often the caller checks for a live runner while calls run. */
export const CHECK_INTERVAL_MS = 250

/** The caller's view of the runners. */
export interface Liveness {
  /**
   * Never succeeds: fails with `NoRunners` once no runner has been alive for
   * `runnerTimeout`, counted from the later of the call's start (`since`,
   * a `performance.now()`; default: now) and the last time one was. Race it
   * with the call.
   */
  readonly watch: (since?: number) => Effect.Effect<never, NoRunners>
}

/**
 * Whether a call that started at `startedAt` has waited out `runnerTimeoutMs`
 * with no runner alive (`noneSince`: when the checks first saw none, or
 * `undefined` while one is alive). Pure: the policy, apart from the checks.
 */
export const expired = (
  now: number,
  startedAt: number,
  noneSince: number | undefined,
  runnerTimeoutMs: number,
): boolean => noneSince !== undefined && now - Math.max(noneSince, startedAt) >= runnerTimeoutMs

/** Starts the checks (they stop with the Scope). */
export const makeLiveness = (options: {
  readonly runners: Runners.Runners["Service"]
  readonly storage: RunnerStorage.RunnerStorage["Service"]
  readonly runnerTimeoutMs: number
}): Effect.Effect<Liveness, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { runners, storage, runnerTimeoutMs } = options
    let noneSince: number | undefined
    // The calls that wait: each is failed by the checks below once it has seen no runner for runnerTimeout (no timer
    // of its own: thousands of calls waiting for a free worker cost one check every CHECK_INTERVAL_MS in all).
    const waiting = new Set<{ readonly since: number; readonly fail: () => void }>()

    /** Some healthy runner answers a ping (the first that does ends the search); `undefined`: storage unreachable. */
    const anyAlive: Effect.Effect<boolean | undefined> = Effect.gen(function* () {
      const all = yield* storage.getRunners
      for (const [runner, healthy] of all) {
        if (healthy && (yield* isAlive(runners, runner.address))) return true
      }
      return false
    }).pipe(Effect.orElseSucceed(() => undefined))

    yield* every(
      CHECK_INTERVAL_MS,
      Effect.gen(function* () {
        if (waiting.size === 0) {
          noneSince = undefined // nobody waits: the next call starts from a fresh check
          return
        }
        const alive = yield* anyAlive
        if (alive === true) noneSince = undefined
        else if (alive === false) noneSince ??= performance.now()
        if (noneSince === undefined) return
        const now = performance.now()
        for (const call of waiting) {
          if (expired(now, call.since, noneSince, runnerTimeoutMs)) call.fail()
        }
      }),
    )

    const watch = (since?: number): Effect.Effect<never, NoRunners> =>
      Effect.callback<never, NoRunners>((resume) => {
        const call = {
          since: since ?? performance.now(),
          fail: () => {
            waiting.delete(call)
            resume(Effect.fail(new NoRunners({ runnerTimeoutMs })))
          },
        }
        waiting.add(call)
        return Effect.sync(() => waiting.delete(call))
      })
    return { watch }
  })
