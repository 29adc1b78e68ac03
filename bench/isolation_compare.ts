/**
 * "process" against "worker", in one run: pool start-up (make, then one task
 * on every worker), sequential `apply` latency, a 100,000-item `map`, and a
 * one-task `Process.spawn` + `join`. Prints a table of medians and the
 * process/worker ratios.
 *
 *     deno run -A bench/isolation_compare.ts
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../mod.ts"
import { double } from "../tests/fixtures/tasks.ts"

type Isolation = "worker" | "process"
const SIZE = 2
const ROUNDS = 5
const APPLIES = 2_000
const MAP_ITEMS = 100_000

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const measure = (isolation: Isolation) =>
  Effect.gen(function* () {
    const startup: Array<number> = []
    const apply: Array<number> = []
    const map: Array<number> = []
    const spawn: Array<number> = []
    for (let round = 0; round < ROUNDS; round++) {
      yield* Effect.scoped(Effect.gen(function* () {
        const t0 = performance.now()
        const pool = yield* mp.Pool.make({ size: SIZE, isolation })
        yield* pool.map(double, Array.from({ length: SIZE }, (_, i) => i), { chunkSize: 1 })
        startup.push(performance.now() - t0)
        for (let i = 0; i < 100; i++) yield* pool.apply(double, i) // warm up
        const t1 = performance.now()
        for (let i = 0; i < APPLIES; i++) yield* pool.apply(double, i)
        apply.push((performance.now() - t1) * 1000 / APPLIES)
        const xs = Array.from({ length: MAP_ITEMS }, (_, i) => i)
        const t2 = performance.now()
        yield* pool.map(double, xs)
        map.push(performance.now() - t2)
      }))
      yield* Effect.scoped(Effect.gen(function* () {
        const t0 = performance.now()
        const p = yield* mp.Process.spawn(double, 21, { isolation })
        yield* p.join
        spawn.push(performance.now() - t0)
      }))
    }
    return { startup: median(startup), apply: median(apply), map: median(map), spawn: median(spawn) }
  })

const [w, p] = await Effect.runPromise(Effect.all([measure("worker"), measure("process")]))
const rows: Array<[string, number, number, string]> = [
  [`pool start-up, size ${SIZE} (ms)`, w.startup, p.startup, "ms"],
  ["Process.spawn + join, one task (ms)", w.spawn, p.spawn, "ms"],
  ["sequential apply (µs per task)", w.apply, p.apply, "µs"],
  [`map of ${MAP_ITEMS.toLocaleString("en")} items (ms)`, w.map, p.map, "ms"],
]
console.log(`Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, median of ${ROUNDS} rounds`)
console.log("| measure | worker | process | process / worker |")
console.log("| --- | ---: | ---: | ---: |")
for (const [label, a, b] of rows) {
  console.log(`| ${label} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(1)}× |`)
}
