/**
 * A chunk with one payload that cannot be cloned is split and sent item by
 * item; its parts belong to the caller's job, so a failed or interrupted map
 * cancels every one of them.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { eventually, test } from "../support/mod.ts"

// deno-lint-ignore no-explicit-any
type Any = any

const withUnclonable: ReadonlyArray<number> = [3_000, (() => 1) as Any, 3_000, 3_000]

test(
  "Pool.map() that fails on an unclonable payload interrupts the other tasks of its chunk",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1 })
      const error = yield* Effect.flip(pool.map(tasks.sleep, withUnclonable, { chunkSize: 4 }))
      assertEquals((error as { _tag: string })._tag, "SerializationError")
      // The three 3-second sleeps were interrupted, not left running.
      yield* eventually(Effect.map(pool.stats, (s) => s.running === 0 && s.queued === 0), 1_500)
      assertEquals(yield* pool.apply(tasks.double, 2), 4)
    }),
  { timeout: 30_000 },
)

test("interrupting Pool.mapExit() cancels the parts of a split chunk too", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const result = yield* pool.mapExit(tasks.sleep, withUnclonable, { chunkSize: 4 }).pipe(
      Effect.timeoutOption(300),
    )
    assertEquals(result._tag, "None")
    yield* eventually(Effect.map(pool.stats, (s) => s.running === 0 && s.queued === 0), 1_500)
  }), { timeout: 30_000 })

test("Pool.mapExit() reports each item of a split chunk once: the unclonable one fails, the others succeed", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const exits = yield* pool.mapExit(tasks.sleep, [20, (() => 1) as Any, 30, 40], { chunkSize: 4 })
    assertEquals(exits.length, 4)
    assert(Exit.isFailure(exits[1]))
    assertEquals(exits.filter(Exit.isSuccess).map((e) => (e as Exit.Success<number>).value), [20, 30, 40])
    const stats = yield* pool.stats
    assertEquals(stats.completed, 3)
    assertEquals(stats.failed, 1)
  }))

test("a split chunk sends each part with its own transferables only: the payloads that transfer nothing still run", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const buffer = new ArrayBuffer(8)
    const exits = yield* pool.mapExit(
      tasks.sleep,
      [mp.transfer(1, [buffer]) as Any, (() => 1) as Any, 3, 4],
      { chunkSize: 4 },
    )
    assertEquals(exits.slice(2), [Exit.succeed(3), Exit.succeed(4)])
    assert(Exit.isFailure(exits[1]) && JSON.stringify(exits[1].cause).includes("could not be cloned"))
    // Deno detached the buffer when the whole chunk failed to send: its payload fails, saying so.
    assert(Exit.isFailure(exits[0]) && JSON.stringify(exits[0].cause).includes("detached"))
  }))
