import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertLessOrEqual, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/ipc_tasks.ts"
import { exited, test } from "../support/mod.ts"

const range = (from: number, n: number): Array<number> => Array.from({ length: n }, (_, i) => from + i)

/** Whether `fiber` is still running after `ms`. */
const stillRunning = <A, E>(fiber: Fiber.Fiber<A, E>, ms: number) =>
  Effect.gen(function* () {
    yield* Effect.sleep(ms)
    return fiber.pollUnsafe() === undefined
  })

test(
  "Queue: 100,000 items from 2 producer workers to 2 consumer workers, none lost or duplicated, order kept per producer",
  () =>
    Effect.gen(function* () {
      const perProducer = 50_000
      const queue = yield* mp.Queue.make<number>({ capacity: 1000 })
      const seen = new Int32Array(new SharedArrayBuffer(2 * perProducer * 4))
      const consumers = [
        yield* mp.Process.spawn(tasks.consume, { queue, seen, perProducer }),
        yield* mp.Process.spawn(tasks.consume, { queue, seen, perProducer, batch: 64 }),
      ]
      const producers = [
        yield* mp.Process.spawn(tasks.produce, { queue, id: 1, n: perProducer }),
        yield* mp.Process.spawn(tasks.produce, { queue, id: 2, n: perProducer, batch: 100 }),
      ]
      for (const p of producers) assertEquals(yield* p.join, perProducer)
      yield* queue.close
      const results = []
      for (const c of consumers) results.push(yield* c.join)
      const count = results.reduce((a, r) => a + r.count, 0)
      const sum = results.reduce((a, r) => a + r.sum, 0)
      let expectedSum = 0
      for (const id of [1, 2]) for (let i = 0; i < perProducer; i++) expectedSum += id * 1_000_000 + i
      assertEquals(count, 2 * perProducer)
      assertEquals(sum, expectedSum)
      for (const r of results) assert(r.ordered, "a consumer saw a producer's items out of order")
      for (const r of results) assert(r.count > 0, "both consumers should have taken items")
      const wrong = seen.findIndex((n) => n !== 1)
      assertEquals(wrong, -1, `item ${wrong} was seen ${seen[wrong]} times`)
    }),
  { timeout: 60_000 },
)

test("Queue: a parent producer and a worker consumer keep FIFO order", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 64 })
    const consumer = yield* mp.Process.spawn(tasks.consume, { queue, batch: 10 })
    for (let i = 0; i < 5_000; i++) yield* queue.put(1_000_000 + i)
    yield* queue.close
    const r = yield* consumer.join
    assertEquals(r.count, 5_000)
    assert(r.ordered)
  }), { timeout: 30_000 })

test("Queue.take() waits until a worker puts, without blocking the event loop", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    const taker = yield* Effect.forkChild(queue.take())
    let ticks = 0
    const ticker = yield* Effect.forkChild(Effect.forever(Effect.andThen(Effect.sleep(5), Effect.sync(() => ticks++))))
    yield* Effect.sleep(100)
    assert(taker.pollUnsafe() === undefined, "take returned before anything was put")
    assert(ticks >= 5, `the event loop stalled while take waited (${ticks} ticks)`)
    const p = yield* mp.Process.spawn(tasks.produce, { queue, id: 3, n: 1 })
    yield* p.join
    assertEquals(yield* Fiber.join(taker), 3_000_000)
    yield* Fiber.interrupt(ticker)
  }))

test(
  "Queue: wake-ups are prompt: 3,000 hand-offs through a queue of capacity 1 are not left to the 250 ms re-check",
  () =>
    Effect.gen(function* () {
      // Capacity 1 makes both sides sleep often: the worker while the queue is full, the parent while it is empty.
      // A wake-up that was lost would be recovered only by a timed re-check (futex.SLICE_MS, 250 ms), so a take
      // would wait that long; a busy machine may stall a few takes, never most of them.
      const n = 3_000
      const queue = yield* mp.Queue.make<number>({ capacity: 1 })
      const producer = yield* mp.Process.spawn(tasks.produce, { queue, id: 4, n })
      let slow = 0
      for (let i = 0; i < n; i++) {
        const t = performance.now()
        assertEquals(yield* queue.take(), 4_000_000 + i)
        if (performance.now() - t >= 250) slow++
      }
      assertEquals(yield* producer.join, n)
      assertLessOrEqual(slow, 5, `${slow} of ${n} takes waited 250 ms or more (a lost wake-up?)`)
    }),
  { timeout: 60_000 },
)

