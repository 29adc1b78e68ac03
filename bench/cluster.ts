/**
 * The cluster's bench (issue 18, "Speed"), side by side with the local pool:
 * a throwaway PostgreSQL, runner processes on 127.0.0.1 (one worker each),
 * and `Cluster.pool` in this process. Writes `bench/CLUSTER.md` (linked from
 * the notes of `bench/RESULTS.md`) and the same rows into `RESULTS.md`'s cluster
 * section; needs PostgreSQL (skipped with a message
 * where it is missing).
 *
 * ```sh
 * deno task bench:cluster                        # every row, 5 kills per recovery row
 * deno run -A bench/cluster.ts --kills 8 --no-write
 * deno run -A bench/cluster.ts --only rtt,recovery
 * ```
 *
 * Rows: a tiny task's sequential round trip (`direct` and `stored`
 * delivery), `map` over 100,000 tiny items and 10,000 separate calls on three
 * runners against a local pool, 16 CPU tasks of ~200 ms on three runners against one, time from a
 * runner's start to its first task, and recovery after a SIGKILLed runner
 * (the time from the kill until every call that was running then has its
 * result; each round kills one runner and starts a fresh one), and how
 * runners of 1 and 3 workers share 40 tasks.
 *
 * @module
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import { parseArgs } from "node:util"
import * as mp from "../mod.ts"
import { Cluster } from "../src/cluster/mod.ts"
import type { Pool } from "../src/pool/Pool.ts"
import { postgres, postgresMissing } from "../tests/support/postgres.ts"
import { healthCheckerPid, type RunnerProcess, startRunner } from "../tests/support/runners.ts"
import { countPrimes } from "./common.ts"
import { CLUSTER_END, CLUSTER_START, keptNotes, withCluster } from "./report.ts"
import { double } from "./lib/tasks.ts"
import { napWhere, primes, whereAmI } from "./lib/cluster_tasks.ts"

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    kills: { type: "string", default: "5" },
    only: { type: "string" },
    "no-write": { type: "boolean", default: false },
  },
})
const KILLS = Number(flags.kills)
/** Sequential round trips: calls before the measured ones (the code warms up), and calls measured. */
const RTT_WARM = 1_000
const RTT_CALLS = 2_000
const only = flags.only?.split(",")
const wanted = (row: string) => only === undefined || only.includes(row)

