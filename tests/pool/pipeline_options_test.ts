/**
 * Errors that compose (`mp.isPoolError`, `mp.Pool.PoolError` as a Schema),
 * unknown option keys refused at once, and `closeTimeout`.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { evenOnly } from "../fixtures/pipeline_tasks.ts"
import { test } from "../support/mod.ts"

const invalidArgument = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (e) => {
    assertInstanceOf(e, mp.InvalidArgument)
    return e
  })

test("mp.isPoolError() is true for the pool's own errors and false for a task's error or a bad call", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const crashed = yield* Effect.flip(pool.apply(tasks.exitWith, 3))
    assert(mp.isPoolError(crashed), String(crashed))
    assert(mp.isPoolError(new mp.PoolClosed({ reason: "closed", message: "closed" })))
    // A pool with maxQueue and onFull: "fail" fails with the queue's QueueFull: a PoolError too.
    assert(mp.isPoolError(new mp.QueueFull({ capacity: 1, timeoutMs: 0 })))
    const own = yield* Effect.flip(pool.apply(tasks.doubleChecked, 0))
    assertEquals(mp.isPoolError(own), false)
    assertEquals(mp.isPoolError(new mp.InvalidArgument({ argument: "size", message: "x" })), false)
    assertEquals(mp.isPoolError({ _tag: "PoolClosed" }), false)
    // Only the task's own failure is left once the pool's are caught.
    const caught = yield* pool.apply(tasks.exitWith, 3).pipe(Effect.catchIf(mp.isPoolError, () => Effect.succeed(-1)))
    assertEquals(caught, -1)
  }))

test("mp.Pool.PoolError is a Schema of the union: it recognises each member and round-trips through JSON", () =>
  Effect.gen(function* () {
    const closed = new mp.PoolClosed({ reason: "closed", message: "The pool is closed" })
    assert(Schema.is(mp.Pool.PoolError)(closed))
    assertEquals(Schema.is(mp.Pool.PoolError)(new mp.InvalidArgument({ argument: "a", message: "b" })), false)
    assert(Schema.is(mp.Pool.PoolError)(new mp.QueueFull({ capacity: 1, timeoutMs: 0 })))
    const json = yield* Schema.encodeEffect(Schema.toCodecJson(mp.Pool.PoolError))(closed)
    const back = yield* Schema.decodeUnknownEffect(Schema.toCodecJson(mp.Pool.PoolError))(json)
    assertInstanceOf(back, mp.PoolClosed)
    assertEquals(back.reason, "closed")
  }))

test("Pool.make() refuses an unknown option key with InvalidArgument naming it and the closest known key", () =>
  Effect.gen(function* () {
    const e = yield* invalidArgument(mp.Pool.make({ size: 1, maxQeue: 2 } as mp.Pool.PoolOptions))
    assertEquals(e.argument, "options.maxQeue")
    assert(e.message.includes(`"maxQeue"`) && e.message.includes(`did you mean "maxQueue"?`), e.message)
    const far = yield* invalidArgument(mp.Pool.make({ zzzzzzzz: 1 } as mp.Pool.PoolOptions))
    assert(far.message.includes("known keys: size,"), far.message)
    const negative = yield* invalidArgument(mp.Pool.make({ closeTimeout: -1 }))
    assertEquals(negative.argument, "closeTimeout")
    assert(negative.message.includes("got -1"), negative.message)
    const notObject = yield* invalidArgument(mp.Pool.make(3 as unknown as mp.Pool.PoolOptions))
    assertEquals(notObject.argument, "options")
  }))

test("map, imap and Process.spawn options refuse unknown keys at once, naming them", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const bad = { chunksize: 2 } as mp.Pool.MapOptions
    for (
      const e of [
        yield* invalidArgument(pool.map(tasks.double, [1], bad)),
        yield* invalidArgument(pool.mapExit(tasks.double, [1], bad)),
        yield* invalidArgument(Stream.runCollect(pool.imap(tasks.double, [1], bad))),
        yield* invalidArgument(Stream.runCollect(pool.imapExit(tasks.double, [1], bad))),
      ]
    ) {
      assertEquals(e.argument, "options.chunksize")
      assert(e.message.includes(`did you mean "chunkSize"?`), e.message)
    }
    const spawned = yield* invalidArgument(mp.Process.spawn(tasks.double, 1, { nmae: "x" } as mp.Process.SpawnOptions))
    assertEquals(spawned.argument, "options.nmae")
    assert(spawned.message.includes(`did you mean "name"?`), spawned.message)
  }))

test("Pool.through() fails at once with InvalidArgument for an unknown key or a bad option, naming it and the value", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const run = (options: unknown) =>
      Stream.runCollect(Stream.make(2).pipe(mp.Pool.through(pool, evenOnly, options as { exits?: false })))
    const typo = yield* invalidArgument(run({ concurency: 2 }))
    assertEquals(typo.argument, "options.concurency")
    assert(typo.message.includes(`did you mean "concurrency"?`), typo.message)
    for (
      const [options, argument, shown] of [
        [{ concurrency: 0 }, "concurrency", "got 0"],
        [{ chunkSize: 1.5 }, "chunkSize", "got 1.5"],
        [{ ordered: "yes" }, "ordered", `got "yes"`],
        [{ exits: 1 }, "exits", "got 1"],
        [{ retry: 3 }, "retry", "got 3"],
      ] as const
    ) {
      const e = yield* invalidArgument(run(options))
      assertEquals(e.argument, argument)
      assert(e.message.includes(shown), e.message)
    }
    // Good options still work.
    assertEquals(yield* run({ concurrency: 1, ordered: false, chunkSize: 1, retry: Schedule.recurs(1) }), [20])
  }))

test("Pool.make({ closeTimeout }) makes close wait at most that long, then terminate what still runs", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, closeTimeout: "300 millis" })
    assertEquals(yield* pool.apply(tasks.sleep, 10), 10) // the worker is up
    const slow = yield* pool.submit(tasks.sleep, 60_000)
    const started = performance.now()
    yield* pool.close
    const took = performance.now() - started
    assert(took < 10_000, `close took ${took} ms`)
    const e = yield* Effect.flip(Fiber.join(slow))
    assertInstanceOf(e, mp.PoolClosed)
  }))

test("Pool.make() without closeTimeout: close waits for running tasks", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const task = yield* pool.submit(tasks.sleep, 400)
    yield* pool.close
    assertEquals(yield* Fiber.join(task), 400)
  }))