test("Queue.put() waits while the queue is full and finishes once an item is taken", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 2 })
    yield* queue.put(1)
    yield* queue.put(2)
    assert(yield* queue.isFull)
    const putter = yield* Effect.forkChild(queue.put(3))
    assert(yield* stillRunning(putter, 100), "put did not wait on a full queue")
    assertEquals(yield* queue.size, 2)
    assertEquals(yield* queue.take(), 1)
    yield* Fiber.join(putter)
    assertEquals(yield* queue.takeUpTo(10), [2, 3])
  }))

test("Queue.put() with a timeout on a full queue fails with QueueFull and queues nothing", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 2 })
    yield* queue.putAll([1, 2])
    const started = performance.now()
    const error = yield* Effect.flip(queue.put(3, { timeout: "80 millis" }))
    assertInstanceOf(error, mp.QueueFull)
    assertEquals(error.capacity, 2)
    assert(performance.now() - started >= 70, "the put gave up before its timeout")
    assertEquals(yield* queue.size, 2)
    assertEquals(yield* queue.takeUpTo(10), [1, 2])
  }))

test("Queue: a worker's put with a timeout on a full queue fails with QueueFull", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 1 })
    yield* queue.put(1)
    const p = yield* mp.Process.spawn(tasks.putWithTimeout, { queue, value: 2, timeoutMs: 100 })
    assertEquals(yield* p.join, "QueueFull")
    assertEquals(yield* queue.takeUpTo(10), [1])
  }))

test("Queue: Effect.timeout on a waiting put or take leaves the queue as it was", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<string>({ capacity: 1 })
    const none = yield* Effect.timeoutOption(queue.take(), "50 millis")
    assert(Option.isNone(none))
    yield* queue.put("a")
    const none2 = yield* Effect.timeoutOption(queue.put("b"), "50 millis")
    assert(Option.isNone(none2))
    assertEquals(yield* queue.size, 1)
    assertEquals(yield* queue.take(), "a")
    yield* queue.put("c")
    assertEquals(yield* queue.take(), "c")
  }))

test("Queue.take() with a timeout on an empty queue fails with QueueEmpty", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    const error = yield* Effect.flip(queue.take({ timeout: 30 }))
    assertInstanceOf(error, mp.QueueEmpty)
    assertEquals(error.timeoutMs, 30)
  }))

test("Queue.tryPut and tryTake never wait", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 1 })
    assert(Option.isNone(yield* queue.tryTake))
    assert(yield* queue.tryPut(1))
    assertEquals(yield* queue.tryPut(2), false)
    assertEquals(yield* queue.tryTake, Option.some(1))
    assert(yield* queue.isEmpty)
  }))

test("Queue.close: puts fail, takers drain what is left and then see QueueClosed", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    yield* queue.putAll([1, 2])
    yield* queue.close
    assert(yield* queue.isClosed)
    assertInstanceOf(yield* Effect.flip(queue.put(3)), mp.QueueClosed)
    assertInstanceOf(yield* Effect.flip(queue.putAll([3])), mp.QueueClosed)
    assertInstanceOf(yield* Effect.flip(queue.tryPut(3)), mp.QueueClosed)
    assertEquals(yield* queue.take(), 1)
    assertEquals(yield* queue.tryTake, Option.some(2))
    assertInstanceOf(yield* Effect.flip(queue.take()), mp.QueueClosed)
    assertInstanceOf(yield* Effect.flip(queue.tryTake), mp.QueueClosed)
  }))

test("Queue.close wakes a worker waiting to take and a fiber waiting to put", () =>
  Effect.gen(function* () {
    const empty = yield* mp.Queue.make<number>()
    const consumer = yield* mp.Process.spawn(tasks.consume, { queue: empty })
    const full = yield* mp.Queue.make<number>({ capacity: 1 })
    yield* full.put(1)
    const putter = yield* Effect.forkChild(Effect.flip(full.put(2)))
    yield* Effect.sleep(100)
    yield* empty.close
    yield* full.close
    assertEquals(yield* consumer.join, { count: 0, sum: 0, ordered: true })
    assertInstanceOf(yield* Fiber.join(putter), mp.QueueClosed)
    assertEquals(yield* full.take(), 1)
  }))

test("Queue: a value that cannot be encoded fails that put and loses nothing queued", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<unknown>()
    yield* queue.putAll(["a", { b: 1 }])
    const error = yield* Effect.flip(queue.put({ f: () => 1 }))
    assertInstanceOf(error, mp.EncodeError)
    assertStringIncludes(error.message, "function")
    const batch = yield* Effect.flip(queue.putAll(["c", Symbol("no"), "d"]))
    assertInstanceOf(batch, mp.EncodeError)
    assertInstanceOf(yield* Effect.flip(queue.put(new SharedArrayBuffer(8))), mp.EncodeError)
    assertEquals(yield* queue.size, 2)
    assertEquals(yield* queue.takeUpTo(10), ["a", { b: 1 }])
  }))

