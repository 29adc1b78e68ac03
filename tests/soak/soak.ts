/**
 * Soak: a million tiny tasks through `imap` and a hundred thousand through
 * `submit`, with the resident memory (`Deno.memoryUsage().rss`) sampled along
 * the way. Fails (exit code 1) if any result is missing, wrong or duplicated,
 * or if memory keeps growing after warm-up: a phase fails when its last sample
 * exceeds its baseline after warm-up (the first 40% of the phase) by more than
 * 20% + 32 MB.
 *
 * Run with `deno task soak`. Not part of `deno task test` (no `_test` in the
 * name). Options (environment variables):
 * - `SOAK_IMAP` / `SOAK_SUBMIT`: item counts (default 1,000,000 / 100,000).
 * - `SOAK_ASYNC_HOOKS=off`: load `@mp/multiprocessing/no-async-context`
 *   first, which hides `node:async_hooks` from Effect before it loads. Effect 4.1.0 creates an `AsyncResource` on every fiber suspension,
 *   and on Deno 2.9.6 each one stays reachable (about 450 bytes) until that
 *   fiber ends; this switch separates that upstream retention from ours.
 *
 * @module
 */
if (Deno.env.get("SOAK_ASYNC_HOOKS") === "off") await import("../../src/no_async_context.ts")
const Effect = await import("effect/Effect")
const Fiber = await import("effect/Fiber")
const Stream = await import("effect/Stream")
const mp = await import("../../mod.ts")
const tasks = await import("../fixtures/tasks.ts")

const IMAP = Number(Deno.env.get("SOAK_IMAP") ?? 1_000_000)
const SUBMIT = Number(Deno.env.get("SOAK_SUBMIT") ?? 100_000)
const WAVE = 5_000
const MB = 1024 * 1024

interface Sample {
  readonly items: number
  readonly seconds: number
  readonly rssMb: number
  readonly heapMb: number
}

const gc = (globalThis as { gc?: () => void }).gc

const sampler = () => {
  const start = performance.now()
  const samples: Array<Sample> = []
  return {
    samples,
    take(items: number): void {
      gc?.()
      const m = Deno.memoryUsage()
      samples.push({
        items,
        seconds: (performance.now() - start) / 1000,
        rssMb: m.rss / MB,
        heapMb: m.heapUsed / MB,
      })
    },
  }
}

