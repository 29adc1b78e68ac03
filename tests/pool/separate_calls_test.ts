/**
 * Separate calls in flight together (the Effect idiom
 * `Effect.forEach(xs, (x) => pool.apply(t, x), { concurrency: "unbounded" })`)
 * travel many to a message, as `map`'s chunks do, while each keeps its own
 * outcome. A fake host answers every RUN at once, so the count of messages
 * depends on the pool's dispatch only, not on the machine's load.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import { TaskTimeout } from "../../src/errors.ts"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import type { HostFactory } from "../../src/worker/parent/host.ts"
import * as P from "../../src/worker/wire/protocol.ts"
import { addChild, removeChild } from "../../src/internal/children.ts"
import { test } from "../support/mod.ts"

/** A worker that doubles numbers at once (a microtask later), and counts the RUN messages it gets. */
const doublingHost = (counts: { runs: number }): HostFactory => (host) => {
  addChild({ id: host.id, name: host.name, isolation: "worker" })
  let alive = true
  const reply = (message: P.FromWorker) =>
    queueMicrotask(() => {
      if (alive) host.events.onMessage(message)
    })
  return {
    isolation: "worker",
    post: (message: P.ToWorker) => {
      if (message.t === P.INIT) return reply({ t: P.READY })
      if (message.t !== P.RUN) return
      counts.runs++
      reply({
        t: P.RESULTS,
        r: message.j.map((c) => ({
          c: c.c,
          i: 0,
          k: c.p.map(() => P.SUCCESS),
          v: c.p.map((x) => (x as number) * 2),
        })),
      })
    },
    terminate: () => {
      if (!alive) return
      alive = false
      removeChild(host.id)
    },
  }
}

test(
  "separate apply calls in flight together go to a worker many to a message, each with its own result",
  () =>
    Effect.gen(function* () {
      const counts = { runs: 0 }
      const pool = yield* mp.Pool.make({ size: 1, host: doublingHost(counts) } as mp.Pool.PoolOptions)
      yield* pool.apply(tasks.double, 0) // measured once
      const xs = Array.from({ length: 4000 }, (_, i) => i)
      for (let round = 0; round < 3; round++) {
        counts.runs = 0
        const ys = yield* Effect.forEach(xs, (x) => pool.apply(tasks.double, x), { concurrency: "unbounded" })
        assertEquals(ys, xs.map((x) => 2 * x))
        // One item per message would be 4,000; the window of a quick task holds hundreds.
        assert(counts.runs <= 100, `round ${round}: ${counts.runs} messages for 4,000 calls`)
      }
    }),
)

test(
  "among separate apply calls in flight together, each keeps its own outcome: interrupting one cancels only it, a call's own timeout fails only it, a typed error stays its own",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      yield* pool.ready
      const xs = Array.from({ length: 200 }, (_, i) => i + 1)
      const quick = Effect.forEach(xs, (x) => pool.apply(tasks.double, x), { concurrency: "unbounded" })
      const [ys, interrupted, timedOut, typed] = yield* Effect.all([
        quick,
        Effect.exit(Effect.timeout(pool.apply(tasks.sleep, 5_000), "150 millis")),
        Effect.flip(pool.apply(tasks.sleep, 5_000, { timeout: "150 millis" })),
        Effect.flip(pool.apply(tasks.doubleChecked, 0)),
      ], { concurrency: "unbounded" })
      assertEquals(ys, xs.map((x) => 2 * x))
      assert(Exit.isFailure(interrupted), "the call that gave up failed")
      assertInstanceOf(timedOut, TaskTimeout)
      assertInstanceOf(typed, tasks.ZeroInput)
      // The pool goes on: nothing else was cancelled or lost.
      assertEquals(yield* Effect.forEach(xs, (x) => pool.apply(tasks.double, x), { concurrency: "unbounded" }), ys)
    }),
  { timeout: 30_000 },
)
