/**
 * Pool control, item 3: per-call options. `timeout` limits one call's run
 * (clock from when the task starts; `TaskTimeout.limit` is `"timeout"`),
 * `priority` orders the queue (higher first, FIFO within a priority), and a
 * task without payload still takes options (`apply(task, undefined, options)`).
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { whoAmI } from "../fixtures/control_tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { eventually, test } from "../support/mod.ts"

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(
    `Pool: apply(task, payload, { timeout }) fails that call with TaskTimeout (limit "timeout"); the pool goes on [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 1, taskTimeout: "10 seconds", interruptGrace: 100, isolation })
        const e = yield* Effect.flip(pool.apply(tasks.sleep, 5_000, { timeout: 300 }))
        assertInstanceOf(e, mp.TaskTimeout)
        assertEquals([e.timeoutMs, e.limit, e.phase], [300, "timeout", "run"])
        assertEquals(e.message.includes("(timeout)"), true)
        assertEquals(yield* pool.apply(tasks.double, 4), 8)
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: priority: queued calls run highest priority first, first come first served within a priority [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const pool = yield* mp.Pool.make({ size: 1, isolation })
        yield* pool.ready
        const blocker = yield* Effect.forkChild(pool.apply(tasks.sleep, 400))
        yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 1)), 10_000)
        const order: Array<string> = []
        const calls: Array<[string, number]> = [["a", 0], ["b", 5], ["c", 0], ["d", 5], ["e", 10], ["f", -1]]
        const fibers = []
        for (const [label, priority] of calls) {
          fibers.push(
            yield* Effect.forkChild(
              pool.apply(tasks.double, 1, { priority }).pipe(Effect.tap(() => Effect.sync(() => order.push(label)))),
            ),
          )
        }
        yield* eventually(pool.stats.pipe(Effect.map((s) => s.queued === calls.length)))
        yield* Fiber.join(blocker)
        for (const f of fibers) yield* Fiber.join(f)
        assertEquals(order, ["e", "b", "d", "a", "c", "f"])
      }),
    { timeout: 30_000 },
  )
}

test(
  "Pool: a call's timeout starts when its task starts: time spent queued behind another task does not count",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1 })
      yield* pool.ready
      const blocker = yield* Effect.forkChild(pool.apply(tasks.sleep, 800))
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 1)), 10_000)
      assertEquals(yield* pool.apply(tasks.sleep, 50, { timeout: 500 }), 50)
      yield* Fiber.join(blocker)
    }),
  { timeout: 30_000 },
)

test(
  "Pool: map and imap take timeout and priority; a payload over the timeout fails the map with TaskTimeout",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2, interruptGrace: 100 })
      const e = yield* Effect.flip(pool.map(tasks.sleep, [10, 5_000], { timeout: 300, chunkSize: 1 }))
      assertInstanceOf(e, mp.TaskTimeout)
      assertEquals(e.limit, "timeout")
      assertEquals(yield* pool.map(tasks.double, [1, 2, 3], { priority: 3, timeout: "5 seconds" }), [2, 4, 6])
      const streamed = yield* Stream.runCollect(pool.imap(tasks.double, [1, 2], { priority: 1, timeout: 5_000 }))
      assertEquals(Array.from(streamed), [2, 4])
      const late = yield* Effect.flip(Stream.runCollect(pool.imap(tasks.sleep, [5_000], { timeout: 300 })))
      assertInstanceOf(late, mp.TaskTimeout)
    }),
  { timeout: 30_000 },
)

test("Pool: a task without payload takes options: apply(task, undefined, { priority }) and submit", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const me = yield* pool.apply(whoAmI)
    assertEquals(yield* pool.apply(whoAmI, undefined, { priority: 2, timeout: "5 seconds" }), me)
    assertEquals(yield* Fiber.join(yield* pool.submit(whoAmI, undefined, { priority: 1 })), me)
  }))

test("Pool: bad per-call options fail with InvalidArgument naming the option", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const cases: Array<[unknown, string]> = [
      [{ timeout: -1 }, "timeout"],
      [{ timeout: 0 }, "timeout"],
      [{ priority: Number.NaN }, "priority"],
      [{ priority: "high" }, "priority"],
      [{ key: 5 }, "key"],
      [{ retries: 3 }, "options.retries"],
      [5, "options"],
    ]
    for (const [options, argument] of cases) {
      const e = yield* Effect.flip(pool.apply(tasks.double, 1, options as mp.Pool.CallOptions))
      assertInstanceOf(e, mp.InvalidArgument)
      assertEquals(e.argument, argument)
    }
    const m = yield* Effect.flip(pool.map(tasks.double, [1], { key: "k" } as mp.Pool.MapOptions))
    assertInstanceOf(m, mp.InvalidArgument)
    assertEquals(m.argument, "options.key")
  }))
