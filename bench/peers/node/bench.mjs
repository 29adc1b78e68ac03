// piscina on Node on the same workloads (peer of bench/compare.ts).
//
//   node bench/peers/node/bench.mjs --workload W1 --reps 5
//
// Prints one line: BENCH_RESULT {"metrics": {name: [samples...]}, "notes": [...]}.
// Sizes mirror bench/common.ts. piscina has no map and no chunking: a map is one task per item.
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { MessageChannel } from "node:worker_threads"
import { countPrimes } from "./worker.mjs"

const WORKERS = 2
const MAP_ITEMS = 100_000
const SEPARATE_TASKS = 10_000
const APPLY_CALLS = 10_000
const PRIME_TASKS = 8
const PRIME_LIMIT_JS = 1_700_000
const INCREMENTS = 100_000
const QUEUE_ITEMS = 100_000
const BIG_ARRAYS = 64
const BIG_BYTES = 1 << 20

// Loaded with require so that `deno check bench/` does not try to resolve it.
const { Piscina } = createRequire(import.meta.url)("piscina")

const filename = new URL("./worker.mjs", import.meta.url).href
const makePool = () => new Piscina({ filename, minThreads: WORKERS, maxThreads: WORKERS })
const now = () => performance.now()
const check = (ok, what) => {
  if (!ok) throw new Error(`wrong result: ${what}`)
}
const push = (s, k, v) => (s[k] ??= []).push(v)

const w1 = async (pool, s) => {
  let t = now()
  const ys = await Promise.all(Array.from({ length: MAP_ITEMS }, (_, i) => pool.run(i, { name: "double" })))
  push(s, "map100k_ms", now() - t)
  check(ys.length === MAP_ITEMS && ys[MAP_ITEMS - 1] === 2 * (MAP_ITEMS - 1), "W1 map")

  t = now()
  const rs = await Promise.all(Array.from({ length: SEPARATE_TASKS }, (_, i) => pool.run(i, { name: "double" })))
  push(s, "tasks10k_ms", now() - t)
  push(s, "tasks10k_chunk1_ms", now() - t) // piscina has no chunking: every task is separate
  check(rs.reduce((a, b) => a + b, 0) === SEPARATE_TASKS * (SEPARATE_TASKS - 1), "W1 separate tasks")

  t = now()
  let sum = 0
  for (let i = 0; i < APPLY_CALLS; i++) sum += await pool.run(i, { name: "double" })
  push(s, "apply_us", (now() - t) * 1000 / APPLY_CALLS)
  check(sum === APPLY_CALLS * (APPLY_CALLS - 1), "W1 apply")
}

const w2 = async (pool, s, warmUp = false) => {
  // The warm-up only starts the workers and compiles the code: a full round would add seconds.
  const limits = Array.from({ length: PRIME_TASKS }, () => warmUp ? 20_000 : PRIME_LIMIT_JS)
  let t = now()
  const seq = limits.map(countPrimes)
  const sequential = now() - t
  t = now()
  const par = await Promise.all(limits.map((limit) => pool.run(limit, { name: "countPrimes" })))
  const parallel = now() - t
  check(par.every((c, i) => c === seq[i]), "W2 primes")
  push(s, "sequential_ms", sequential)
  push(s, "parallel_ms", parallel)
  push(s, "speedup", sequential / parallel)
}

const w3 = async (pool, s) => {
  const i32 = new Int32Array(new SharedArrayBuffer(8))
  const t = now()
  await Promise.all(Array.from({ length: WORKERS }, () => pool.run({ i32, n: INCREMENTS }, { name: "increment" })))
  push(s, "counter_ms", now() - t)
  check(i32[1] === WORKERS * INCREMENTS, `W3 counter ${i32[1]}`)
}

const w4 = async (pool, s) => {
  const { port1, port2 } = new MessageChannel()
  const t = now()
  let count = 0
  let sum = 0
  const all = new Promise((resolve) => {
    port1.on("message", (i) => {
      sum += i
      if (++count === QUEUE_ITEMS) resolve()
    })
  })
  await pool.run({ port: port2, n: QUEUE_ITEMS }, { name: "produce", transferList: [port2] })
  await all
  port1.close()
  push(s, "queue_ms", now() - t)
  check(sum === QUEUE_ITEMS * (QUEUE_ITEMS - 1) / 2, "W4 queue")
}

const expectedBigSum = () => {
  let total = 0
  for (let i = 0; i < BIG_ARRAYS; i++) total += BIG_BYTES + (BIG_BYTES / 4096) * (i % 251)
  return total
}

const w6 = async (pool, s) => {
  for (const mode of ["copy", "transfer"]) {
    const arrays = Array.from({ length: BIG_ARRAYS }, (_, i) => new Uint8Array(BIG_BYTES).fill(i % 251))
    const t = now()
    const sums = await Promise.all(
      arrays.map((a) =>
        pool.run(a, { name: "checksum", ...(mode === "transfer" ? { transferList: [a.buffer] } : {}) })
      ),
    )
    push(s, `bigdata_${mode}_ms`, now() - t)
    check(sums.reduce((x, y) => x + y, 0) === expectedBigSum(), `W6 ${mode}`)
  }
}

const w5 = async () => {
  const pool = makePool()
  check((await pool.run(21, { name: "double" })) === 42, "W5")
  await pool.destroy()
}

const parseFlags = (args) => {
  const flags = {}
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith("--")) flags[args[i].slice(2)] = args[++i] ?? "true"
  }
  return flags
}

const flags = parseFlags(process.argv.slice(2))
const workload = flags.workload ?? "W1"
const reps = Number(flags.reps ?? 5)
const version = JSON.parse(readFileSync(new URL("./node_modules/piscina/package.json", import.meta.url))).version
const notes = [`node ${process.version}, piscina ${version}`]
let metrics
if (workload === "W5") {
  const t = now()
  await w5()
  metrics = { inprocess_ms: [now() - t] }
} else {
  const run = { W1: w1, W2: w2, W3: w3, W4: w4, W6: w6 }[workload]
  if (run === undefined) throw new Error(`unknown workload ${workload}`)
  const pool = makePool()
  try {
    await run(pool, {}, true) // warm-up
    metrics = {}
    for (let i = 0; i < reps; i++) await run(pool, metrics)
  } finally {
    await pool.destroy()
  }
}
console.log("BENCH_RESULT " + JSON.stringify({ metrics, notes }))
