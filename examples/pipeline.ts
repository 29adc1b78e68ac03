/**
 * A pipeline of stages connected by queues: the parent feeds raw lines into
 * the first queue; a parse stage (two workers) turns them into records; an
 * aggregate stage (one worker) totals the records per key. Each stage stops
 * when its input is closed and drained, then closes its own output, so the
 * end of the input flows down the pipeline.
 *
 * Run: `deno task example:pipeline`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

interface Record_ {
  readonly key: string
  readonly amount: number
}

/** Takes items until the queue is closed and drained. */
const drain = <A>(queue: mp.Queue.Queue<A>, f: (a: A) => Effect.Effect<void, unknown>) =>
  Effect.gen(function* () {
    for (;;) {
      const batch = yield* queue.takeUpTo(256).pipe(
        Effect.catchTag("QueueClosed", () => Effect.succeed(undefined)),
      )
      if (batch === undefined) return
      for (const item of batch) yield* f(item)
    }
  })

export const parse = mp.Task.make(import.meta.url, "parse", {
  handler: ({ lines, records }: { lines: mp.Queue.Queue<string>; records: mp.Queue.Queue<Record_> }) =>
    Effect.gen(function* () {
      let parsed = 0
      yield* drain(lines, (line) => {
        const [key, amount] = line.split(",")
        parsed++
        return records.put({ key: key.trim(), amount: Number(amount) })
      })
      return parsed
    }),
})

export const aggregate = mp.Task.make(import.meta.url, "aggregate", {
  handler: (records: mp.Queue.Queue<Record_>) =>
    Effect.gen(function* () {
      const totals: Record<string, number> = {}
      yield* drain(records, (r) => Effect.sync(() => void (totals[r.key] = (totals[r.key] ?? 0) + r.amount)))
      return totals
    }),
})

const program = Effect.gen(function* () {
  const n = Number(Deno.args[0] ?? 20_000)
  const keys = ["north", "south", "east", "west"]
  const lines = yield* mp.Queue.make<string>({ capacity: 1024 })
  const records = yield* mp.Queue.make<Record_>({ capacity: 1024 })
  const parsers = yield* Effect.forEach(
    [1, 2],
    (i) => mp.Process.spawn(parse, { lines, records }, { name: `parse-${i}` }),
  )
  const aggregator = yield* mp.Process.spawn(aggregate, records, { name: "aggregate" })
  const t = performance.now()
  const expected: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const key = keys[i % keys.length]
    expected[key] = (expected[key] ?? 0) + i
    yield* lines.put(`${key}, ${i}`)
  }
  yield* lines.close // end of input: the parsers finish what is queued, then stop
  const parsed = yield* Effect.forEach(parsers, (p) => p.join)
  yield* records.close // both parsers are done: the aggregator drains and stops
  const totals = yield* aggregator.join
  console.log(`parsed by stage: ${parsed.join(" + ")} = ${parsed.reduce((a, b) => a + b, 0)} lines`)
  console.log("totals:", totals)
  const ok = keys.every((k) => totals[k] === expected[k])
  console.log(`${n} lines through 3 stages in ${(performance.now() - t).toFixed(0)} ms, totals correct: ${ok}`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
