import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/ipc_tasks.ts"
import { test } from "../support/mod.ts"

test("JoinableQueue.join returns only after every item was marked done by the workers", () =>
  Effect.gen(function* () {
    const jobs = yield* mp.JoinableQueue.make<number>({ capacity: 50 })
    const total = new Int32Array(new SharedArrayBuffer(4))
    const workers = [
      yield* mp.Process.spawn(tasks.joinableWorker, { jobs, total, delayMs: 1 }),
      yield* mp.Process.spawn(tasks.joinableWorker, { jobs, total, delayMs: 1 }),
    ]
    const items = Array.from({ length: 200 }, (_, i) => i + 1)
    yield* jobs.putAll(items)
    yield* jobs.join.pipe(Effect.timeoutOrElse({
      duration: "20 seconds",
      orElse: () =>
        Effect.gen(function* () {
          const states = []
          for (const w of workers) states.push(`alive=${yield* w.isAlive} exit=${yield* w.exitCode}`)
          return yield* Effect.die(
            new Error(
              `join hung: unfinished=${yield* jobs.unfinished} size=${yield* jobs.size} total=${
                Atomics.load(total, 0)
              } workers: ${states.join("; ")}`,
            ),
          )
        }),
    }))
    // Every item's work (the add) happens before its taskDone: all of it is visible now.
    assertEquals(Atomics.load(total, 0), 200 * 201 / 2)
    assertEquals(yield* jobs.unfinished, 0)
    yield* jobs.close
    for (const w of workers) assertEquals(yield* w.join, "closed")
  }), { timeout: 30_000 })

test("JoinableQueue.join waits while one taken item is not yet done", () =>
  Effect.gen(function* () {
    const jobs = yield* mp.JoinableQueue.make<string>()
    yield* jobs.putAll(["a", "b"])
    assertEquals(yield* jobs.unfinished, 2)
    yield* jobs.take()
    yield* jobs.take()
    yield* jobs.taskDone()
    const joiner = yield* Effect.forkChild(jobs.join)
    yield* Effect.sleep(100)
    assert(joiner.pollUnsafe() === undefined, "join returned with one task still unfinished")
    yield* jobs.taskDone()
    yield* Fiber.join(joiner)
    assertEquals(yield* jobs.unfinished, 0)
  }))

test("JoinableQueue.join returns at once when nothing was put", () =>
  Effect.gen(function* () {
    const jobs = yield* mp.JoinableQueue.make<number>()
    yield* jobs.join
  }), { timeout: 2_000 })

test("JoinableQueue.taskDone fails with TaskDoneTooManyTimes and changes nothing when called too often", () =>
  Effect.gen(function* () {
    const jobs = yield* mp.JoinableQueue.make<number>()
    assertInstanceOf(yield* Effect.flip(jobs.taskDone()), mp.TaskDoneTooManyTimes)
    yield* jobs.put(1)
    assertInstanceOf(yield* Effect.flip(jobs.taskDone(2)), mp.TaskDoneTooManyTimes)
    assertEquals(yield* jobs.unfinished, 1)
    yield* jobs.taskDone()
    assertEquals(yield* jobs.unfinished, 0)
  }))

test("JoinableQueue: a put that fails to encode adds no unfinished task", () =>
  Effect.gen(function* () {
    const jobs = yield* mp.JoinableQueue.make<unknown>()
    yield* Effect.flip(jobs.putAll([1, () => 2]))
    assertEquals(yield* jobs.unfinished, 0)
    yield* jobs.join
  }))

test("JoinableQueue.isJoinableQueue tells joinable queues apart", () =>
  Effect.gen(function* () {
    assert(mp.JoinableQueue.isJoinableQueue(yield* mp.JoinableQueue.make()))
    assert(!mp.JoinableQueue.isJoinableQueue(yield* mp.Queue.make()))
  }))

test("JoinableQueue.schema in a task payload: the worker takes with the item schema and marks it done", () =>
  Effect.gen(function* () {
    const jobs = yield* mp.JoinableQueue.make({ schema: Schema.NumberFromString })
    yield* jobs.put(21)
    const p = yield* mp.Process.spawn(tasks.joinableSchema, { jobs })
    assertEquals(yield* p.join, 42)
    yield* jobs.join
  }))