const rows: Array<string> = []
const row = (text: string) => {
  console.log(text)
  rows.push(text)
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}
const ms = (x: number) =>
  x < 10 ? `${x.toFixed(2)} ms` : x < 10_000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(1)} s`
const dist = (xs: ReadonlyArray<number>) =>
  `median ${ms(median(xs))}, min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))} (n=${xs.length}: ${
    [...xs].sort((a, b) => a - b).map((x) => (x / 1000).toFixed(1)).join(", ")
  } s)`

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.timed(effect), ([d, a]) => [Duration.toMillis(d), a] as const)
const now = () => performance.now()

/** Waits until the cluster counts `n` healthy runners (a killed one marked, a new one registered). */
const settle = (pool: Pool, n: number) =>
  Effect.gen(function* () {
    const deadline = now() + 60_000
    while ((yield* pool.stats).workersAlive !== n) {
      if (now() > deadline) throw new Error(`the cluster never settled at ${n} runners`)
      yield* Effect.sleep(200)
    }
  })

/** One recovery round: calls of 200 ms, 6 at a time; the victim is SIGKILLed once it has answered one. */
const recoveryRound = (
  pool: Pool,
  runners: Array<RunnerProcess>,
  pick: (answered: number) => RunnerProcess | undefined,
) =>
  Effect.gen(function* () {
    const started: Array<number> = []
    const ended: Array<number> = []
    let killedAt = Infinity
    let victim: RunnerProcess | undefined
    yield* Effect.forEach(Array.from({ length: 60 }, (_, i) => i), (i) =>
      Effect.gen(function* () {
        started[i] = now()
        const pid = yield* pool.apply(napWhere, 200)
        ended[i] = now()
        if (victim === undefined && i >= 6) {
          victim = pick(pid)
          if (victim !== undefined) {
            victim.kill("SIGKILL")
            killedAt = now()
          }
        }
      }), { concurrency: 6, discard: true })
    if (victim === undefined) throw new Error("no runner was killed")
    let last = killedAt
    started.forEach((s, i) => {
      if (s < killedAt) last = Math.max(last, ended[i])
    })
    runners.splice(runners.indexOf(victim), 1)
    yield* Effect.promise(() => victim!.exited)
    return last - killedAt
  })

const program = Effect.gen(function* () {
  const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
  row(
    `Machine: ${navigator.hardwareConcurrency} cores, load average ${load} at the start (${new Date().toISOString()})`,
  )
  const pg = yield* postgres
  const runners: Array<RunnerProcess> = []
  const addRunner = Effect.tap(startRunner(pg.url), (r) => Effect.sync(() => runners.push(r)))

  if (wanted("startup")) {
    // An empty cluster: from spawning the first runner to its first answer.
    const cold = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds", runnerTimeout: "60 seconds" })
    const t0 = now()
    const fiber = yield* Effect.forkChild(addRunner)
    yield* cold.apply(whereAmI, 0)
    const first = now() - t0
    yield* Fiber.join(fiber)
    row(`| runner start → first task, empty cluster | ${ms(first)} |`)
  } else {
    yield* addRunner
  }

  const pool = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds", delivery: "direct" })
  const stored = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds", delivery: "stored" })
  const limit = calibrate()

  if (wanted("cpu")) {
    const work = Array.from({ length: 16 }, () => limit)
    yield* pool.map(primes, [limit])
    const [one] = yield* timed(pool.map(primes, work, { chunkSize: 1 }))
    yield* Effect.all([addRunner, addRunner], { concurrency: "unbounded" })
    yield* settle(pool, 3)
    yield* pool.map(primes, [limit, limit, limit], { chunkSize: 1 })
    const [three] = yield* timed(pool.map(primes, work, { chunkSize: 1 }))
    row(
      `| 16 CPU tasks of ~200 ms: 1 runner / 3 runners | ${ms(one)} / ${ms(three)} (${
        (one / three).toFixed(2)
      }× faster) |`,
    )
  }
  while (runners.length < 3) yield* addRunner
  yield* settle(pool, 3)

  if (wanted("rtt")) {
    const local = yield* mp.Pool.make({ size: 1 })
    for (const [name, p] of [["local pool, for scale", local], ["direct", pool], ["stored", stored]] as const) {
      // The first few hundred calls run cold code (JIT) on both sides: they are reported apart from the steady state.
      const times: Array<number> = []
      for (let i = 0; i < RTT_WARM + RTT_CALLS; i++) {
        const t = now()
        yield* p.apply(double, i)
        times.push(now() - t)
      }
      const cold = times.slice(0, 200)
      const warm = times.slice(RTT_WARM)
      row(
        `| tiny task sequential round trip (${name}) | median ${ms(median(warm))}, p90 ${
          ms(quantile(warm, 0.9))
        } (first 200 calls: median ${ms(median(cold))}) |`,
      )
    }
  }

  if (wanted("map")) {
    const items = Array.from({ length: 100_000 }, (_, i) => i)
    const local = yield* mp.Pool.make({ size: 2 })
    yield* local.map(double, items.slice(0, 1000))
    yield* pool.map(double, items.slice(0, 1000))
    const l: Array<number> = []
    const c: Array<number> = []
    for (let round = 0; round < 3; round++) {
      l.push((yield* timed(local.map(double, items)))[0])
      c.push((yield* timed(pool.map(double, items)))[0])
    }
    yield* local.close
    row(
      `| map over 100,000 tiny items: local pool (2 workers) / 3 runners | ${ms(median(l))} / ${ms(median(c))} (${
        (median(c) / median(l)).toFixed(1)
      }×) |`,
    )
  }

  if (wanted("calls")) {
    // The Effect idiom for many separate calls: forEach of apply, every call in flight at once.
    const items = Array.from({ length: 10_000 }, (_, i) => i)
    const local = yield* mp.Pool.make({ size: 2 })
    const all = (p: Pool) => Effect.forEach(items, (i) => p.apply(double, i), { concurrency: "unbounded" })
    yield* all(local)
    yield* all(pool)
    const l: Array<number> = []
    const c: Array<number> = []
    for (let round = 0; round < 3; round++) {
      l.push((yield* timed(all(local)))[0])
      c.push((yield* timed(all(pool)))[0])
    }
    yield* local.close
    row(
      `| 10,000 separate calls at once (forEach of apply): local pool (2 workers) / 3 runners | ${ms(median(l))} / ${
        ms(median(c))
      } (${(median(c) / median(l)).toFixed(1)}×) |`,
    )
  }

  if (wanted("startup")) {
    // A runner joining a running cluster: from its spawn to its first task.
    const before = new Set(runners.map((r) => r.pid))
    const t0 = now()
    const fiber = yield* Effect.forkChild(addRunner)
    let joined = -1
    while (joined < 0) {
      const pids = yield* pool.map(napWhere, Array.from({ length: 12 }, () => 20), { chunkSize: 1 })
      if (pids.some((pid) => !before.has(pid))) joined = now() - t0
    }
    yield* Fiber.join(fiber)
    row(`| runner start → first task, joining 3 runners | ${ms(joined)} |`)
    const extra = runners.pop()!
    extra.kill("SIGTERM")
    yield* Effect.promise(() => extra.exited)
    yield* settle(pool, 3)
  }

  if (wanted("recovery")) {
    for (const [name, p] of [["direct", pool], ["stored", stored]] as const) {
      const times: Array<number> = []
      for (let k = 0; k < KILLS; k++) {
        times.push(yield* recoveryRound(p, runners, (pid) => runners.find((r) => r.pid === pid)))
        yield* addRunner
        yield* settle(pool, 3)
      }
      row(`| recovery after SIGKILL (${name}), any runner | ${dist(times)} |`)
    }
    const times: Array<number> = []
    for (let k = 0; k < Math.max(2, Math.ceil(KILLS / 2)); k++) {
      // The singleton restarts on its shard's new owner a moment after a kill: look until it is found.
      let checker: RunnerProcess | undefined
      for (const deadline = now() + 15_000; checker === undefined && now() < deadline;) {
        const pid = healthCheckerPid(pg.port)
        checker = runners.find((r) => r.pid === pid)
        if (checker === undefined) yield* Effect.sleep(250)
      }
      if (checker === undefined) {
        row(`| recovery, health-check runner | (could not find the runner holding the health check's shard) |`)
        break
      }
      times.push(yield* recoveryRound(pool, runners, () => checker))
      yield* addRunner
      yield* settle(pool, 3)
    }
    if (times.length > 0) {
      row(`| recovery after SIGKILL (direct), the runner running the health check | ${dist(times)} |`)
    }
  }
  if (wanted("fair")) {
    // Runners of different sizes, one of 1 worker and one of 3, and tasks of uneven length (they sleep, so the 2
    // cores do not limit them): 4 of 500 ms among 36 of 50 ms, 3.8 s of work, ~1 s at best on 4 workers. A pool
    // gives each task to the next free worker; chunks queued at a busy runner wait behind its long tasks.
    for (const r of runners.splice(0)) {
      r.kill("SIGTERM")
      yield* Effect.promise(() => r.exited)
    }
    const small = yield* startRunner(pg.url, { workers: 1 })
    const large = yield* startRunner(pg.url, { workers: 3 })
    runners.push(small, large)
    yield* settle(pool, 2)
    yield* pool.map(napWhere, Array.from({ length: 8 }, () => 10), { chunkSize: 1 })
    const lengths = Array.from({ length: 40 }, (_, i) => i % 10 === 0 ? 500 : 50)
    const took: Array<number> = []
    let shares = ""
    for (let round = 0; round < 3; round++) {
      const [t, pids] = yield* timed(pool.map(napWhere, lengths, { chunkSize: 1 }))
      took.push(t)
      const share = (r: RunnerProcess) => pids.filter((pid) => pid === r.pid).length
      shares += `${round > 0 ? ", " : ""}${share(small)}/${share(large)}`
    }
    // As many tasks as workers, twice over: 8 of 500 ms take 1 s when each runner runs two rounds of its workers'
    // share. A fresh caller each round (its placement starts from nothing).
    const even: Array<number> = []
    let evenShares = ""
    for (let round = 0; round < 3; round++) {
      const fresh = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
      const [t, pids] = yield* timed(fresh.map(napWhere, Array.from({ length: 8 }, () => 500), { chunkSize: 1 }))
      even.push(t)
      const share = (r: RunnerProcess) => pids.filter((pid) => pid === r.pid).length
      evenShares += `${round > 0 ? ", " : ""}${share(small)}/${share(large)}`
      yield* fresh.close
    }
    row(
      `| runners of 1 and 3 workers: 8 tasks of 500 ms (1 s at best), a new caller each time | ${
        even.map(ms).join(", ")
      }; tasks ran on the small/large runner: ${evenShares} |`,
    )
    row(
      `| runners of 1 and 3 workers: 40 tasks, 4 of 500 ms and 36 of 50 ms (0.95 s at best) | ${
        took.map(ms).join(", ")
      }; tasks ran on the small/large runner: ${shares} |`,
    )
  }
  row(`Load average at the end: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`)
})

