/**
 * Nothing accepted is lost or counted twice: 10,000 tasks where every tenth
 * fails with its typed error and every hundredth-plus-five throws, through
 * `mapExit` and `submit`, on both hosts. The counts are exact, each outcome
 * sits at its own index with its own value, the pool's counters agree, and the
 * pool serves afterwards.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as faults from "../fixtures/fault_tasks.ts"
import { errorOf, test } from "../support/mod.ts"
import { serves } from "./_helpers.ts"

const N = 10_000
const xs = Array.from({ length: N }, (_, i) => i)

/** Checks every outcome against its input; returns the counts. */
const tally = (exits: ReadonlyArray<Exit.Exit<number, unknown>>) => {
  assertEquals(exits.length, N)
  const counts = { ok: 0, typed: 0, thrown: 0 }
  exits.forEach((exit, i) => {
    if (i % 100 === 5) {
      const e = errorOf(exit)
      assert(e instanceof mp.RemoteException && e.remoteMessage === `thrown for ${i}`, `item ${i}: ${String(exit)}`)
      counts.thrown++
    } else if (i % 10 === 0) {
      const e = errorOf(exit)
      assert(e instanceof faults.TenthFailure && e.value === i, `item ${i}: ${String(exit)}`)
      counts.typed++
    } else {
      assert(Exit.isSuccess(exit) && exit.value === 2 * i, `item ${i}: ${String(exit)}`)
      counts.ok++
    }
  })
  return counts
}

const expected = { ok: 8_900, typed: 1_000, thrown: 100 }

for (const isolation of ["worker", "process"] as const) {
  const suffix = isolation === "process" ? " [process]" : ""
  test(
    `mapExit over 10,000 tasks where every tenth fails: exactly 8,900 values, 1,000 typed failures, 100 RemoteExceptions, each at its index${suffix}`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 2, isolation })
        assertEquals(tally(yield* pool.mapExit(faults.everyTenthFails, xs)), expected)
        const stats = yield* pool.stats
        assertEquals([stats.completed, stats.failed, stats.queued, stats.running], [8_900, 1_100, 0, 0])
        // map fails fast with one of those errors, and the pool still serves.
        const first = yield* Effect.flip(pool.map(faults.everyTenthFails, xs))
        assert(first instanceof faults.TenthFailure || first instanceof mp.RemoteException, String(first))
        yield* serves(pool)
      }),
    { timeout: 60_000 },
  )

  test(
    `submit of 10,000 tasks where every tenth fails: every fiber ends once with its own outcome; counts exact${suffix}`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 2, isolation })
        const fibers = yield* Effect.forEach(xs, (x) => pool.submit(faults.everyTenthFails, x))
        const exits = yield* Effect.forEach(fibers, (f) => Fiber.await(f))
        assertEquals(tally(exits as ReadonlyArray<Exit.Exit<number, unknown>>), expected)
        const stats = yield* pool.stats
        assertEquals([stats.completed, stats.failed], [8_900, 1_100])
        assertInstanceOf(errorOf(exits[0]), faults.TenthFailure)
        yield* serves(pool)
      }),
    { timeout: 60_000 },
  )
}