test("Queue with a schema encodes on put, decodes on take, and rejects values that do not fit", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make({ schema: Schema.NumberFromString })
    yield* queue.put(42)
    const error = yield* Effect.flip(queue.put("x" as unknown as number))
    assertInstanceOf(error, mp.EncodeError)
    assertEquals(yield* queue.size, 1)
    assertEquals(yield* queue.take(), 42)
  }))

test("Queue.schema in a task payload gives the worker the queue with its item schema", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make({ schema: Schema.NumberFromString })
    yield* queue.putAll([1.5, 2, 3])
    const p = yield* mp.Process.spawn(tasks.takeSchema, { queue, n: 3 })
    assertEquals(yield* p.join, [[1.5, "number"], [2, "number"], [3, "number"]])
    assertEquals(yield* queue.take(), -1)
  }))

test("Queue.schema rejects a queue made without a schema, so the mismatch is a SerializationError", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    const error = yield* Effect.flip(
      mp.Process.spawn(tasks.takeSchema, { queue: queue as mp.Queue.Queue<number>, n: 1 }),
    )
    assertInstanceOf(error, mp.SerializationError)
    assertStringIncludes(error.message, "without an item schema")
  }))

test("Queue: a schema'd queue that crossed without its schema is a defect until withSchema gives it back", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make({ schema: Schema.NumberFromString })
    yield* queue.putAll([7, 8])
    const bad = yield* mp.Process.spawn(tasks.takeNoSchema, { queue, attach: false })
    const error = yield* Effect.flip(bad.join)
    assertInstanceOf(error, mp.RemoteException)
    assertStringIncludes(error.message, "mp.Queue.schema")
    const good = yield* mp.Process.spawn(tasks.takeNoSchema, { queue, attach: true })
    assertEquals(yield* good.join, 7)
  }))

test("Queue.toStream in a worker yields every item until the queue is closed", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 100 })
    const consumer = yield* mp.Process.spawn(tasks.consumeStream, { queue })
    yield* queue.putAll(range(1, 1000))
    yield* queue.close
    assertEquals(yield* consumer.join, { count: 1000, sum: 500_500 })
  }))

test("Queue.toStream in the parent ends when the queue is closed and drained", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<string>()
    yield* queue.putAll(["a", "b", "c"])
    yield* queue.close
    assertEquals(yield* Stream.runCollect(queue.toStream), ["a", "b", "c"])
  }))

test("Queue: a consumer worker that exits mid-stream loses only the items it had taken", () =>
  Effect.gen(function* () {
    const n = 1000
    const queue = yield* mp.Queue.make<number>()
    yield* queue.putAll(range(0, n))
    const seen = new Int32Array(new SharedArrayBuffer(n * 4))
    const dying = yield* mp.Process.spawn(tasks.takeThenDie, { queue, n: 100, seen })
    const exit = yield* exited(dying)
    assert(Exit.isFailure(exit))
    assertEquals(yield* dying.exitCode, 7)
    assertEquals(yield* queue.size, n - 100)
    const rest = yield* queue.takeUpTo(n)
    assertEquals(rest, range(100, n - 100))
    assertEquals(Array.from(seen.subarray(0, 100)).every((x) => x === 1), true)
  }))

test(
  "Queue: terminating a consumer worker mid-stream leaves the queue usable and loses at most its in-hand item",
  () =>
    Effect.gen(function* () {
      const n = 20_000
      const queue = yield* mp.Queue.make<number>()
      yield* queue.putAll(range(0, n))
      const seen = new Int32Array(new SharedArrayBuffer(n * 4))
      const taken = new Int32Array(new SharedArrayBuffer(4))
      const consumer = yield* mp.Process.spawn(tasks.takeForever, { queue, seen, taken })
      while (Atomics.load(taken, 0) < 500) yield* Effect.sleep(2)
      yield* consumer.terminate
      const rest = yield* queue.takeUpTo(n)
      assertLessOrEqual(rest.length, n - 500)
      for (const v of rest) assertEquals(seen[v], 0, `item ${v} was both taken by the worker and left in the queue`)
      const inRest = new Set(rest)
      let missing = 0
      for (let v = 0; v < n; v++) if (seen[v] === 0 && !inRest.has(v)) missing++
      assertLessOrEqual(missing, 1)
      // The queue still works after the worker died.
      yield* queue.put(1)
      assertEquals(yield* queue.take(), 1)
    }),
  { timeout: 30_000 },
)

