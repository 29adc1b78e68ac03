/**
 * `mp.Queue.stage` / `mp.Queue.stageBatches`: long-running stages connected
 * by queues deliver every item in order, end when their input ends, and end
 * (never hang) when a neighbour fails, stops early or is interrupted.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import { BadItem, double, inc, label } from "../fixtures/stage_tasks.ts"
import { errorOf, eventually, test } from "../support/mod.ts"

const range = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

test(
  "Queue.stage: three Process stages chained by queues deliver every item in order, and each ends when its input ends",
  () =>
    Effect.gen(function* () {
      const n = 2_000
      const [q0, q1, q2] = [
        yield* mp.Queue.make<number>({ capacity: 64 }),
        yield* mp.Queue.make<number>({ capacity: 64 }),
        yield* mp.Queue.make<number>({ capacity: 64 }),
      ]
      const q3 = yield* mp.Queue.make<string>({ capacity: 64 })
      const stages = [
        yield* mp.Process.spawn(double, { input: q0, output: q1 }, { name: "double" }),
        yield* mp.Process.spawn(inc, { input: q1, output: q2 }, { name: "inc" }),
        yield* mp.Process.spawn(label, { input: q2, output: q3 }, { name: "label" }),
      ]
      // The parent feeds the first stage (closing it when done) and drains the last one.
      const feeding = yield* Effect.forkChild(Effect.andThen(q0.putAll(range(n)), q0.close))
      const out = yield* Stream.runCollect(q3.toStream)
      yield* Fiber.join(feeding)
      assertEquals(out, range(n).map((i) => `#${i * 2 + 1}`))
      for (const s of stages) assertEquals(yield* s.join, { taken: n, put: n, endedBy: "input" })
      for (const s of stages) assertEquals(yield* s.exitCode, 0)
    }),
  { timeout: 30_000 },
)

test(
  "Queue.stage: a stage whose function fails mid-stream fails with its typed error; the next stages get every item before it, then fail with UpstreamFailed; the earlier stage and the producer are stopped, none hangs",
  () =>
    Effect.gen(function* () {
      const n = 2_000
      const [q0, q1, q2] = [
        yield* mp.Queue.make<number>({ capacity: 16 }),
        yield* mp.Queue.make<number>({ capacity: 16 }),
        yield* mp.Queue.make<number>({ capacity: 16 }),
      ]
      const q3 = yield* mp.Queue.make<string>({ capacity: 16 })
      const first = yield* mp.Process.spawn(double, { input: q0, output: q1 })
      // 2 * 500 = 1000 is the item it cannot handle
      const failing = yield* mp.Process.spawn(inc, { input: q1, output: q2, failAt: 1000 })
      const last = yield* mp.Process.spawn(label, { input: q2, output: q3 })
      const feeding = yield* Effect.forkChild(Effect.exit(Effect.andThen(q0.putAll(range(n)), q0.close)))
      const out = yield* Stream.runCollect(q3.toStream)

      const cause = errorOf(yield* failing.await)
      assertInstanceOf(cause, BadItem)
      assertEquals(cause.item, 1000)
      const after = errorOf(yield* last.await)
      assertInstanceOf(after, mp.UpstreamFailed)
      assertStringIncludes(after.message, "An earlier stage of the pipeline failed")
      // Every result put before the failure reached the end, in order.
      assertEquals(out, range(500).map((i) => `#${i * 2 + 1}`))
      // The stage before the failing one saw its output closed and stopped, closing its own input:
      // the producer's put failed instead of waiting for room for ever.
      const before = yield* first.join
      assertEquals(before.endedBy, "output")
      const fed = yield* Fiber.join(feeding)
      assert(Exit.isFailure(fed), "the producer's put should have failed")
      assertEquals(errorOf(fed)?._tag, "QueueClosed")
    }),
  { timeout: 30_000 },
)

test("Queue.stage: interrupting the parent leaves no stage running", () =>
  Effect.gen(function* () {
    const [q0, q1, q2] = [
      yield* mp.Queue.make<number>({ capacity: 16 }),
      yield* mp.Queue.make<number>({ capacity: 16 }),
      yield* mp.Queue.make<number>({ capacity: 16 }),
    ]
    const q3 = yield* mp.Queue.make<string>()
    const started: Array<mp.Process.Process<mp.Queue.StageSummary, unknown>> = []
    // A pipeline whose input never ends: it runs until the parent is interrupted.
    const parent = yield* Effect.forkChild(Effect.scoped(Effect.gen(function* () {
      started.push(yield* mp.Process.spawn(double, { input: q0, output: q1 }))
      started.push(yield* mp.Process.spawn(inc, { input: q1, output: q2 }))
      started.push(yield* mp.Process.spawn(label, { input: q2, output: q3 }))
      for (let i = 0;; i++) yield* q0.put(i)
    })))
    yield* eventually(Effect.map(q3.size, (size) => size >= 10), 15_000)
    yield* Fiber.interrupt(parent)
    assertEquals(started.length, 3)
    for (const s of started) assertEquals(yield* s.isAlive, false)
    assertEquals(mp.activeChildren().length, 0)
  }), { timeout: 60_000 })

test("Queue.stage: when the output is closed by its consumer, the stage stops (endedBy output) and closes its input, so the producer is not left waiting", () =>
  Effect.gen(function* () {
    const input = yield* mp.Queue.make<number>({ capacity: 4 })
    const output = yield* mp.Queue.make<number>({ capacity: 4 })
    const stage = yield* Effect.forkChild(mp.Queue.stage(input, output, (x) => Effect.succeed(x * 10)))
    const feeding = yield* Effect.forkChild(Effect.exit(input.putAll(range(1_000))))
    assertEquals([yield* output.take(), yield* output.take(), yield* output.take()], [0, 10, 20])
    yield* output.close
    const summary = yield* Fiber.join(stage)
    assertEquals(summary.endedBy, "output")
    assertEquals(errorOf(yield* Fiber.join(feeding))?._tag, "QueueClosed")
  }))

test("Queue.stage: an interrupted stage closes its output as failed: the next stage takes what was put, then fails with UpstreamFailed", () =>
  Effect.gen(function* () {
    const q0 = yield* mp.Queue.make<number>()
    const q1 = yield* mp.Queue.make<number>()
    const q2 = yield* mp.Queue.make<number>()
    const seen: Array<number> = []
    const first = yield* Effect.forkChild(mp.Queue.stage(q0, q1, (x) => Effect.succeed(x + 1)))
    const second = yield* Effect.forkChild(
      mp.Queue.stage(q1, q2, (x) => Effect.sync(() => (seen.push(x), x))),
    )
    yield* q0.putAll([1, 2, 3])
    yield* eventually(Effect.map(q2.size, (size) => size === 3))
    yield* Fiber.interrupt(first)
    const exit = yield* Fiber.await(second)
    assertInstanceOf(errorOf(exit), mp.UpstreamFailed)
    assertEquals(seen, [2, 3, 4])
    // the failure travels on: q2 is closed too, after what was put on it
    assertEquals(yield* Stream.runCollect(q2.toStream), [2, 3, 4])
    assertEquals(yield* q0.isClosed, true)
  }))

test("Queue.stageBatches hands whole batches to its function and puts what it returns (any number of items)", () =>
  Effect.gen(function* () {
    const input = yield* mp.Queue.make<number>()
    const output = yield* mp.Queue.make<number>()
    yield* input.putAll(range(100))
    yield* input.close
    const sizes: Array<number> = []
    const summary = yield* mp.Queue.stageBatches(input, output, (xs) =>
      Effect.sync(() => {
        sizes.push(xs.length)
        return xs.filter((x) => x % 10 === 0)
      }), { batchSize: 30 })
    assertEquals(summary, { taken: 100, put: 10, endedBy: "input" })
    assertEquals(yield* Stream.runCollect(output.toStream), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    assert(sizes.every((s) => s >= 1 && s <= 30), `batch sizes ${sizes}`)
  }))

test(
  "Queue.stage with closeOutput: false lets several Processes share one output, closed by the parent once all have ended",
  () =>
    Effect.gen(function* () {
      const n = 1_000
      const input = yield* mp.Queue.make<number>({ capacity: 32 })
      const output = yield* mp.Queue.make<number>({ capacity: 32 })
      const workers = [
        yield* mp.Process.spawn(double, { input, output, closeOutput: false }),
        yield* mp.Process.spawn(double, { input, output, closeOutput: false }),
      ]
      const feeding = yield* Effect.forkChild(Effect.andThen(input.putAll(range(n)), input.close))
      const collecting = yield* Effect.forkChild(Stream.runCollect(output.toStream))
      let taken = 0
      for (const w of workers) taken += (yield* w.join).taken
      yield* output.close
      const out = yield* Fiber.join(collecting)
      yield* Fiber.join(feeding)
      assertEquals(taken, n)
      assertEquals([...out].sort((a, b) => a - b), range(n).map((i) => i * 2))
    }),
  { timeout: 30_000 },
)

test("Queue.stage refuses bad arguments with InvalidArgument naming them, before taking anything", () =>
  Effect.gen(function* () {
    const q = yield* mp.Queue.make<number>()
    const other = yield* mp.Queue.make<number>()
    yield* q.put(1)
    const id = (x: number) => Effect.succeed(x)
    const notQueue = yield* Effect.flip(mp.Queue.stage("q0" as unknown as mp.Queue.Queue<number>, other, id))
    assertEquals([notQueue._tag, notQueue.message], [
      "InvalidArgument",
      'input must be a Queue or a JoinableQueue, got "q0"',
    ])
    const same = yield* Effect.flip(mp.Queue.stage(q, q, id))
    assertEquals(same.message, "output must be another queue than input, got a QueueImpl")
    const zero = yield* Effect.flip(mp.Queue.stage(q, other, id, { batchSize: 0 }))
    assertStringIncludes(zero.message, "options.batchSize must be an integer from 1 to 2147483647, got 0")
    const typo = yield* Effect.flip(mp.Queue.stage(q, other, id, { batchSze: 2 } as mp.Queue.StageOptions))
    assertStringIncludes(typo.message, `did you mean "batchSize"?`)
    const flag = yield* Effect.flip(
      mp.Queue.stageBatches(q, other, (xs) => Effect.succeed(xs), { closeOutput: "yes" as unknown as boolean }),
    )
    assertEquals(flag.message, `options.closeOutput must be a boolean, got "yes"`)
    assertEquals(yield* q.size, 1)
    assertEquals(yield* other.isClosed, false)
  }))
