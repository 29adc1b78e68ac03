import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/ipc_tasks.ts"
import { test } from "../support/mod.ts"

test("SimpleQueue: put, get, isEmpty and close in one thread", () =>
  Effect.gen(function* () {
    const queue = yield* mp.SimpleQueue.make<{ id: number }>()
    assert(yield* queue.isEmpty)
    yield* queue.put({ id: 1 })
    assertEquals(yield* queue.isEmpty, false)
    assertEquals(yield* queue.get(), { id: 1 })
    yield* queue.close
    assertInstanceOf(yield* Effect.flip(queue.put({ id: 2 })), mp.QueueClosed)
    assertInstanceOf(yield* Effect.flip(queue.take()), mp.QueueClosed)
  }))

test("SimpleQueue: a worker consumes what the parent puts", () =>
  Effect.gen(function* () {
    const queue = yield* mp.SimpleQueue.make<number>()
    // The consume task is typed for a Queue; a SimpleQueue crosses the same way.
    const consumer = yield* mp.Process.spawn(tasks.consume, { queue: queue as unknown as mp.Queue.Queue<number> })
    for (let i = 0; i < 100; i++) yield* queue.put(1_000_000 + i)
    yield* queue.close
    const r = yield* consumer.join
    assertEquals(r.count, 100)
    assert(r.ordered)
  }))

test("SimpleQueue with a schema rejects a value that does not fit", () =>
  Effect.gen(function* () {
    const queue = yield* mp.SimpleQueue.make({ schema: Schema.Int })
    assertInstanceOf(yield* Effect.flip(queue.put(1.5)), mp.EncodeError)
    yield* queue.put(2)
    assertEquals(yield* queue.get(), 2)
  }))