interface Verdict {
  readonly phase: string
  readonly items: number
  readonly seconds: number
  readonly itemsPerSecond: number
  readonly baselineRssMb: number
  readonly finalRssMb: number
  readonly peakRssMb: number
  readonly growthRssMb: number
  readonly baselineHeapMb: number
  readonly finalHeapMb: number
  readonly limitMb: number
  readonly ok: boolean
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/**
 * Skips the first 40% of the samples (warm-up: worker heaps grow to their working size, and
 * the allocator may have handed memory back between phases), then compares the end to the
 * baseline (the median of the next three samples).
 */
const judge = (phase: string, items: number, samples: ReadonlyArray<Sample>): Verdict => {
  const warm = samples.slice(Math.max(1, Math.floor(samples.length * 0.4)))
  const base = warm.slice(0, 3)
  const baselineRssMb = median(base.map((s) => s.rssMb))
  const last = samples[samples.length - 1]
  const limitMb = baselineRssMb * 0.2 + 32
  const growthRssMb = last.rssMb - baselineRssMb
  return {
    phase,
    items,
    seconds: last.seconds,
    itemsPerSecond: Math.round(items / last.seconds),
    baselineRssMb,
    finalRssMb: last.rssMb,
    peakRssMb: Math.max(...samples.map((s) => s.rssMb)),
    growthRssMb,
    baselineHeapMb: median(base.map((s) => s.heapMb)),
    finalHeapMb: last.heapMb,
    limitMb,
    ok: growthRssMb <= limitMb,
  }
}

const fmt = (n: number): string => n.toFixed(1).padStart(8)

const print = (phase: string, samples: ReadonlyArray<Sample>): void => {
  console.log(`\n${phase}\n   items   seconds   rss MB  heap MB`)
  for (const s of samples) {
    console.log(`${String(s.items).padStart(8)}${fmt(s.seconds)}  ${fmt(s.rssMb)} ${fmt(s.heapMb)}`)
  }
}

const imapPhase = Effect.gen(function* () {
  const pool = yield* mp.Pool.make({})
  const s = sampler()
  s.take(0)
  const every = Math.max(1, Math.floor(IMAP / 20))
  let seen = 0
  const input = Stream.fromIterable({
    *[Symbol.iterator]() {
      for (let i = 0; i < IMAP; i++) yield i
    },
  })
  yield* pool.imap(tasks.double, input).pipe(
    Stream.runForEach((y) =>
      Effect.sync(() => {
        // In order, each once: a missing, duplicated or wrong result shows here.
        if (y !== 2 * seen) throw new Error(`imap: expected ${2 * seen} at ${seen}, got ${y}`)
        seen++
        if (seen % every === 0) s.take(seen)
      })
    ),
  )
  if (seen !== IMAP) throw new Error(`imap: ${seen} results for ${IMAP} inputs`)
  const stats = yield* pool.stats
  if (stats.completed !== IMAP || stats.failed !== 0) throw new Error(`imap: stats ${JSON.stringify(stats)}`)
  return s.samples
})

const submitPhase = Effect.gen(function* () {
  const pool = yield* mp.Pool.make({})
  const s = sampler()
  s.take(0)
  const results = new Int32Array(SUBMIT).fill(-1)
  let done = 0
  for (let start = 0; start < SUBMIT; start += WAVE) {
    const end = Math.min(SUBMIT, start + WAVE)
    // Each wave in a fiber of its own, so this loop's fiber does not accumulate suspensions.
    yield* Effect.forkChild(Effect.gen(function* () {
      const fibers = []
      for (let i = start; i < end; i++) fibers.push(yield* pool.submit(tasks.double, i))
      for (let i = start; i < end; i++) {
        const y = yield* Fiber.join(fibers[i - start])
        if (results[i] !== -1) throw new Error(`submit: result ${i} arrived twice`)
        results[i] = y
      }
    })).pipe(Effect.flatMap(Fiber.join))
    done = end
    s.take(done)
  }
  for (let i = 0; i < SUBMIT; i++) if (results[i] !== 2 * i) throw new Error(`submit: result ${i} is ${results[i]}`)
  const stats = yield* pool.stats
  if (stats.completed !== SUBMIT || stats.failed !== 0) throw new Error(`submit: stats ${JSON.stringify(stats)}`)
  return s.samples
})

console.log(
  `soak: ${IMAP} tasks through imap, ${SUBMIT} through submit; ${mp.cpuCount()} workers; ` +
    `async hooks ${Deno.env.get("SOAK_ASYNC_HOOKS") === "off" ? "off" : "on"}; gc before samples: ${gc !== undefined}`,
)
const imapSamples = await Effect.runPromise(Effect.scoped(imapPhase))
print("imap", imapSamples)
const submitSamples = await Effect.runPromise(Effect.scoped(submitPhase))
print("submit", submitSamples)
const verdicts = [judge("imap", IMAP, imapSamples), judge("submit", SUBMIT, submitSamples)]
console.log("")
for (const v of verdicts) {
  console.log(
    `${v.ok ? "ok  " : "FAIL"} ${v.phase}: ${v.items} items in ${v.seconds.toFixed(1)} s (${v.itemsPerSecond}/s); ` +
      `rss ${v.baselineRssMb.toFixed(0)} MB after warm-up -> ${v.finalRssMb.toFixed(0)} MB at the end ` +
      `(growth ${v.growthRssMb.toFixed(0)} MB, limit ${v.limitMb.toFixed(0)} MB, peak ${v.peakRssMb.toFixed(0)} MB); ` +
      `heap ${v.baselineHeapMb.toFixed(0)} -> ${v.finalHeapMb.toFixed(0)} MB`,
  )
}
console.log(JSON.stringify({ verdicts }))
if (mp.activeChildren().length !== 0) {
  console.log(`FAIL: ${mp.activeChildren().length} worker(s) left alive`)
  Deno.exit(1)
}
Deno.exit(verdicts.every((v) => v.ok) ? 0 : 1)
