/**
 * `Queue.shutdown({ immediate })`, ported from Python 3.13's
 * `queue.Queue.shutdown`: after it, `put` fails at once (Python's `ShutDown`
 * is `QueueClosed` here: `shutdown()` is `close`), `take` drains what is left
 * and then fails at once; with `immediate: true` the queue is emptied and
 * `take` fails at once; waiters blocked in `put` or `take` wake and fail. The
 * state lives in shared memory, so it holds in every worker.
 */
import { assertEquals, assertInstanceOf } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/shutdown_tasks.ts"
import { eventually, test } from "../support/mod.ts"

test("Queue.shutdown(): put fails at once with QueueClosed (Python's ShutDown); take drains what is left, then fails at once", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>({ capacity: 10 })
    yield* queue.putAll([1, 2, 3])
    yield* queue.shutdown()
    assertEquals(yield* queue.isShutDown, true)
    assertInstanceOf(yield* Effect.flip(queue.put(4)), mp.QueueClosed)
    assertEquals(yield* queue.take(), 1)
    assertEquals(yield* queue.takeUpTo(10), [2, 3])
    assertInstanceOf(yield* Effect.flip(queue.take()), mp.QueueClosed)
    assertInstanceOf(yield* Effect.flip(queue.tryTake), mp.QueueClosed)
    yield* queue.shutdown() // twice is allowed
  }))

test("Queue.shutdown({ immediate: true }): the queued items are dropped, take and put fail at once", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    yield* queue.putAll([1, 2, 3])
    yield* queue.shutdown({ immediate: true })
    assertEquals(yield* queue.size, 0)
    assertInstanceOf(yield* Effect.flip(queue.take()), mp.QueueClosed)
    assertInstanceOf(yield* Effect.flip(queue.put(4)), mp.QueueClosed)
    // A later non-immediate shutdown changes nothing.
    yield* queue.shutdown()
    assertEquals(yield* queue.size, 0)
  }))

test(
  "Queue.shutdown wakes the workers blocked in put (full queue) and in take (empty queue): both fail with QueueClosed",
  () =>
    Effect.gen(function* () {
      const full = yield* mp.Queue.make<number>({ capacity: 4 })
      const empty = yield* mp.Queue.make<number>()
      const putterStarted = yield* mp.Event.make()
      const takerStarted = yield* mp.Event.make()
      const putter = yield* mp.Process.spawn(tasks.putUntilFailure, { queue: full, started: putterStarted })
      const taker = yield* mp.Process.spawn(tasks.takeUntilFailure, { queue: empty, started: takerStarted })
      yield* putterStarted.wait
      yield* takerStarted.wait
      yield* eventually(Effect.map(full.size, (n) => n === 4))
      yield* full.shutdown()
      yield* empty.shutdown()
      assertEquals(yield* putter.join, { put: 4, error: "QueueClosed" })
      assertEquals(yield* taker.join, { taken: [], error: "QueueClosed" })
      // The items put before the shutdown are still there to take.
      assertEquals(yield* full.takeUpTo(10), [0, 1, 2, 3])
    }),
  { timeout: 30_000 },
)

test(
  "Queue.shutdown({ immediate: true }) from a worker is seen by the parent and its fibers: the items are gone, a blocked put and a take fail",
  () =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<number>({ capacity: 2 })
      yield* queue.putAll([1, 2])
      const blockedPut = yield* Effect.forkChild(Effect.flip(queue.put(3)))
      const worker = yield* mp.Process.spawn(tasks.shutdownQueue, { queue, immediate: true })
      yield* worker.join
      assertInstanceOf(yield* Fiber.join(blockedPut), mp.QueueClosed)
      assertEquals(yield* queue.size, 0)
      assertInstanceOf(yield* Effect.flip(queue.take()), mp.QueueClosed)
    }),
  { timeout: 30_000 },
)

test(
  "JoinableQueue.shutdown({ immediate: true }) counts the dropped items as done: join returns once the items already taken are done",
  () =>
    Effect.gen(function* () {
      const queue = yield* mp.JoinableQueue.make<number>()
      yield* queue.putAll([1, 2, 3, 4])
      assertEquals(yield* queue.take(), 1)
      const joined = yield* Effect.forkChild(queue.join)
      yield* queue.shutdown({ immediate: true })
      assertEquals(yield* queue.unfinished, 1) // the item taken and not yet done
      yield* Effect.yieldNow
      assertEquals(joined.pollUnsafe(), undefined)
      yield* queue.taskDone()
      yield* Fiber.join(joined)
      assertEquals(yield* queue.unfinished, 0)
    }),
  { timeout: 30_000 },
)

test("JoinableQueue.shutdown() (not immediate) keeps the items: join waits until they are taken and done", () =>
  Effect.gen(function* () {
    const queue = yield* mp.JoinableQueue.make<number>()
    yield* queue.putAll([1, 2])
    yield* queue.shutdown()
    assertEquals(yield* queue.unfinished, 2)
    assertEquals(yield* queue.takeUpTo(5), [1, 2])
    yield* queue.taskDone(2)
    yield* queue.join
  }))

test("Queue.shutdown refuses an immediate that is not a boolean: InvalidArgument naming it", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make<number>()
    const e = yield* Effect.flip(queue.shutdown({ immediate: "yes" as never }))
    assertInstanceOf(e, mp.InvalidArgument)
    assertEquals(e.argument, "immediate")
    assertEquals(yield* queue.isShutDown, false)
  }))
