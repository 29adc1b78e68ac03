/**
 * Cluster soak: a caller and two runner processes (a throwaway PostgreSQL on
 * 127.0.0.1) under steady work, separate calls (`forEach` of `apply`, which
 * travel together when they wait) and `map`s, for `SOAK_CLUSTER_WAVES` waves.
 * The caller's heap (after GC) and each runner's resident memory are sampled
 * after every wave. Fails (exit code 1) if a result is missing or wrong, if a
 * runner is left alive, or if memory keeps growing after warm-up (the first
 * 40% of the waves): by more than 20% + 32 MB of the caller's heap, or of a
 * runner's resident memory. Before the caller's waiting calls shared one
 * liveness check, 20,000 separate calls took 2.3 GB here.
 *
 * Run with `deno task soak:cluster` (skipped, with the install command, where
 * PostgreSQL is missing). Not part of `deno task test`. `SOAK_ASYNC_HOOKS=off`
 * loads `@mp/multiprocessing/no-async-context` in the caller first, as the
 * runners do: it separates Effect's retention on Deno (~450 bytes per
 * suspension of a fiber that never ends, such as a socket's reader) from ours.
 *
 * @module
 */
if (Deno.env.get("SOAK_ASYNC_HOOKS") === "off") await import("../../src/no_async_context.ts")
const Effect = await import("effect/Effect")
const Fiber = await import("effect/Fiber")
const mp = await import("../../mod.ts")
const { Cluster } = await import("../../src/cluster/mod.ts")
const { double } = await import("../fixtures/tasks.ts")
const { postgres, postgresMissing } = await import("../support/postgres.ts")
const { startRunner } = await import("../support/runners.ts")

const WAVES = Number(Deno.env.get("SOAK_CLUSTER_WAVES") ?? 30)
const CALLS = 10_000
const MAPPED = 50_000
const MB = 1024 * 1024
const gc = (globalThis as { gc?: () => void }).gc

const rssMbOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1] ?? 0) / 1024

interface Growth {
  readonly what: string
  readonly baselineMb: number
  readonly finalMb: number
  readonly ok: boolean
}

const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** The end against the median of the three samples after warm-up (the first 40%). */
const judge = (what: string, samples: ReadonlyArray<number>): Growth => {
  const warm = samples.slice(Math.max(1, Math.floor(samples.length * 0.4)))
  const baselineMb = median(warm.slice(0, 3))
  const finalMb = samples[samples.length - 1]
  return { what, baselineMb, finalMb, ok: finalMb - baselineMb <= baselineMb * 0.2 + 32 }
}

const program = Effect.gen(function* () {
  const pg = yield* postgres
  const runners = yield* Effect.all([startRunner(pg.url), startRunner(pg.url, { workers: 2 })], {
    concurrency: "unbounded",
  })
  const pool = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
  const heap: Array<number> = []
  const rss: Array<Array<number>> = runners.map(() => [])
  const inputs = Array.from({ length: Math.max(CALLS, MAPPED) }, (_, i) => i)
  const started = performance.now()
  for (let wave = 0; wave < WAVES; wave++) {
    // Each wave in a fiber of its own (a fiber keeps ~450 bytes per suspension until it ends, on Deno).
    yield* Effect.gen(function* () {
      const calls = yield* Effect.forEach(inputs.slice(0, CALLS), (i) => pool.apply(double, i), {
        concurrency: "unbounded",
      })
      calls.forEach((y, i) => {
        if (y !== 2 * i) throw new Error(`wave ${wave}: call ${i} gave ${y}`)
      })
      const mapped = yield* pool.map(double, inputs.slice(0, MAPPED))
      mapped.forEach((y, i) => {
        if (y !== 2 * i) throw new Error(`wave ${wave}: map item ${i} gave ${y}`)
      })
    }).pipe(Effect.forkChild, Effect.flatMap(Fiber.join))
    gc?.()
    heap.push(Deno.memoryUsage().heapUsed / MB)
    runners.forEach((r, i) => rss[i].push(rssMbOf(r.pid)))
    console.log(
      `wave ${String(wave + 1).padStart(3)}: caller heap ${heap.at(-1)!.toFixed(1)} MB, runners' rss ${
        rss.map((s) => s.at(-1)!.toFixed(0)).join(" / ")
      } MB`,
    )
  }
  const seconds = (performance.now() - started) / 1000
  console.log(
    `${WAVES * (CALLS + MAPPED)} tasks in ${seconds.toFixed(1)} s (${
      Math.round(WAVES * (CALLS + MAPPED) / seconds)
    }/s)`,
  )
  return [judge("caller heap", heap), ...rss.map((s, i) => judge(`runner ${i + 1} rss`, s))]
})

if (postgresMissing !== undefined) {
  console.log(`cluster soak skipped: ${postgresMissing}`)
} else {
  console.log(`cluster soak: ${WAVES} waves of ${CALLS} separate calls and a map of ${MAPPED}; gc: ${gc !== undefined}`)
  const verdicts = await Effect.runPromise(Effect.scoped(program))
  for (const v of verdicts) {
    console.log(
      `${v.ok ? "ok  " : "FAIL"} ${v.what}: ${v.baselineMb.toFixed(1)} MB after warm-up -> ${v.finalMb.toFixed(1)} MB`,
    )
  }
  if (mp.activeChildren().length !== 0) {
    console.log(`FAIL: ${mp.activeChildren().length} worker(s) left alive`)
    Deno.exit(1)
  }
  Deno.exit(verdicts.every((v) => v.ok) ? 0 : 1)
}
