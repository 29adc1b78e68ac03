import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import {
  Array as SArray,
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  IndexOutOfRange,
  Lock,
  RawArray,
  RawValue,
  RLock,
  Semaphore,
  TRef,
  Value,
} from "../../mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { test } from "../support/mod.ts"

const N = 100_000

test("Value.update() loses no increment across two workers (2 x 100,000)", () =>
  Effect.gen(function* () {
    const counter = yield* Value.make("i", 0)
    const a = yield* mp.Process.spawn(tasks.incrementValue, { counter, n: N })
    const b = yield* mp.Process.spawn(tasks.incrementValue, { counter, n: N })
    yield* Effect.all([a.join, b.join], { concurrency: 2 })
    assertEquals(yield* counter.get, 2 * N)
  }), { timeout: 60_000 })

test(
  "Array.update() (i64, locked) and RawValue.update() (f64, lock-free CAS) lose nothing across two workers",
  () =>
    Effect.gen(function* () {
      const arr = yield* SArray.make("q", [0n, 0n, 0n])
      const raw = yield* RawValue.make("d", 0)
      const a = yield* mp.Process.spawn(tasks.incrementArrayAndRaw, { arr, raw, n: 20_000 })
      const b = yield* mp.Process.spawn(tasks.incrementArrayAndRaw, { arr, raw, n: 20_000 })
      yield* Effect.all([a.join, b.join], { concurrency: 2 })
      assertEquals(yield* arr.toArray, [0n, 40_000n, 0n])
      assertEquals(yield* raw.get, 20_000)
    }),
  { timeout: 60_000 },
)

test("Value: get, set and update for every type, with bigint for 64-bit and a string for 'c'", () =>
  Effect.gen(function* () {
    const cases: Array<[string, unknown, unknown]> = [
      ["i8", -128, 127],
      ["u8", 0, 255],
      ["i16", -32768, 32767],
      ["u16", 1, 65535],
      ["i32", -(2 ** 31), 2 ** 31 - 1],
      ["u32", 0, 2 ** 32 - 1],
      ["f32", 0.5, -1.25],
      ["f64", Math.PI, -Infinity],
      ["i64", -(2n ** 63n), 2n ** 63n - 1n],
      ["u64", 0n, 2n ** 64n - 1n],
      ["c", "a", "\xff"],
      ["b", -1, 1],
      ["B", 1, 2],
      ["h", -1, 1],
      ["H", 1, 2],
      ["l", -5, 5],
      ["L", 5, 6],
      ["q", 1n, -1n],
      ["Q", 1n, 2n],
      ["f", 1.5, 2.5],
      ["d", 0.1, 0.2],
    ]
    for (const [type, initial, next] of cases) {
      const v = yield* Value.make(type as "i", initial as number)
      assertEquals(yield* v.get, initial, type)
      yield* v.set(next as number)
      assertEquals(yield* v.get, next, type)
    }
    const nan = yield* Value.make("d", NaN)
    assert(Number.isNaN(yield* nan.update((x) => x)))
    assertEquals(yield* (yield* Value.make("i")).get, 0)
    assertEquals(yield* (yield* Value.make("c")).get, "\0")
  }))

test("Value: an unknown type or a value that does not fit is InvalidArgument, never a coercion", () =>
  Effect.gen(function* () {
    const bad = [
      Value.make("x" as "i", 0),
      Value.make("i", 1.5),
      Value.make("i", 2 ** 31),
      Value.make("u8", -1),
      Value.make("u8", 256),
      Value.make("i64", 1 as unknown as bigint),
      Value.make("u64", -1n),
      Value.make("d", "1" as unknown as number),
      Value.make("c", "ab"),
      Value.make("c", "\u0100"),
    ]
    for (const make of bad as Array<Effect.Effect<unknown, mp.InvalidArgument>>) {
      const e = yield* Effect.flip(make)
      assertInstanceOf(e, mp.InvalidArgument)
    }
    assertStringIncludes((yield* Effect.flip(Value.make("x" as "i"))).message, "unknown shared type")
    const v = yield* Value.make("u8", 200)
    assertInstanceOf(yield* Effect.flip(v.set(300)), mp.InvalidArgument)
    assertInstanceOf(yield* Effect.flip(v.update((x) => x + 100)), mp.InvalidArgument)
    assertEquals(yield* v.get, 200, "a rejected update writes nothing")
  }))

test("Value: get/set inside getLock().withLock() re-enter the default RLock (Python's with v.get_lock())", () =>
  Effect.gen(function* () {
    const v = yield* Value.make("i", 1)
    yield* v.getLock().withLock(Effect.flatMap(v.get, (n) => v.set(n + 1)))
    assertEquals(yield* v.get, 2)
    const shared = yield* Lock.make()
    const a = yield* Value.make("i", 0, { lock: shared })
    const b = yield* Value.make("i", 0, { lock: shared })
    assert(a.getLock() === shared && b.getLock() === shared)
    yield* Effect.all([a.set(1), b.set(2)])
    assertEquals([yield* a.get, yield* b.get], [1, 2])
  }))

const waitForHolder = (lock: mp.Lock.Lock | mp.RLock.RLock, withLock: WithLock) =>
  Effect.gen(function* () {
    const v = yield* Value.make("i", 0, { lock })
    const inside = yield* Deferred.make<void>()
    const leave = yield* Deferred.make<void>()
    const holder = yield* Effect.forkChild(
      withLock(Effect.andThen(Deferred.succeed(inside, undefined), Deferred.await(leave))),
    )
    yield* Deferred.await(inside)
    const others = yield* Effect.forkChild(Effect.all([v.update((n) => n + 1), v.set(5), v.get]))
    yield* Effect.sleep(50)
    assertEquals(others.pollUnsafe(), undefined) // all three wait for the holder
    yield* Deferred.succeed(leave, undefined)
    yield* Fiber.join(holder)
    assertEquals(yield* Fiber.join(others), [1, undefined, 5])
  })

