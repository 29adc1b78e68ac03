import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { assertEquals } from "@std/assert"
import * as Pool from "../../src/pool/Pool.ts"
import { test } from "../support/mod.ts"
import type { Isolation } from "../support/isolation.ts"
import { countUp, emitAcrossAwait } from "../fixtures/observability_tasks.ts"

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(`[${isolation}] applyWithEvents delivers a task's events in order, all before its result`, () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ size: 1, isolation })
      const { events, result } = yield* pool.applyWithEvents(countUp, 500)
      // Read the result first: the events are still all there, and the stream ends.
      assertEquals(yield* result, 500)
      const seen = yield* Stream.runCollect(events)
      assertEquals(seen.length, 500)
      assertEquals(seen.map((e) => e.done), Array.from({ length: 500 }, (_, i) => i + 1))
      assertEquals(seen[0], { done: 1, of: 500 })
    }))

  test(`[${isolation}] events of an Effect handler arrive as they are emitted, before the result`, () =>
    Effect.gen(function* () {
      const pool = yield* Pool.make({ size: 1, isolation })
      const { events, result } = yield* pool.applyWithEvents(emitAcrossAwait)
      const seen = yield* Stream.runCollect(events)
      assertEquals(seen, [1, 2])
      assertEquals(yield* result, "ok")
    }))
}

test("a task's events are dropped when the caller uses apply", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ size: 1 })
    assertEquals(yield* pool.apply(countUp, 3), 3)
  }))
