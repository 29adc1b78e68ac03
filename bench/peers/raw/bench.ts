/**
 * The floor: the same workloads on hand-written Deno workers, with no
 * library, no schemas, no Effect. What the platform can do at best.
 *
 * `deno run -A bench/peers/raw/bench.ts --workload W1 --reps 5`
 */
import {
  check,
  countPrimes,
  doubledSum,
  emit,
  expectedBigSum,
  makeBigArrays,
  parseArgs,
  type Samples,
  since,
  SIZES,
} from "../../common.ts"
import { RING_DATA, RING_HEAD, RING_TAIL } from "./shm.ts"

type Reply = { id: number; y?: unknown; ys?: Array<number>; item?: number; ready?: boolean }

class RawPool {
  private readonly pending = new Map<number, (r: Reply) => void>()
  private nextId = 0
  onItem: ((item: number) => void) | undefined

  private constructor(readonly workers: Array<Worker>) {}

  static async start(n: number): Promise<RawPool> {
    const workers = Array.from(
      { length: n },
      () => new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }),
    )
    const pool = new RawPool(workers)
    await Promise.all(workers.map((w) =>
      new Promise<void>((resolve) => {
        w.onmessage = (e: MessageEvent<Reply>) => {
          const r = e.data
          if (r.ready) return resolve()
          if (r.item !== undefined) return pool.onItem?.(r.item)
          const done = pool.pending.get(r.id)
          pool.pending.delete(r.id)
          done?.(r)
        }
      })
    ))
    return pool
  }

  call(worker: number, message: Record<string, unknown>, transfer: Array<Transferable> = []): Promise<Reply> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.workers[worker].postMessage({ ...message, id }, transfer)
    })
  }

  close(): void {
    for (const w of this.workers) w.terminate()
  }
}

/** Runs `items` on the workers, each worker taking the next when it finishes one (like a pool's task queue). */
const pull = async <T>(pool: RawPool, items: ReadonlyArray<T>, send: (w: number, item: T) => Promise<Reply>) => {
  const out: Array<Reply> = new Array(items.length)
  let next = 0
  await Promise.all(pool.workers.map(async (_, w) => {
    while (next < items.length) {
      const i = next++
      out[i] = await send(w, items[i])
    }
  }))
  return out
}

const w1 = async (pool: RawPool, s: Samples) => {
  const n = SIZES.mapItems
  const xs = Array.from({ length: n }, (_, i) => i)
  let t = performance.now()
  const chunk = Math.ceil(n / (4 * SIZES.workers))
  const chunks: Array<Array<number>> = []
  for (let i = 0; i < n; i += chunk) chunks.push(xs.slice(i, i + chunk))
  const replies = await pull(pool, chunks, (w, c) => pool.call(w, { op: "map", xs: c }))
  const ys = replies.flatMap((r) => r.ys!)
  ;(s.map100k_ms ??= []).push(since(t))
  check(ys.length === n && ys[n - 1] === 2 * (n - 1), "W1 map")

  t = performance.now()
  const k = SIZES.separateTasks
  const all = await Promise.all(Array.from({ length: k }, (_, i) => pool.call(i % SIZES.workers, { op: "one", x: i })))
  ;(s.tasks10k_ms ??= []).push(since(t))
  ;(s.tasks10k_chunk1_ms ??= []).push(since(t)) // one message per task either way
  check(all.reduce((a, r) => a + (r.y as number), 0) === doubledSum(k), "W1 separate tasks")

  t = performance.now()
  let sum = 0
  for (let i = 0; i < SIZES.applyCalls; i++) sum += (await pool.call(0, { op: "one", x: i })).y as number
  ;(s.apply_us ??= []).push(since(t) * 1000 / SIZES.applyCalls)
  check(sum === doubledSum(SIZES.applyCalls), "W1 apply")
}