test("Queue: items larger than the initial buffer grow it; an item larger than maxBytes fails with EncodeError", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<string>({ maxBytes: 1 << 20 })
    const big = "x".repeat(300_000)
    yield* queue.putAll([big, "small", big])
    assertEquals(yield* queue.takeUpTo(3), [big, "small", big])
    const error = yield* Effect.flip(queue.put("y".repeat(2 << 20)))
    assertInstanceOf(error, mp.EncodeError)
    assertStringIncludes(error.message, "does not fit")
  }))

test(
  "Queue: a buffer grown by a worker is read whole by the parent, whose views were made before it grew",
  () =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<string>({ maxBytes: 4 << 20 })
      yield* queue.put("before")
      assertEquals(yield* queue.take(), "before") // the parent has used the ring at its first size
      const items = ["a".repeat(300_000), "small", "b".repeat(900_000), "c".repeat(1_500_000)]
      const producer = yield* mp.Process.spawn(tasks.putEach, { queue, items })
      assertEquals(yield* producer.join, items.length)
      const taken: Array<string> = []
      for (const _ of items) taken.push(yield* queue.take())
      assertEquals(taken, items)
    }),
  { timeout: 30_000 },
)

test("Queue: a put waits for room in bytes when the buffer cannot grow further", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<string>({ maxBytes: 4096 })
    const item = "z".repeat(1500)
    yield* queue.putAll([item, item])
    const putter = yield* Effect.forkChild(queue.put(item + "!"))
    assert(yield* stillRunning(putter, 80), "the put should wait for bytes")
    assertEquals(yield* queue.take(), item)
    yield* Fiber.join(putter)
    assertEquals(yield* queue.takeUpTo(5), [item, item + "!"])
  }))

for (const [maxBytes, maxLength] of [[1 << 20, 4000], [8192, 700]]) {
  test(`Queue: wrap-around, growth and compaction keep FIFO order (items up to ${maxLength} chars, maxBytes ${maxBytes})`, () =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<string>({ maxBytes })
      const model: Array<string> = []
      let seed = maxLength
      const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
      let refused = 0
      for (let round = 0; round < 5000; round++) {
        if (rand() < 0.75 && model.length < 200) {
          const s = String(round).padEnd(Math.floor(rand() * maxLength), "#")
          if (yield* queue.tryPut(s)) model.push(s)
          else refused++
        } else if (model.length > 0) {
          const got = yield* queue.takeUpTo(1 + Math.floor(rand() * 5))
          assertEquals(got, model.splice(0, got.length))
        }
        assertEquals(yield* queue.size, model.length)
      }
      if (model.length > 0) assertEquals(yield* queue.takeUpTo(1000), model)
      assert(yield* queue.isEmpty)
      if (maxBytes < 10_000) assert(refused > 0, "the small buffer should have refused some puts")
    }))
}

test("Queue.make rejects a capacity that is not a positive integer", () =>
  Effect.gen(function* () {
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      const error = yield* Effect.flip(mp.Queue.make({ capacity }))
      assertInstanceOf(error, mp.InvalidArgument)
      assertEquals(error.argument, "capacity")
    }
    assertEquals((yield* mp.Queue.make({ capacity: Infinity })).capacity, Infinity)
  }))

test("Queue.isQueue recognizes queues and joinable queues, not simple queues or look-alikes", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    assert(mp.Queue.isQueue(queue))
    assert(!mp.Queue.isQueue({ __mp: "Queue" }))
    const simple = yield* mp.SimpleQueue.make<number>()
    assert(!mp.Queue.isQueue(simple))
    assert(mp.SimpleQueue.isSimpleQueue(queue))
    assert(mp.Queue.isQueue(yield* mp.JoinableQueue.make<number>()))
  }))

test(
  "Queue in pool.map payloads: 4 producer tasks on a pool of 2 fill one queue the parent drains",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      const queue = yield* mp.Queue.make<number>({ capacity: 100 })
      const n = 2_000
      const drained = yield* Effect.forkChild(Effect.gen(function* () {
        const got: Array<number> = []
        while (got.length < 4 * n) got.push(...(yield* queue.takeUpTo(500)))
        return got
      }))
      const counts = yield* pool.map(
        tasks.produce,
        [1, 2, 3, 4].map((id) => ({ queue, id, n, batch: id % 2 === 0 ? 50 : 1 })),
      )
      assertEquals(counts, [n, n, n, n])
      const got = yield* Fiber.join(drained)
      for (const id of [1, 2, 3, 4]) {
        const mine = got.filter((v) => Math.floor(v / 1_000_000) === id)
        assertEquals(mine, range(id * 1_000_000, n), `producer ${id}'s items lost, duplicated or reordered`)
      }
    }),
  { timeout: 30_000 },
)
