/**
 * Tasks with tuple payloads (mutable `[number, number]`, as users write
 * handlers, or readonly) take array literals in every pool method and in
 * `Process.spawn`. This file is the type test: it compiles without
 * `@ts-expect-error` only because the payload type comes from the task, not
 * from the literal (which TypeScript would widen to `number[]`).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { test } from "../support/mod.ts"
import { add, times } from "../fixtures/first_day/tuple_tasks.ts"

test(
  "starmap, map, mapExit, apply, submit, imap and imapUnordered take [a, b] literals for a task typed [number, number]",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      const sums: Array<number> = yield* pool.starmap(add, [[1, 2], [3, 4]])
      assertEquals(sums, [3, 7])
      const pairs: Array<[number, number]> = [[5, 6]]
      assertEquals(yield* pool.starmap(add, pairs), [11])
      assertEquals(yield* pool.map(add, [[1, 1]]), [2])
      const exits = yield* pool.mapExit(add, [[2, 2]])
      assertEquals(exits.map((e) => Exit.isSuccess(e) ? e.value : undefined), [4])
      assertEquals(yield* pool.apply(add, [4, 4]), 8)
      assertEquals(yield* Fiber.join(yield* pool.submit(add, [5, 5])), 10)
      assertEquals(yield* Stream.runCollect(pool.imap(add, [[1, 2], [3, 4]])), [3, 7])
      const unordered = yield* Stream.runCollect(pool.imapUnordered(add, [[1, 2], [3, 4]]))
      assertEquals([...unordered].sort((a, b) => a - b), [3, 7])
      assertEquals(yield* pool.starmap(times, [[2, 3], [4, 5]]), [6, 20])
    }),
  { timeout: 30_000 },
)

test("Process.spawn takes an [a, b] literal for a task typed [number, number]", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(add, [20, 22])
    assertEquals(yield* p.join, 42)
  }), { timeout: 30_000 })
