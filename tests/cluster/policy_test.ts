/**
 * The cluster's pure policies, without PostgreSQL: which runner each runner
 * watches, and when a call has waited out `runnerTimeout` with no runner alive.
 */
import { assert, assertEquals } from "@std/assert"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import type * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { NoRunners } from "../../src/cluster/errors.ts"
import { successor } from "../../src/cluster/internal/health.ts"
import { expired, makeLiveness } from "../../src/cluster/internal/liveness.ts"
import { errorOf } from "../support/mod.ts"

const at = (port: number) => RunnerAddress.make("10.0.0.1", port)

Deno.test("each runner watches the next healthy runner in address order, the last one the first: every runner is watched", () => {
  const all = [at(3003), at(3001), at(3002)]
  assertEquals(successor(at(3001), all)?.port, 3002)
  assertEquals(successor(at(3002), all)?.port, 3003)
  assertEquals(successor(at(3003), all)?.port, 3001)
  const watched = new Set(all.map((a) => successor(a, all)?.port))
  assertEquals(watched.size, all.length)
})

Deno.test("a runner alone watches nobody; once its successor is marked dead it watches the next one", () => {
  assertEquals(successor(at(3001), [at(3001)]), undefined)
  assertEquals(successor(at(3001), []), undefined)
  // 3002 died and is no longer listed healthy: 3001 moves on to 3003.
  assertEquals(successor(at(3001), [at(3001), at(3003)])?.port, 3003)
})

Deno.test("NoRunners comes only after runnerTimeout without a live runner, counted from the later of the call's start and the first check that saw none", () => {
  // A runner is alive: never.
  assertEquals(expired(100_000, 0, undefined, 1_000), false)
  // None since t=0, the call started at t=5000: it waits its own full second.
  assertEquals(expired(5_500, 5_000, 0, 1_000), false)
  assertEquals(expired(6_000, 5_000, 0, 1_000), true)
  // The call started first, none seen from t=2000.
  assertEquals(expired(2_900, 0, 2_000, 1_000), false)
  assertEquals(expired(3_000, 0, 2_000, 1_000), true)
})

Deno.test("thousands of calls waiting for a runner fail together with NoRunners after runnerTimeout, from one check loop", () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const storage = { getRunners: Effect.succeed([]) } as unknown as RunnerStorage.RunnerStorage["Service"]
    const liveness = yield* makeLiveness({ runners: {} as never, storage, runnerTimeoutMs: 300 })
    const started = performance.now()
    const exits = yield* Effect.forEach(
      Array.from({ length: 5_000 }, () => liveness.watch(started)),
      (watch) => Effect.exit(watch),
      { concurrency: "unbounded" },
    )
    const took = performance.now() - started
    assert(exits.every((e) => Exit.isFailure(e) && errorOf(e) instanceof NoRunners), "a call did not get NoRunners")
    assert(took >= 300 && took < 5_000, `took ${took} ms`)
  }))))
