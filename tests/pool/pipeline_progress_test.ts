/**
 * Progress without plumbing: `onProgress` of `map`/`mapExit`, and
 * `pool.statsStream(interval)`.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { evenOnly } from "../fixtures/pipeline_tasks.ts"
import { test } from "../support/mod.ts"

test("Pool.map({ onProgress }) reports growing counts, never concurrently, ending with (total, total) before it returns", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const seen: Array<[number, number]> = []
    let active = 0
    const out = yield* pool.map(tasks.sleep, [50, 10, 80, 20, 5], {
      chunkSize: 1,
      onProgress: (done, total) =>
        Effect.gen(function* () {
          assertEquals(active++, 0)
          seen.push([done, total])
          yield* Effect.sleep(15)
          active--
        }),
    })
    assertEquals(out, [50, 10, 80, 20, 5])
    assertEquals(seen.at(-1), [5, 5])
    for (let i = 1; i < seen.length; i++) assert(seen[i][0] > seen[i - 1][0], JSON.stringify(seen))
  }))

test("Pool.mapExit({ onProgress }) counts failed payloads too; map stops reporting once it fails", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const seen: Array<number> = []
    const exits = yield* pool.mapExit(evenOnly, [0, 1, 2, 3], {
      onProgress: (done) => Effect.sync(() => seen.push(done)),
    })
    assertEquals(exits.map(Exit.isSuccess), [true, false, true, false])
    assertEquals(seen.at(-1), 4)
    const failed: Array<number> = []
    const exit = yield* Effect.exit(pool.map(evenOnly, [1, 2, 4], {
      chunkSize: 1,
      onProgress: (done) => Effect.sync(() => failed.push(done)),
    }))
    assert(Exit.isFailure(exit))
    assert(!failed.includes(3), JSON.stringify(failed))
  }))

test("Pool.map() refuses an onProgress that is not a function with InvalidArgument", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const e = yield* Effect.flip(pool.map(tasks.double, [1], { onProgress: 3 } as unknown as mp.Pool.MapOptions))
    assertInstanceOf(e, mp.InvalidArgument)
    assertEquals(e.argument, "onProgress")
  }))

test("pool.statsStream(interval) emits a snapshot at once and then one per interval", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    yield* pool.apply(tasks.double, 1)
    const snapshots = yield* Stream.runCollect(pool.statsStream("20 millis").pipe(Stream.take(3)))
    assertEquals(snapshots.length, 3)
    assert(snapshots.every((s) => s.completed >= 1), JSON.stringify(snapshots))
    const bad = yield* Effect.flip(Stream.runCollect(pool.statsStream(-1)))
    assertInstanceOf(bad, mp.InvalidArgument)
    assertEquals(bad.argument, "interval")
  }))
