/**
 * Pool control, item 4: `pool.broadcast(task, payload)` runs the task once on
 * every live worker and returns `{ workerId, exit }` per worker; a worker that
 * dies meanwhile gives a `WorkerCrashed` exit, never a hang. On both hosts.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { dieAfter, sleepThenWho, whoAmI } from "../fixtures/control_tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(
    `Pool: broadcast runs the task once on every live worker and returns each worker's exit [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 3, isolation })
        yield* pool.ready
        const results = yield* pool.broadcast(whoAmI)
        assertEquals(results.length, (yield* pool.stats).workersAlive)
        assertEquals(new Set(results.map((r) => r.workerId)).size, results.length)
        const who = results.map((r) => Exit.isSuccess(r.exit) ? r.exit.value : "failed")
        assertEquals(new Set(who).size, results.length)
        const doubled = yield* pool.broadcast(tasks.double, 21)
        assert(doubled.every((r) => Exit.isSuccess(r.exit) && r.exit.value === 42))
      }),
    { timeout: 40_000 },
  )

  test(
    `Pool: broadcast while a worker is being replaced: that worker's entry is WorkerCrashed, the others succeed [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 2, isolation })
        yield* pool.ready
        const dying = yield* Effect.forkChild(Effect.flip(pool.apply(dieAfter, 300)))
        yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 1)), 10_000)
        const results = yield* pool.broadcast(sleepThenWho, 10)
        assertEquals(results.length, 2)
        const crashed = results.filter((r) => failureOf(r.exit) instanceof mp.WorkerCrashed)
        const ok = results.filter((r) => Exit.isSuccess(r.exit))
        assertEquals([crashed.length, ok.length], [1, 1])
        assertInstanceOf(yield* Fiber.join(dying), mp.WorkerCrashed)
        assertEquals(yield* pool.apply(tasks.double, 2), 4)
      }),
    { timeout: 40_000 },
  )
}

test("Pool: broadcast gives a task's own failure per worker, an empty array with no live worker, PoolClosed once closed", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    yield* pool.ready
    const thrown = yield* pool.broadcast(tasks.throws, "no")
    assertEquals(thrown.length, 2)
    assert(thrown.every((r) => failureOf(r.exit) instanceof mp.RemoteException))
    const lazy = yield* mp.Pool.make({ maxSize: 2 })
    assertEquals(yield* lazy.broadcast(whoAmI), [])
    yield* pool.terminate
    assertInstanceOf(yield* Effect.flip(pool.broadcast(whoAmI)), mp.PoolClosed)
  }))

test("Pool: an interrupted broadcast leaves nothing queued", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    yield* pool.ready
    const busy = yield* Effect.forkChild(pool.apply(tasks.sleep, 300))
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 1)), 10_000)
    const b = yield* Effect.forkChild(pool.broadcast(tasks.double, 1))
    yield* eventually(pool.stats.pipe(Effect.map((s) => s.queued === 1)))
    yield* Fiber.interrupt(b)
    assertEquals((yield* pool.stats).queued, 0)
    yield* Fiber.join(busy)
    yield* pool.close
    assertEquals((yield* pool.stats).completed, 1)
  }))
