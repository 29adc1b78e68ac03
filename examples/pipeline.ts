/**
 * A pipeline of pool stages over a Stream: the parent streams raw lines; a
 * parse stage turns them into records in the workers (`imapExit`: one `Exit`
 * per line, so a bad line is reported and skipped instead of ending the run);
 * an aggregate stage (`Pool.through`, at most two batches in flight, in any
 * order, a failed batch tried once more) totals batches of records per key;
 * the parent merges the partial totals. The input is pulled only as fast as
 * the workers go, so memory stays bounded whatever `n` is.
 *
 * Run: `deno task example:pipeline [n]`
 */
import { Cause, Effect, Exit, Schedule, Stream } from "effect"
import * as mp from "@mp/multiprocessing"

interface Record_ {
  readonly key: string
  readonly amount: number
}

/** "north, 12" → `{ key: "north", amount: 12 }`; anything else fails. */
export const parse = mp.Task.make(import.meta.url, "parse", {
  handler: (line: string): Record_ => {
    const [key, amount] = line.split(",")
    const n = Number(amount)
    if (key === undefined || amount === undefined || !Number.isFinite(n)) throw new SyntaxError(`bad line "${line}"`)
    return { key: key.trim(), amount: n }
  },
})

/** Totals a batch of records per key. */
export const aggregate = mp.Task.make(import.meta.url, "aggregate", {
  handler: (records: ReadonlyArray<Record_>): Record<string, number> => {
    const totals: Record<string, number> = {}
    for (const r of records) totals[r.key] = (totals[r.key] ?? 0) + r.amount
    return totals
  },
})

const program = Effect.gen(function* () {
  const n = Number(Deno.args[0] ?? 20_000)
  const keys = ["north", "south", "east", "west"]
  const expected: Record<string, number> = {}
  // Every 500th line is garbage: it is reported, not summed.
  const line = (i: number): string => {
    if (i % 500 === 499) return `garbage ${i}`
    const key = keys[i % keys.length]
    expected[key] = (expected[key] ?? 0) + i
    return `${key}, ${i}`
  }
  const pool = yield* mp.Pool.make({ size: 3 })
  const t = performance.now()
  let good = 0
  const bad: Array<string> = []
  const totals = yield* pool.imapExit(parse, Stream.range(0, n - 1).pipe(Stream.map(line)), { chunkSize: 256 }).pipe(
    Stream.tap((exit) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) good++
        else bad.push(Cause.pretty(exit.cause).split("\n")[0])
      })
    ),
    Stream.filter(Exit.isSuccess),
    Stream.map((exit) => exit.value),
    Stream.grouped(1_000),
    mp.Pool.through(pool, aggregate, { concurrency: 2, ordered: false, retry: Schedule.recurs(1) }),
    Stream.runFold(() => ({}) as Record<string, number>, (acc, part) => {
      for (const [k, v] of Object.entries(part)) acc[k] = (acc[k] ?? 0) + v
      return acc
    }),
  )
  console.log(`parsed by stage: ${good} good + ${bad.length} bad = ${good + bad.length} lines`)
  if (bad.length > 0) console.log(`first bad line: ${bad[0]}`)
  console.log("totals:", totals)
  const ok = keys.every((k) => totals[k] === expected[k])
  console.log(`${n} lines through 2 stages in ${(performance.now() - t).toFixed(0)} ms, totals correct: ${ok}`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
