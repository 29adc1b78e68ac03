/**
 * Two pools, one program: named pool services, and `Pool.layerInline` (the
 * same interface and typed errors, handlers run in this thread).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { evenOnly } from "../fixtures/pipeline_tasks.ts"
import { test } from "../support/mod.ts"

test("Pool.service(name) gives two independent pools in one program, each from its own Layer", () =>
  Effect.gen(function* () {
    const Resize = mp.Pool.service("Resize")
    const Parse = mp.Pool.service("Parse")
    const program = Effect.gen(function* () {
      const a = yield* Resize.Service
      const b = yield* Parse.Service
      assert(a !== b)
      return [a.size, b.size, yield* a.apply(tasks.double, 2), yield* b.apply(tasks.double, 5)]
    })
    const out = yield* program.pipe(Effect.provide(Layer.mergeAll(Resize.layer({ size: 2 }), Parse.layerInline())))
    assertEquals(out, [2, 1, 4, 10])
  }))

test("Pool.layerInline() runs tasks in this thread with the same results and typed errors as a worker pool", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.Service
    assertEquals(yield* pool.map(tasks.double, [1, 2, 3]), [2, 4, 6])
    assertEquals(yield* pool.apply(tasks.doubleAsync, 4), 8)
    // the task's own typed failure
    assertInstanceOf(yield* Effect.flip(pool.apply(tasks.doubleChecked, 0)), tasks.ZeroInput)
    // a thrown exception is a RemoteException naming the task
    const thrown = yield* Effect.flip(pool.apply(tasks.throws, "boom"))
    assertInstanceOf(thrown, mp.RemoteException)
    assertEquals([thrown.taskName, thrown.remoteName, thrown.remoteMessage], ["throws", "TypeError", "boom"])
    // a payload that does not fit its schema
    // deno-lint-ignore no-explicit-any
    assertInstanceOf(yield* Effect.flip(pool.apply(tasks.doubleChecked, "x" as any)), mp.SerializationError)
    // streams and per-item outcomes
    const exits = yield* Stream.runCollect(pool.imapExit(evenOnly, [0, 1, 2]))
    assertEquals(exits.map(Exit.isSuccess), [true, false, true])
    assertEquals(
      yield* Stream.runCollect(Stream.make(2, 4).pipe(mp.Pool.through(pool, evenOnly, { concurrency: 2 }))),
      [20, 40],
    )
    // bad options fail the same way
    const bad = yield* Effect.flip(pool.map(tasks.double, [1], { chunkSize: 0 }))
    assertInstanceOf(bad, mp.InvalidArgument)
    // a closed pool refuses work with PoolClosed
    const slow = yield* pool.submit(tasks.sleep, 50)
    yield* pool.close
    assertEquals(yield* Fiber.join(slow), 50)
    assertInstanceOf(yield* Effect.flip(pool.apply(tasks.double, 1)), mp.PoolClosed)
    assertEquals((yield* pool.stats).completed >= 5, true)
  }).pipe(Effect.provide(mp.Pool.layerInline({ size: 2 }))))

test("Pool.layerInline() refuses unknown options with InvalidArgument", () =>
  Effect.gen(function* () {
    const e = yield* Effect.flip(
      mp.Pool.Service.pipe(Effect.provide(mp.Pool.layerInline({ sise: 2 } as mp.Pool.InlineOptions))),
    )
    assertInstanceOf(e, mp.InvalidArgument)
    assertEquals(e.argument, "options.sise")
  }))
