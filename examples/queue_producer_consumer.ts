/**
 * The Python guide's producer and consumer sharing a `Queue`: one process
 * puts items, another takes them until there are no more.
 *
 * ```py
 * def producer(queue):
 *     for i in range(10):
 *         queue.put(i)
 *     queue.put(None)                 # "no more items"
 *
 * def consumer(queue):
 *     while (item := queue.get()) is not None:
 *         print("Consumed", item)
 *
 * if __name__ == "__main__":
 *     queue = Queue(maxsize=4)
 *     ...
 * ```
 *
 * Here the producer closes the queue instead of sending a sentinel: the
 * consumer's `take` fails with `QueueClosed` once everything put before the
 * close has been taken. The queue lives in shared memory, so items go from
 * one worker to the other without passing through the parent. For a chain of
 * such workers, `mp.Queue.stage` writes the take-apply-put-close loop for you
 * (`examples/queue_stages.ts`).
 *
 * Run: `deno task example:queue_producer_consumer`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

export const producer = mp.Task.make(import.meta.url, "producer", {
  handler: (queue: mp.Queue.Queue<number>) =>
    Effect.gen(function* () {
      for (let i = 0; i < 10; i++) {
        yield* queue.put(i) // waits while the queue holds 4 items
        console.log("Produced", i)
      }
      yield* queue.close
    }),
})

export const consumer = mp.Task.make(import.meta.url, "consumer", {
  handler: (queue: mp.Queue.Queue<number>) =>
    Effect.gen(function* () {
      let sum = 0
      for (;;) {
        const item = yield* queue.take().pipe(Effect.catchTag("QueueClosed", () => Effect.succeed(undefined)))
        if (item === undefined) return sum
        console.log("Consumed", item)
        sum += item
      }
    }),
})

const program = Effect.gen(function* () {
  const queue = yield* mp.Queue.make<number>({ capacity: 4 })
  const consuming = yield* mp.Process.spawn(consumer, queue, { name: "consumer" })
  const producing = yield* mp.Process.spawn(producer, queue, { name: "producer" })
  yield* producing.join
  const sum = yield* consuming.join
  console.log(`The consumer took every item: sum ${sum}`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
