/**
 * Side-by-side benchmarks: runs workloads W1–W6 on this library (and the library-only W7), on Python's
 * `multiprocessing`, on piscina (Node) and on hand-written Deno workers (the
 * floor), one workload and one peer at a time, each peer as its own process;
 * prints a table of medians (min–max) with the library's ratio to each peer,
 * checks the targets of issue 4 and writes `bench/RESULTS.md`.
 *
 * ```sh
 * deno task bench:compare                    # every workload, 5 repetitions
 * deno task bench:compare --quick            # 2 repetitions
 * deno task bench:compare --only W1,W3       # some workloads
 * deno task bench:compare --peers lib,raw    # some peers
 * deno task bench:compare --reps 9 --rounds 3 --no-write
 * ```
 *
 * A full run rewrites `bench/RESULTS.md` (keeping its hand-written notes
 * section); a partial one (`--only`, `--peers`) only prints, unless `--write`.
 *
 * Each peer runs each workload in `rounds` separate processes (default: one
 * per repetition), the peers taking turns in a rotating order, so that load
 * from elsewhere on the machine spreads over all columns.
 *
 * piscina is installed on first use with `npm install` into
 * `bench/peers/node/node_modules` (git-ignored). A peer that cannot run here
 * (no `python3`, no `node`, npm unreachable, or a library API not built yet)
 * is reported as `n/a` with the reason; the other columns still run.
 *
 * @module
 */
import { parseArgs } from "./common.ts"
import {
  absences,
  CLUSTER_HEADING,
  evaluateTargets,
  keptCluster,
  keptNotes,
  mergeResults,
  parseOutput,
  type Peer,
  PEER_TITLES,
  type PeerResult,
  PEERS,
  type Results,
  targetsSection,
  WORKLOADS,
  workloadTable,
} from "./report.ts"

const root = new URL("../", import.meta.url)
const path = (p: string) => new URL(p, root).pathname
const TIMEOUT_MS = 300_000

/** The library's program for each workload. */
const LIB_PROGRAMS: Readonly<Record<string, string>> = {
  W1: "bench/lib/w1_tiny.ts",
  W2: "bench/lib/w2_cpu.ts",
  W3: "bench/lib/w3_counter.ts",
  W4: "bench/lib/w4_queue.ts",
  W5: "bench/lib/w5_startup.ts",
  W6: "bench/lib/w6_bigdata.ts",
  W7: "bench/lib/w7_bursty.ts",
}

/** A command line. */
type Cmd = readonly [string, ...Array<string>]

const command = (peer: Peer, workload: string, reps: number, extra: ReadonlyArray<string> = []): Cmd => {
  const common = ["--workload", workload, "--reps", String(reps), ...extra]
  switch (peer) {
    case "lib":
      return ["deno", "run", "-A", LIB_PROGRAMS[workload], "--reps", String(reps), ...extra]
    case "raw":
      return ["deno", "run", "-A", "bench/peers/raw/bench.ts", ...common]
    case "python":
      return ["python3", "bench/peers/python/bench.py", ...common]
    case "piscina":
      return ["node", "bench/peers/node/bench.mjs", ...common]
  }
}

interface Run {
  readonly result: PeerResult
  readonly wallMs: number
}

const tail = (s: string, lines = 6) => s.trim().split("\n").slice(-lines).join(" / ").slice(0, 600)

/** Runs one command, with a deadline; never throws. */
const run = async (cmd: Cmd, timeoutMs = TIMEOUT_MS): Promise<Run> => {
  const start = performance.now()
  let child: Deno.ChildProcess
  try {
    child = new Deno.Command(cmd[0], { args: cmd.slice(1), cwd: path("."), stdout: "piped", stderr: "piped" }).spawn()
  } catch (e) {
    return { result: { status: "n/a", reason: `cannot start ${cmd[0]}: ${(e as Error).message}` }, wallMs: 0 }
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    try {
      child.kill("SIGKILL")
    } catch { /* already gone */ }
  }, timeoutMs)
  const out = await child.output()
  clearTimeout(timer)
  const wallMs = performance.now() - start
  const stdout = new TextDecoder().decode(out.stdout)
  if (timedOut) return { result: { status: "error", reason: `timed out after ${timeoutMs / 1000} s` }, wallMs }
  if (!out.success) {
    const parsed = parseOutput(stdout)
    if (parsed.status === "n/a") return { result: parsed, wallMs }
    const why = tail(new TextDecoder().decode(out.stderr)) || tail(stdout)
    return { result: { status: "error", reason: `exit code ${out.code}: ${why}` }, wallMs }
  }
  return { result: parseOutput(stdout), wallMs }
}