/** A prime limit that takes ~200 ms here. */
const calibrate = (): number => {
  let limit = 100_000
  for (;;) {
    const t = now()
    countPrimes(limit)
    const took = now() - t
    if (took > 50) return Math.round(limit * 200 / took)
    limit *= 2
  }
}

if (import.meta.main) {
  if (postgresMissing !== undefined) {
    console.log(`bench/cluster.ts skipped: ${postgresMissing}`)
  } else {
    await Effect.runPromise(Effect.scoped(program as Effect.Effect<void, unknown, Scope.Scope>))
    if (!flags["no-write"]) {
      const file = new URL("./CLUSTER.md", import.meta.url)
      const previous = await Deno.readTextFile(file).catch(() => undefined)
      const text =
        `# Cluster bench (issue 18)\n\nWritten by \`deno run -A bench/cluster.ts\` (one run; runners are processes ` +
        `on this machine with one worker each, PostgreSQL 15 on 127.0.0.1).\n\n| row | result |\n| --- | --- |\n` +
        rows.filter((r) => r.startsWith("|")).join("\n") + "\n\n" + rows.filter((r) =>
          !r.startsWith("|")
        ).join("\n\n") +
        "\n\n## Notes\n\n" + keptNotes(previous) + "\n"
      await Deno.writeTextFile(file, text)
      // The same rows in RESULTS.md, beside the local benchmarks (compare.ts keeps them when it rewrites the file).
      const results = new URL("./RESULTS.md", import.meta.url)
      const section = [
        CLUSTER_START,
        "",
        `From one run of \`deno task bench:cluster\` (${new Date().toISOString()}): runner processes on this machine ` +
        "with one worker each, PostgreSQL 15 on 127.0.0.1. Analysis and earlier runs: [`CLUSTER.md`](./CLUSTER.md).",
        "",
        "| row | result |",
        "| --- | --- |",
        ...rows.filter((r) => r.startsWith("|")),
        "",
        ...rows.filter((r) => !r.startsWith("|")).flatMap((r) => [r, ""]),
        CLUSTER_END,
      ].join("\n")
      await Deno.writeTextFile(results, withCluster(await Deno.readTextFile(results), section))
      for (const f of [file, results]) {
        await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", f.pathname], stdout: "null" }).output()
      }
    }
  }
}
