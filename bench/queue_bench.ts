/**
 * Queue throughput (items/second) through the shared-memory ring, between
 * two workers and between the parent and a worker, for single `put`/`take`
 * and for batches (`putAll`/`takeUpTo`), plus a pipe round trip.
 *
 * `deno bench -A bench/queue_bench.ts`
 *
 * Each iteration moves `N` items; workers are spawned before the clock
 * starts, report ready and begin on a shared start signal, so spawn time is
 * not counted.
 * Items/second = N / (time per iteration).
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import * as mp from "../mod.ts"
import { drain, drainQueue, echo, fill, type Shape } from "./queue_bench_tasks.ts"

const N = 100_000
const ROUND_TRIPS = 2_000

/**
 * Runs one iteration: `program` calls `start` once its workers are ready.
 * (Deno awaits a bench only when `fn` is an `async` function.)
 */
const run = async (
  b: Deno.BenchContext,
  program: (start: () => void) => Effect.Effect<void, unknown, Scope.Scope>,
): Promise<void> => {
  let started = false
  await Effect.runPromise(Effect.scoped(program(() => {
    started = true
    b.start()
  })))
  if (started) b.end()
}

/** A fresh start line (see `awaitGo`). */
const startLine = (): Int32Array => new Int32Array(new SharedArrayBuffer(8))

/** Waits until `n` workers stand at the start line, starts the clock, then lets them go. */
const ready = (go: Int32Array, n: number, start: () => void): Effect.Effect<void> =>
  Effect.gen(function* () {
    while (Atomics.load(go, 1) < n) yield* Effect.sleep(2)
    start()
    Atomics.store(go, 0, 1)
    Atomics.notify(go, 0)
  })

const workerToWorker = (shape: Shape, batch: number) => async (b: Deno.BenchContext) =>
  await run(b, (start) =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<unknown>({ capacity: 10_000 })
      const go = startLine()
      const consumer = yield* mp.Process.spawn(drain, { queue, batch, go })
      const producer = yield* mp.Process.spawn(fill, { queue, n: N, batch, shape, go })
      yield* ready(go, 2, start)
      yield* producer.join
      const count = yield* consumer.join
      if (count !== N) throw new Error(`lost items: ${count} of ${N}`)
    }))

const parentToWorker = (batch: number) => async (b: Deno.BenchContext) =>
  await run(b, (start) =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<number>({ capacity: 10_000 })
      const go = startLine()
      const consumer = yield* mp.Process.spawn(drain, { queue: queue as mp.Queue.Queue<unknown>, batch, go })
      yield* ready(go, 1, start)
      if (batch === 1) { for (let i = 0; i < N; i++) yield* queue.put(i) }
      else {
        const chunk = new Array<number>(batch)
        for (let i = 0; i < N; i += batch) {
          for (let j = 0; j < batch; j++) chunk[j] = i + j
          yield* queue.putAll(chunk)
        }
      }
      yield* queue.close
      const count = yield* consumer.join
      if (count !== N) throw new Error(`lost items: ${count} of ${N}`)
    }))

const workerToParent = (batch: number) => async (b: Deno.BenchContext) =>
  await run(b, (start) =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<unknown>({ capacity: 10_000 })
      const go = startLine()
      const producer = yield* mp.Process.spawn(fill, { queue, n: N, batch, shape: "number" as Shape, go })
      yield* ready(go, 1, start)
      const count = yield* drainQueue(queue, batch)
      yield* producer.join
      if (count !== N) throw new Error(`lost items: ${count} of ${N}`)
    }))

const inThread = (batch: number) => async (b: Deno.BenchContext) =>
  await run(b, (start) =>
    Effect.gen(function* () {
      const queue = yield* mp.Queue.make<number>()
      start()
      for (let i = 0; i < N; i += batch) {
        if (batch === 1) yield* queue.put(i)
        else yield* queue.putAll(Array.from({ length: batch }, (_, j) => i + j))
        if (batch === 1) yield* queue.take()
        else yield* queue.takeUpTo(batch)
      }
    }))

const options = { n: 5, warmup: 1 }

Deno.bench({ name: "in one thread: 100k numbers, put + take", group: "in-thread", ...options, fn: inThread(1) })
Deno.bench({
  name: "in one thread: 100k numbers, putAll/takeUpTo 1000",
  group: "in-thread",
  ...options,
  fn: inThread(1000),
})

Deno.bench({
  name: "worker → worker: 100k numbers, put / take",
  group: "w2w",
  ...options,
  fn: workerToWorker("number", 1),
})
Deno.bench({
  name: "worker → worker: 100k numbers, putAll / takeUpTo 1000",
  group: "w2w",
  baseline: true,
  ...options,
  fn: workerToWorker("number", 1000),
})
Deno.bench({
  name: "worker → worker: 100k small objects, putAll / takeUpTo 1000",
  group: "w2w",
  ...options,
  fn: workerToWorker("object", 1000),
})

Deno.bench({ name: "parent → worker: 100k numbers, put / take", group: "p2w", ...options, fn: parentToWorker(1) })
Deno.bench({
  name: "parent → worker: 100k numbers, putAll / takeUpTo 1000",
  group: "p2w",
  baseline: true,
  ...options,
  fn: parentToWorker(1000),
})
Deno.bench({
  name: "worker → parent: 100k numbers, putAll / takeUpTo 1000",
  group: "p2w",
  ...options,
  fn: workerToParent(1000),
})

Deno.bench({
  name: `pipe: ${ROUND_TRIPS} round trips parent ↔ worker`,
  group: "pipe",
  ...options,
  fn: async (b) =>
    await run(b, (start) =>
      Effect.gen(function* () {
        const [here, there] = yield* mp.Pipe.make<number>()
        yield* mp.Process.spawn(echo, there)
        yield* here.send(-1)
        yield* here.recv // the worker is up
        start()
        for (let i = 0; i < ROUND_TRIPS; i++) {
          yield* here.send(i)
          yield* here.recv
        }
        yield* here.close
      })),
})