const w2 = async (pool: RawPool, s: Samples, warmUp = false) => {
  // The warm-up only starts the workers and compiles the code: a full round would add seconds.
  const limits = Array.from({ length: SIZES.primeTasks }, () => warmUp ? 20_000 : SIZES.primeLimitJs)
  let t = performance.now()
  const seq = limits.map(countPrimes)
  const sequential = since(t)
  t = performance.now()
  const par = await pull(pool, limits, (w, limit) => pool.call(w, { op: "primes", limit }))
  const parallel = since(t)
  check(par.every((r, i) => r.y === seq[i]), "W2 primes")
  ;(s.sequential_ms ??= []).push(sequential)
  ;(s.parallel_ms ??= []).push(parallel)
  ;(s.speedup ??= []).push(sequential / parallel)
}

const w3 = async (pool: RawPool, s: Samples) => {
  const i32 = new Int32Array(new SharedArrayBuffer(8))
  const t = performance.now()
  await Promise.all(pool.workers.map((_, w) => pool.call(w, { op: "counter", i32, n: SIZES.increments })))
  ;(s.counter_ms ??= []).push(since(t))
  check(i32[1] === SIZES.workers * SIZES.increments, `W3 counter ${i32[1]}`)
}

const w4 = async (pool: RawPool, s: Samples) => {
  const n = SIZES.queueItems
  // Shared-memory ring, one item per slot, the parent takes items one by one.
  const i32 = new Int32Array(new SharedArrayBuffer(4 * (RING_DATA + 4096)))
  const capacity = i32.length - RING_DATA
  let t = performance.now()
  const done = pool.call(0, { op: "ring", i32, n })
  let tail = 0
  let sum = 0
  while (tail < n) {
    const head = Atomics.load(i32, RING_HEAD)
    if (head === tail) {
      Atomics.wait(i32, RING_HEAD, head, 50)
      continue
    }
    sum += i32[RING_DATA + (tail % capacity)]
    tail++
    Atomics.store(i32, RING_TAIL, tail)
    Atomics.notify(i32, RING_TAIL, 1)
  }
  await done
  ;(s.queue_ms ??= []).push(since(t))
  check(sum === n * (n - 1) / 2, "W4 ring")

  // postMessage per item.
  t = performance.now()
  let count = 0
  sum = 0
  const all = new Promise<void>((resolve) => {
    pool.onItem = (item) => {
      sum += item
      if (++count === n) resolve()
    }
  })
  await pool.call(0, { op: "post", n })
  await all
  pool.onItem = undefined
  ;(s.queue_postmessage_ms ??= []).push(since(t))
  check(sum === n * (n - 1) / 2, "W4 postMessage")
}

const w6 = async (pool: RawPool, s: Samples) => {
  for (const mode of ["copy", "transfer"] as const) {
    const arrays = makeBigArrays()
    const t = performance.now()
    const replies = await pull(
      pool,
      arrays,
      (w, a) => pool.call(w, { op: "sum", a }, mode === "transfer" ? [a.buffer as ArrayBuffer] : []),
    )
    ;(s[`bigdata_${mode}_ms`] ??= []).push(since(t))
    check(replies.reduce((acc, r) => acc + (r.y as number), 0) === expectedBigSum(), `W6 ${mode}`)
  }
}

const w5 = async () => {
  const pool = await RawPool.start(SIZES.workers)
  const r = await pool.call(0, { op: "one", x: 21 })
  pool.close()
  check(r.y === 42, "W5")
}

const workloads: Record<string, (pool: RawPool, s: Samples, warmUp?: boolean) => Promise<void>> = {
  W1: w1,
  W2: w2,
  W3: w3,
  W4: w4,
  W6: w6,
}

if (import.meta.main) {
  const args = parseArgs(Deno.args)
  const workload = args.flags.workload ?? "W1"
  if (workload === "W5") {
    const t = performance.now()
    await w5()
    emit({ inprocess_ms: [since(t)] })
  } else {
    const run = workloads[workload]
    if (run === undefined) throw new Error(`unknown workload ${workload}`)
    const pool = await RawPool.start(SIZES.workers)
    try {
      await run(pool, {}, true) // warm-up
      const samples: Samples = {}
      for (let i = 0; i < args.reps; i++) await run(pool, samples)
      emit(samples)
    } finally {
      pool.close()
    }
  }
}