type WithLock = (effect: Effect.Effect<void>) => Effect.Effect<void, unknown>

test("Value: update, get and set from a fiber that does not own the lock wait while another fiber of the thread holds it", () =>
  Effect.gen(function* () {
    const rlock = yield* RLock.make()
    yield* waitForHolder(rlock, (e) => rlock.withLock(e))
    const lock = yield* Lock.make()
    yield* waitForHolder(lock, (e) => lock.withLock(e))
  }))

test("Array: length or values, indexes checked, setAll in one step, view over the same memory", () =>
  Effect.gen(function* () {
    const zeros = yield* SArray.make("i", 4)
    assertEquals(yield* zeros.toArray, [0, 0, 0, 0])
    const xs = yield* SArray.make("d", [1, 2, 3])
    assertEquals(xs.length, 3)
    for (const i of [-1, 3, 1.5, NaN]) {
      const e = yield* Effect.flip(xs.get(i))
      assertInstanceOf(e, IndexOutOfRange)
    }
    assertInstanceOf(yield* Effect.flip(xs.set(3, 0)), IndexOutOfRange)
    assertInstanceOf(yield* Effect.flip(xs.setAll([1, 2], 2)), IndexOutOfRange)
    assertInstanceOf(yield* Effect.flip(zeros.setAll([1, 1.5])), mp.InvalidArgument)
    assertEquals(yield* zeros.toArray, [0, 0, 0, 0], "a rejected setAll writes nothing")
    yield* xs.setAll([7, 8], 1)
    assertEquals(yield* xs.toArray, [1, 7, 8])
    const view = xs.view()
    assertInstanceOf(view, Float64Array)
    view[0] = 42
    assertEquals(yield* xs.get(0), 42)
    assertInstanceOf(yield* Effect.flip(SArray.make("i", -1)), mp.InvalidArgument)
    assertInstanceOf(yield* Effect.flip(SArray.make("i", [1, 2.5])), mp.InvalidArgument)
  }))

test("RawArray: atomic element access and a view for bulk work", () =>
  Effect.gen(function* () {
    const a = yield* RawArray.make("u16", [1, 2, 3])
    yield* a.set(0, 65535)
    assertEquals(yield* a.update(1, (x) => x * 10), 20)
    assertEquals(yield* a.toArray, [65535, 20, 3])
    assertInstanceOf(a.view(), Uint16Array)
    assertInstanceOf(yield* Effect.flip(a.get(3)), IndexOutOfRange)
    assertInstanceOf(yield* Effect.flip(a.update(0, (x) => x + 1)), mp.InvalidArgument)
    assertEquals(yield* a.get(0), 65535)
  }))

const everything = () =>
  Effect.gen(function* () {
    const rawValue = yield* RawValue.make("u8", 1)
    return {
      value: yield* Value.make("i", 1),
      array: yield* SArray.make("d", [0.5, 0]),
      rawValue,
      rawArray: yield* RawArray.make("i16", 2),
      lock: yield* Lock.make(),
      rlock: yield* RLock.make(),
      semaphore: yield* Semaphore.make(0),
      bounded: yield* BoundedSemaphore.make(1),
      event: yield* Event.make(),
      condition: yield* Condition.make(),
      barrier: yield* Barrier.make(2),
      tref: yield* TRef.make("i64", 21n),
    } satisfies tasks.Everything
  })

const checkEverything = (p: tasks.Everything, run: Effect.Effect<string, unknown>) =>
  Effect.gen(function* () {
    const [result] = yield* Effect.all([run, p.barrier.wait()], { concurrency: 2 })
    assertEquals(result, "ok")
    assertEquals(yield* p.value.get, 2)
    assertEquals(yield* p.array.get(0), 2)
    assertEquals(yield* p.rawValue.get, 2)
    assertEquals(yield* p.rawArray.toArray, [0, -7])
    assertEquals(yield* p.semaphore.getValue, 1)
    assertEquals(yield* p.bounded.getValue, 1)
    assert(yield* p.event.isSet)
    assertEquals(yield* p.tref.get, 42n)
    assert(!(yield* p.lock.isLocked))
  })

test(
  "every shared object crosses into a worker in a plain payload and works on the same memory",
  () =>
    Effect.gen(function* () {
      const p = yield* everything()
      const proc = yield* mp.Process.spawn(tasks.everything, p)
      yield* checkEverything(p, proc.join)
    }),
  { timeout: 30_000 },
)

test("every shared object crosses through a payload schema built from their schemas", () =>
  Effect.gen(function* () {
    const p = yield* everything()
    const proc = yield* mp.Process.spawn(tasks.everythingSchema, p as never)
    yield* checkEverything(p, proc.join)
  }), { timeout: 30_000 })

test("the schemas accept only their own kind", () =>
  Effect.gen(function* () {
    const p = yield* everything()
    const swapped = { ...p, lock: p.rlock, rlock: p.lock }
    const e = yield* Effect.flip(mp.Process.spawn(tasks.everythingSchema, swapped as never))
    assertEquals(e._tag, "SerializationError")
    assertStringIncludes(e.message, "Lock")
  }))

test("Pool.map(): four tasks on two pool workers share one Value and lose nothing", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const counter = yield* Value.make("i", 0)
    const done = yield* pool.map(tasks.incrementValue, [1, 2, 3, 4].map(() => ({ counter, n: 10_000 })))
    assertEquals(done, [10_000, 10_000, 10_000, 10_000])
    assertEquals(yield* counter.get, 40_000)
  }), { timeout: 60_000 })
