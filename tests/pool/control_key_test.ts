/**
 * Pool control, item 3: affinity keys. Calls with the same `key` run on the
 * same live worker; when that worker dies, the key (and the keyed calls that
 * waited for it) moves to another worker. On both hosts.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { assertEquals, assertInstanceOf, assertNotEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { dieAfter, sleepThenWho, whoAmI } from "../fixtures/control_tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(
    `Pool: calls with the same key run on the same worker, other keys spread over the pool [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 2, isolation })
        yield* pool.ready
        const keys = ["a", "b", "a", "b", "a", "b", "a", "b"]
        const who = yield* Effect.all(
          keys.map((key) => pool.apply(sleepThenWho, 50, { key })),
          { concurrency: "unbounded" },
        )
        const of = (key: string) => new Set(who.filter((_, i) => keys[i] === key))
        assertEquals(of("a").size, 1)
        assertEquals(of("b").size, 1)
        assertNotEquals([...of("a")][0], [...of("b")][0])
        // Unkeyed work still uses every worker, and the key stays where it was.
        assertEquals(yield* pool.map(tasks.double, [1, 2, 3, 4]), [2, 4, 6, 8])
        assertEquals(yield* pool.apply(whoAmI, undefined, { key: "a" }), [...of("a")][0])
      }),
    { timeout: 40_000 },
  )

  test(
    `Pool: a key whose worker dies moves to another worker, with the keyed calls that waited for it [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 2, isolation })
        const first = yield* pool.apply(whoAmI, undefined, { key: "k" })
        const dying = yield* Effect.forkChild(Effect.flip(pool.apply(dieAfter, 200, { key: "k" })))
        const waiting = yield* Effect.forkChild(
          Effect.all([1, 2, 3].map(() => pool.apply(whoAmI, undefined, { key: "k" })), { concurrency: "unbounded" }),
        )
        assertInstanceOf(yield* Fiber.join(dying), mp.WorkerCrashed)
        const after = yield* Fiber.join(waiting)
        assertEquals(new Set(after).size, 1)
        assertNotEquals(after[0], first)
        assertEquals(yield* pool.apply(whoAmI, undefined, { key: "k" }), after[0])
      }),
    { timeout: 40_000 },
  )
}

test("Pool: an interrupted keyed call that waits for its worker leaves nothing behind", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    yield* pool.ready
    const busy = yield* Effect.forkChild(pool.apply(tasks.sleep, 300, { key: "k" }))
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 1)), 10_000)
    const waiting = yield* Effect.forkChild(pool.apply(tasks.sleep, 1, { key: "k" }))
    yield* Effect.sleep(50)
    assertEquals((yield* pool.stats).queued, 1)
    yield* Fiber.interrupt(waiting)
    assertEquals((yield* pool.stats).queued, 0)
    assertEquals(yield* Fiber.join(busy), 300)
    yield* pool.close
    assertEquals((yield* pool.stats).completed, 1)
  }))

test("Pool: terminate fails keyed calls still waiting with PoolClosed", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    yield* Effect.forkChild(pool.apply(tasks.sleep, 2_000, { key: "k" }))
    const waiting = yield* Effect.forkChild(Effect.flip(pool.apply(tasks.double, 1, { key: "k" })))
    yield* Effect.sleep(50)
    yield* pool.terminate
    assertInstanceOf(yield* Fiber.join(waiting), mp.PoolClosed)
  }))
