/**
 * Worker-side tasks of `queue_bench.ts`: they wait for the start signal, then
 * fill or drain a queue, or answer on a pipe. Both the bench and its workers
 * import this module.
 *
 * @module
 */
import { Effect } from "effect"
import * as mp from "../mod.ts"
import { wait } from "../src/internal/futex.ts"

/**
 * The start line of one run: `signal[1]` counts the workers that are ready,
 * `signal[0]` is set by the parent to start them all.
 */
export const awaitGo = (signal: Int32Array): Effect.Effect<void> =>
  Effect.suspend(() => {
    Atomics.add(signal, 1, 1)
    const loop = (): Effect.Effect<void> =>
      Atomics.load(signal, 0) !== 0 ? Effect.void : Effect.flatMap(wait(signal, 0, 0), loop)
    return loop()
  })

/** Item shapes the bench sends. */
export type Shape = "number" | "object"

/** The `i`-th item of a shape. */
export const item = (shape: Shape, i: number): unknown =>
  shape === "number" ? i : { id: i, name: `item-${i}`, ok: true }

/** Puts `n` items, one by one (`batch` 1) or `batch` per `putAll`, then closes the queue. */
export const fill = mp.Task.make(import.meta.url, "fill", {
  handler: (p: { queue: mp.Queue.Queue<unknown>; n: number; batch: number; shape: Shape; go: Int32Array }) =>
    Effect.gen(function* () {
      yield* awaitGo(p.go)
      if (p.batch === 1) {
        for (let i = 0; i < p.n; i++) yield* p.queue.put(item(p.shape, i))
      } else {
        const chunk = new Array<unknown>(p.batch)
        for (let i = 0; i < p.n; i += p.batch) {
          const k = Math.min(p.batch, p.n - i)
          chunk.length = k
          for (let j = 0; j < k; j++) chunk[j] = item(p.shape, i + j)
          yield* p.queue.putAll(chunk)
        }
      }
      yield* p.queue.close
      return p.n
    }),
})

/** Takes until the queue is closed, one by one (`batch` 1) or up to `batch` at a time; returns the count. */
export const drain = mp.Task.make(import.meta.url, "drain", {
  handler: (p: { queue: mp.Queue.Queue<unknown>; batch: number; go: Int32Array }) =>
    Effect.andThen(awaitGo(p.go), drainQueue(p.queue, p.batch)),
})

/** The drain loop, shared with the parent side of the bench. */
export const drainQueue = (queue: mp.Queue.Queue<unknown>, batch: number): Effect.Effect<number> =>
  Effect.gen(function* () {
    let count = 0
    for (;;) {
      const r = yield* Effect.result(
        batch === 1 ? Effect.map(queue.take(), () => 1) : Effect.map(queue.takeUpTo(batch), (xs) => xs.length),
      )
      if (r._tag === "Failure") return count
      count += r.success
    }
  })

/** Answers every message on a pipe with the same message until EOF. */
export const echo = mp.Task.make(import.meta.url, "echo", {
  handler: (conn: mp.Pipe.Connection<number>) =>
    Effect.gen(function* () {
      for (;;) {
        const r = yield* Effect.result(conn.recv)
        if (r._tag === "Failure") return
        yield* conn.send(r.success)
      }
    }),
})