const versionOf = async (cmd: Cmd): Promise<string | undefined> => {
  try {
    const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" }).output()
    if (!out.success) return undefined
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr)
    return text.trim().split("\n")[0]
  } catch {
    return undefined
  }
}

const exists = async (p: string) => {
  try {
    await Deno.stat(p)
    return true
  } catch {
    return false
  }
}

/** Installs piscina into bench/peers/node/node_modules if it is not there; returns why not, if it cannot. */
const ensurePiscina = async (): Promise<string | undefined> => {
  if (await versionOf(["node", "--version"]) === undefined) return "node is not installed"
  if (await exists(path("bench/peers/node/node_modules/piscina/package.json"))) return undefined
  console.log("installing piscina with npm into bench/peers/node/node_modules ...")
  const useCi = await exists(path("bench/peers/node/package-lock.json"))
  try {
    const out = await new Deno.Command("npm", {
      args: [useCi ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"],
      cwd: path("bench/peers/node"),
      stdout: "piped",
      stderr: "piped",
    }).output()
    if (!out.success) return `npm install failed: ${tail(new TextDecoder().decode(out.stderr), 3)}`
  } catch (e) {
    return `npm is not available: ${(e as Error).message}`
  }
  return undefined
}

/**
 * W5 is timed from outside: one process per repetition, per start method for
 * Python; the first round adds an untimed warm-up run (caches, compiled code).
 */
const runStartup = async (peer: Peer, warmUp: boolean): Promise<PeerResult> => {
  const variants: ReadonlyArray<{ extra: Array<string>; metric: string; inprocess: boolean }> = peer === "python"
    ? [
      { extra: ["--start-method", "fork"], metric: "startup_fork_ms", inprocess: true },
      { extra: ["--start-method", "spawn"], metric: "startup_spawn_ms", inprocess: false },
    ]
    : [{ extra: [], metric: "startup_ms", inprocess: true }]
  const all: Array<PeerResult> = []
  for (const v of variants) {
    for (let i = warmUp ? 0 : 1; i <= 1; i++) {
      const { result, wallMs } = await run(command(peer, "W5", 1, v.extra), 60_000)
      if (result.status !== "ok") return result
      if (i === 0) continue
      all.push({
        status: "ok",
        metrics: { [v.metric]: [wallMs], ...(v.inprocess ? { inprocess_ms: result.metrics.inprocess_ms ?? [] } : {}) },
        notes: result.notes,
      })
    }
  }
  return mergeResults(all)
}

const describe = (r: PeerResult) => r.status === "ok" ? "ok" : `${r.status}: ${r.reason}`

const loadAverage = async (): Promise<string> => {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
  } catch {
    return "unknown"
  }
}

