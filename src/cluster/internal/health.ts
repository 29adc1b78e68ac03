/**
 * How runners find a dead runner fast. effect/cluster's own health check is
 * one singleton (it runs on a single runner) that pings every runner and
 * retries a failed ping five times, 500 ms apart: a SIGKILLed runner is marked
 * dead ~3–4 s after it dies, and when the runner that dies is the one running
 * the singleton, nobody marks it until its heartbeat is older than the lock
 * expiry. Here:
 *
 * - `layerHealth`: the singleton's ping retries twice, 150 ms apart (a dead
 *   process refuses the connection at once; a live runner's own thread does
 *   no task work, so it answers).
 * - `watch`: every runner also watches the next healthy runner in address
 *   order (a ring: each runner is watched by one other, whichever runner
 *   dies), and marks it unhealthy when its pings fail.
 *
 * @internal
 * @module
 */
import type { RunnerAddress } from "effect/cluster/RunnerAddress"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as Runners from "effect/cluster/Runners"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { every } from "../../internal/every.ts"

/** How often each runner checks the runner it watches. */
export const WATCH_INTERVAL_MS = 500

const key = (address: RunnerAddress): string => `${address.host}:${address.port}`

/**
 * The runner that `self` watches: the next healthy runner after it in address
 * order, wrapping around; `undefined` when it is alone. Pure: the policy of
 * the ring, apart from the pings.
 */
export const successor = (
  self: RunnerAddress,
  healthy: ReadonlyArray<RunnerAddress>,
): RunnerAddress | undefined => {
  const me = key(self)
  const others = healthy.filter((a) => key(a) !== me).sort((a, b) => key(a) < key(b) ? -1 : 1)
  if (others.length === 0) return undefined
  return others.find((a) => key(a) > me) ?? others[0]
}

/** Whether the runner at `address` answers a ping (two retries, 150 ms apart; each ping up to 3 s). */
export const isAlive = (runners: Runners.Runners["Service"], address: RunnerAddress): Effect.Effect<boolean> =>
  runners.ping(address).pipe(
    Effect.timeout(3_000),
    Effect.retry({ times: 2, schedule: Schedule.spaced(150) }),
    Effect.isSuccess,
  )

/** The health check of effect/cluster's singleton, with `isAlive`'s quick retries. */
export const layerHealth: Layer.Layer<RunnerHealth.RunnerHealth, never, Runners.Runners> = Layer.effect(
  RunnerHealth.RunnerHealth,
  Effect.gen(function* () {
    const runners = yield* Runners.Runners
    return { isAlive: (address: RunnerAddress) => isAlive(runners, address) }
  }),
)

/**
 * Runs until the Scope closes: every `WATCH_INTERVAL_MS`, pings this runner's
 * successor and marks it unhealthy in storage when it does not answer (the
 * others then move its shards).
 */
export const watch = (
  self: RunnerAddress,
): Effect.Effect<void, never, Runners.Runners | RunnerStorage.RunnerStorage | Scope.Scope> =>
  Effect.gen(function* () {
    const runners = yield* Runners.Runners
    const storage = yield* RunnerStorage.RunnerStorage
    const tick = Effect.gen(function* () {
      const all = yield* storage.getRunners
      const target = successor(self, all.filter(([, healthy]) => healthy).map(([r]) => r.address))
      if (target === undefined) return
      if (!(yield* isAlive(runners, target))) yield* storage.setRunnerHealth(target, false)
    })
    yield* every(WATCH_INTERVAL_MS, tick)
  })
