/**
 * What crosses between the parent and its workers, on both hosts: a worker
 * that forges protocol messages ends only itself; a payload or result that
 * cannot cross (nested too deep for the receiver's stack, throwing while it
 * is serialized, a view of shared memory sent to another process) fails only
 * its own task, with `SerializationError`, and never hangs.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import * as wire from "../fixtures/wire_tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { errorOf, test } from "../support/mod.ts"

const assertSerialization = (exit: Exit.Exit<unknown, unknown>, stage: mp.SerializationError["stage"]) => {
  const e = errorOf(exit)
  assertInstanceOf(e, mp.SerializationError, `expected a SerializationError, got ${String(e)}`)
  assertEquals(e.stage, stage, e.message)
  return e
}

for (const isolation of ["worker", "process"] as const satisfies ReadonlyArray<Isolation>) {
  const name = (title: string): string => isolation === "worker" ? title : `${title} [process]`
  const make = (options: mp.Pool.PoolOptions = {}) => mp.Pool.make({ ...options, isolation })

  // ---- forged messages ------------------------------------------------------

  test(
    name("A task that forges a RESULTS message with r: null ends only its worker, with WorkerCrashed"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 2 })
        yield* pool.map(tasks.double, [1, 2], { chunkSize: 1 }) // both workers up
        const [forged, other] = yield* Effect.all([
          Effect.exit(pool.apply(wire.forge, "RESULTS with r: null")),
          pool.apply(tasks.sleep, 300),
        ], { concurrency: "unbounded" })
        const error = errorOf(forged)
        assertInstanceOf(error, mp.WorkerCrashed)
        assertStringIncludes(error.reason, "protocol violation")
        assertEquals(other, 300)
        assertEquals(yield* pool.map(tasks.double, [1, 2, 3]), [2, 4, 6])
        assertEquals((yield* pool.stats).workersReplaced, 1)
      }),
  )

  test(
    name("Every kind of forged message from a worker is a protocol violation that ends only that worker"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        let replaced = 0
        for (const forgery of Object.keys(wire.forgeries)) {
          const exit = yield* Effect.exit(pool.apply(wire.forge, forgery))
          const error = errorOf(exit)
          assertInstanceOf(error, mp.WorkerCrashed, `${forgery}: ${String(error)}`)
          assertStringIncludes(error.reason, "protocol violation", forgery)
          replaced++
          assertEquals(yield* pool.apply(tasks.double, 21), 42)
        }
        assertEquals((yield* pool.stats).workersReplaced, replaced)
      }),
    { timeout: 60_000 },
  )

  // ---- deep payloads and results ---------------------------------------------

  for (const chunkSize of [1, 3]) {
    test(
      name(`Pool.mapExit() with a payload nested 3,000 levels fails only that payload (chunk size ${chunkSize})`),
      () =>
        Effect.gen(function* () {
          const pool = yield* make({ size: 1 })
          const exits = yield* pool.mapExit(wire.depthOf, [1, wire.deepList(3_000), 3, wire.deepList(500)], {
            chunkSize,
          })
          assertEquals(exits[0], Exit.succeed(1))
          assertSerialization(exits[1], "decode-payload")
          assertEquals(exits[2], Exit.succeed(3))
          assertEquals(exits[3], Exit.succeed(500))
          assertEquals((yield* pool.stats).workersReplaced, 0)
        }),
    )
  }

  test(
    name("Pool.mapExit() with payloads nested 2,800 to 10,000 levels fails only those, never hangs"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 2 })
        const depths = [2_800, 3_500, 5_000, 10_000]
        const exits = yield* pool.mapExit(wire.depthOf, [7, ...depths.map(wire.deepList), 8], { chunkSize: 6 })
        assertEquals(exits[0], Exit.succeed(7))
        for (let i = 1; i <= depths.length; i++) assert(errorOf(exits[i]) instanceof mp.SerializationError)
        assertEquals(exits[5], Exit.succeed(8))
        assertEquals((yield* pool.stats).workersReplaced, 0)
      }),
  )

  test(
    name("Pool.mapExit() with a result nested 3,000 levels fails only that task; its worker lives on"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        const exits = yield* pool.mapExit(wire.makeDeep, [-1, 3_000, -3, 10_000, 1_500], { chunkSize: 5 })
        assertEquals(exits[0], Exit.succeed(1))
        assertStringIncludes(assertSerialization(exits[1], "encode-result").message, "levels deep")
        assertEquals(exits[2], Exit.succeed(3))
        assertSerialization(exits[3], "encode-result")
        // At the limit, a result still crosses.
        assertEquals(wire.listDepth(Exit.isSuccess(exits[4]) ? exits[4].value : undefined), 1_500)
        assertEquals((yield* pool.stats).workersReplaced, 0)
      }),
  )

  test(
    name("Process.spawn() with a payload or a result nested 3,000 levels fails join with SerializationError"),
    () =>
      Effect.gen(function* () {
        const p = yield* mp.Process.spawn(wire.depthOf, wire.deepList(3_000), { isolation })
        assertSerialization(yield* p.await, "decode-payload")
        const q = yield* mp.Process.spawn(wire.makeDeep, 3_000, { isolation })
        assertSerialization(yield* q.await, "encode-result")
        const r = yield* mp.Process.spawn(wire.depthOf, wire.deepList(2_000), { isolation })
        assertEquals(yield* r.join, 2_000)
      }),
  )

  test(
    name("A result that throws while it is serialized (getter, Proxy) fails only its own task"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        const exits = yield* pool.mapExit(wire.badClone, ["a", "getter", "b", "proxy", "hostile proxy", "c"], {
          chunkSize: 6,
        })
        assertEquals(exits[0], Exit.succeed("a"))
        assertSerialization(exits[1], "encode-result")
        assertEquals(exits[2], Exit.succeed("b"))
        assertSerialization(exits[3], "encode-result")
        assertSerialization(exits[4], "encode-result")
        assertEquals(exits[5], Exit.succeed("c"))
        assertEquals((yield* pool.stats).workersReplaced, 0)
      }),
  )
}

// ---- shared memory and child processes ----------------------------------------

const views = (sab: SharedArrayBuffer): Record<string, unknown> => ({
  "a Uint8Array": new Uint8Array(sab),
  "an Int32Array in an array": [1, new Int32Array(sab)],
  "a DataView in an object": { a: { b: new DataView(sab) } },
  "a Float64Array in a Map": new Map([["k", new Float64Array(sab)]]),
  "a Uint8Array in a Set": new Set([new Uint8Array(sab, 1)]),
})

test("A view of a SharedArrayBuffer, anywhere in a payload, fails with SerializationError [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process" })
    const sab = new SharedArrayBuffer(8)
    for (const [what, payload] of Object.entries(views(sab))) {
      const exits = yield* pool.mapExit(wire.writeSeven, [new Uint8Array(8), payload, { x: 1 }], { chunkSize: 3 })
      assertEquals(exits[0], Exit.succeed("written"), what)
      assertStringIncludes(assertSerialization(exits[1], "encode-payload").message, "SharedArrayBuffer", what)
      assertEquals(exits[2], Exit.succeed("no view"), what)
    }
    assertEquals(new Uint8Array(sab)[0], 0)
  }))

test("Process.spawn() with a view of a SharedArrayBuffer in its payload fails with SerializationError [process]", () =>
  Effect.gen(function* () {
    for (const [what, payload] of Object.entries(views(new SharedArrayBuffer(8)))) {
      const error = yield* Effect.flip(mp.Process.spawn(wire.writeSeven, payload, { isolation: "process" }))
      assertInstanceOf(error, mp.SerializationError, what)
      assertEquals(error.stage, "encode-payload", what)
    }
  }))

test("A view of a SharedArrayBuffer in a payload is shared with a Worker thread: its writes are seen", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    for (const [what, payload] of Object.entries(views(new SharedArrayBuffer(8)))) {
      assertEquals(yield* pool.apply(wire.writeSeven, payload), "written", what)
    }
    const sab = new SharedArrayBuffer(8)
    yield* pool.apply(wire.writeSeven, { a: { b: new DataView(sab) } })
    assertEquals(new Uint8Array(sab)[0], 7)
  }))

test("A child's own SharedArrayBuffer view as a result fails that task with SerializationError [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process" })
    const exits = yield* pool.mapExit(wire.ownSharedView, ["plain", "view", "nested", "dataview", "plain"], {
      chunkSize: 5,
    })
    assertEquals(Exit.isSuccess(exits[0]) && Array.from(exits[0].value as Int32Array), [5, 0])
    for (const i of [1, 2, 3]) assertStringIncludes(assertSerialization(exits[i], "encode-result").message, "Shared")
    assert(Exit.isSuccess(exits[4]))
    assertEquals((yield* pool.stats).workersReplaced, 0)
  }))

// ---- frames from a child process ----------------------------------------------

const MAGIC = [0xff, 0x00, 0x6d, 0x70]

test("A child that writes a frame header announcing 4 GiB is a protocol violation, not an allocation [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process" })
    const error = yield* Effect.flip(pool.apply(wire.writeRaw, [...MAGIC, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    assertInstanceOf(error, mp.WorkerCrashed)
    assertStringIncludes(error.reason, "protocol violation")
    assertEquals(yield* pool.apply(tasks.double, 21), 42)
  }))

test("A child that writes a frame whose body cannot be deserialized ends only itself [process]", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, isolation: "process" })
    const error = yield* Effect.flip(pool.apply(wire.writeRaw, [...MAGIC, 0, 0, 0, 3, 0xff, 0x0f, 0x63]))
    assertInstanceOf(error, mp.WorkerCrashed)
    assertStringIncludes(error.reason, "protocol violation")
    assertEquals(yield* pool.apply(tasks.double, 21), 42)
  }))