const main = async () => {
  const args = parseArgs(Deno.args)
  const quick = args.flags.quick === "true"
  const reps = args.flags.reps !== undefined ? args.reps : quick ? 2 : 5
  const roundsFlag = Number(args.flags.rounds ?? reps)
  const rounds = Number.isInteger(roundsFlag) && roundsFlag > 0 ? Math.min(roundsFlag, reps) : reps
  const only = args.flags.only?.split(",").map((s) => s.trim().toUpperCase())
  const peers = (args.flags.peers?.split(",").map((s) => s.trim()) ?? PEERS) as ReadonlyArray<Peer>
  for (const p of peers) if (!PEERS.includes(p)) throw new Error(`unknown peer ${p}; peers are ${PEERS.join(", ")}`)
  const workloads = WORKLOADS.filter((w) => only === undefined || only.includes(w.id))
  if (workloads.length === 0) {
    throw new Error(`--only matched no workload; workloads are ${WORKLOADS.map((w) => w.id).join(", ")}`)
  }

  const versions = {
    deno: Deno.version.deno,
    python: await versionOf(["python3", "--version"]),
    node: await versionOf(["node", "--version"]),
  }
  const unavailable: Partial<Record<Peer, string>> = {}
  if (peers.includes("python") && versions.python === undefined) unavailable.python = "python3 is not installed"
  if (peers.includes("piscina")) {
    const why = await ensurePiscina()
    if (why !== undefined) unavailable.piscina = why
  }
  let piscinaVersion: string | undefined
  try {
    piscinaVersion = JSON.parse(await Deno.readTextFile(path("bench/peers/node/node_modules/piscina/package.json")))
      .version
  } catch { /* not installed */ }

  const loadBefore = await loadAverage()
  const started = performance.now()
  const results: Record<string, Partial<Record<Peer, PeerResult>>> = {}
  for (const w of workloads) {
    // Rounds: every peer runs once per round (its own process, one warm-up
    // then its share of the repetitions), the order rotating, so that a burst
    // of load from elsewhere on the machine is spread over the peers instead
    // of landing on one of them.
    const perPeer: Partial<Record<Peer, Array<PeerResult>>> = {}
    const seconds: Partial<Record<Peer, number>> = {}
    for (let round = 0; round < rounds; round++) {
      const share = Math.floor(reps / rounds) + (round < reps % rounds ? 1 : 0)
      for (let k = 0; k < peers.length; k++) {
        const peer = peers[(k + round) % peers.length]
        const done = perPeer[peer] ??= []
        if (share === 0 || done.some((r) => r.status !== "ok")) continue
        const t = performance.now()
        const why = unavailable[peer] ??
          (w.libraryOnly && peer !== "lib" ? "a library-only workload (it compares pool configurations)" : undefined)
        done.push(
          why !== undefined
            ? { status: "n/a", reason: why }
            : w.id === "W5"
            ? await runStartup(peer, round === 0)
            : (await run(command(peer, w.id, share))).result,
        )
        seconds[peer] = (seconds[peer] ?? 0) + (performance.now() - t) / 1000
      }
    }
    const byPeer: Partial<Record<Peer, PeerResult>> = (results[w.id] = {})
    for (const peer of peers) {
      const result = mergeResults(perPeer[peer] ?? [])
      byPeer[peer] = result.status === "n/a" && peer === "lib"
        ? { status: "n/a", reason: `not built yet: ${result.reason}` }
        : result
      console.log(`${w.id} ${PEER_TITLES[peer].padEnd(12)} ${(seconds[peer] ?? 0).toFixed(1)} s  ${describe(result)}`)
    }
    console.log(`\n${w.id} ${w.title}\n${workloadTable(w, byPeer)}\n`)
  }
  const totalS = (performance.now() - started) / 1000
  const verdicts = evaluateTargets(results as Results).filter((v) => results[v.target.workload] !== undefined)
  console.log(`Targets\n${targetsSection(verdicts)}\n`)
  console.log(`total ${totalS.toFixed(0)} s`)

  // A partial run (`--only`, `--peers`) prints its tables but leaves RESULTS.md alone unless `--write` is given.
  const partial = only !== undefined || args.flags.peers !== undefined
  if (args.flags["no-write"] === "true" || (partial && args.flags.write !== "true")) return
  const file = path("bench/RESULTS.md")
  let previous: string | undefined
  try {
    previous = await Deno.readTextFile(file)
  } catch { /* first run */ }
  const notes = new Set<string>()
  for (const w of workloads) {
    for (const p of peers) {
      const r = results[w.id][p]
      if (r?.status === "ok") r.notes.forEach((n) => notes.add(n))
    }
  }
  const md = [
    "# Benchmarks side by side",
    "",
    "Written by `deno task bench:compare` (see `bench/compare.ts`); do not edit the tables by hand.",
    "",
    `- date: ${new Date().toISOString()}`,
    `- machine: ${navigator.hardwareConcurrency} cores, load average before the run ${loadBefore}, after ${await loadAverage()}`,
    `- Deno ${versions.deno}; ${versions.python ?? "no python3"}; Node ${versions.node ?? "absent"}, piscina ${
      piscinaVersion ?? "absent"
    }`,
    `- ${reps} timed repetitions per peer in ${rounds} rounds (one process per peer per round, a warm-up in each, ` +
    `peer order rotating); total ${totalS.toFixed(0)} s${quick ? " (`--quick`)" : ""}${
      only !== undefined ? `; only ${only.join(",")}` : ""
    }`,
    ...[...notes].map((n) => `- ${n}`),
    "",
    "Cells are medians with (min–max). `lib ÷ peer` is the library's median over the peer's: for times, below 1 " +
    "means the library is faster; for rows marked ↑ (bigger is better) above 1 means the library is ahead.",
    "",
    "Reproduce: `deno task bench:compare` (all, ~5 min on 2 cores), `--quick` (2 repetitions), `--only W1,W3`, " +
    "`--peers lib,raw` (partial runs print only, unless `--write`), `--reps N`, `--rounds N`, `--no-write`.",
    "",
    ...workloads.flatMap((w) => {
      const missing = absences(results[w.id])
      return [
        `## ${w.id} ${w.title}`,
        "",
        w.description,
        "",
        workloadTable(w, results[w.id]),
        "",
        ...(missing.length > 0 ? [missing.map((m) => `- ${m}`).join("\n"), ""] : []),
      ]
    }),
    "## Targets (issue 4)",
    "",
    targetsSection(verdicts),
    "",
    CLUSTER_HEADING,
    "",
    keptCluster(previous),
    "",
    "## Notes",
    "",
    keptNotes(previous),
    "",
  ].join("\n")
  await Deno.writeTextFile(file, md)
  // The repository's `deno fmt --check` covers this file: write it formatted.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", file], stdout: "null", stderr: "null" }).output()
  console.log(`wrote ${file}`)
}

if (import.meta.main) await main()
