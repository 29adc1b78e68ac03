/**
 * The pure half of `compare.ts`: what the workloads measure, how a peer's
 * result line is parsed, the statistics, the tables and the targets of
 * issue 4. No processes here, so it is tested on its own
 * (`deno test bench/report_test.ts`).
 *
 * @module
 */
import { RESULT_PREFIX } from "./common.ts"

/** The four implementations compared. */
export type Peer = "lib" | "python" | "piscina" | "raw"

/** Peers in table order. */
export const PEERS: ReadonlyArray<Peer> = ["lib", "python", "piscina", "raw"]

/** Column titles. */
export const PEER_TITLES: Readonly<Record<Peer, string>> = {
  lib: "this library",
  python: "Python mp",
  piscina: "piscina",
  raw: "raw Deno",
}

/** One row of a workload's table. */
export interface MetricSpec {
  /** The key in the peers' result lines. */
  readonly key: string
  /** What the row measures. */
  readonly label: string
  /** The unit of the samples. */
  readonly unit: string
  /** `true` when bigger is better (speed-ups, throughputs). */
  readonly higherIsBetter?: boolean
  /** A row computed from another metric's samples (e.g. a throughput from a time). */
  readonly derive?: { readonly from: string; readonly fn: (sample: number) => number }
  /** Which peer's metric each peer's row is compared with, when it differs by peer (e.g. Python's spawn start-up). */
  readonly alias?: Partial<Record<Peer, string>>
}

/** A workload: its id, a title, and its rows. */
export interface WorkloadSpec {
  /** `W1` … `W6`. */
  readonly id: string
  /** A short title. */
  readonly title: string
  /** What is run, in one sentence. */
  readonly description: string
  /** Rows. */
  readonly metrics: ReadonlyArray<MetricSpec>
  /** Run on this library only (its rows compare the library's own configurations): the peers show `n/a`. */
  readonly libraryOnly?: boolean
}

const perSecond = (count: number, scale: number) => (ms: number) => count / (ms / 1000) / scale

// W3's library-only rows are compared with the peers' one row.
const COUNTER_PEERS: Partial<Record<Peer, string>> = { python: "counter_ms", piscina: "counter_ms", raw: "counter_ms" }

// W1's Effect idiom is compared with the peers' own way of having every task in flight (their `submit` row).
const SEPARATE_PEERS: Partial<Record<Peer, string>> = {
  python: "tasks10k_ms",
  piscina: "tasks10k_ms",
  raw: "tasks10k_ms",
}

/** The six workloads of issue 4 (2 workers each). */
export const WORKLOADS: ReadonlyArray<WorkloadSpec> = [
  {
    id: "W1",
    title: "tiny tasks",
    description: "`x * 2` over 100,000 integers with `map` (default chunking); 10,000 separate tasks all in flight " +
      "(`submit` each, and the Effect idiom `Effect.forEach(xs, (x) => pool.apply(t, x), " +
      '{ concurrency: "unbounded" })`); 10,000 sequential `apply` calls. ' +
      "The library's last rows run two maps and 5,000 applies " +
      "with tracing on (Effect's `OtlpTracer` exporting to an OTLP/HTTP receiver in another process), in turns with " +
      "the same untraced, and give what tracing added per call; the last two with spans made but not exported.",
    metrics: [
      { key: "map100k_ms", label: "map 100k items", unit: "ms" },
      { key: "tasks10k_ms", label: "10k separate tasks in flight (`submit` each)", unit: "ms" },
      {
        key: "tasks10k_foreach_ms",
        label: "10k separate tasks in flight, the Effect idiom (`Effect.forEach` of `apply`, unbounded; " +
          "peers: their `submit` each)",
        unit: "ms",
        alias: SEPARATE_PEERS,
      },
      { key: "tasks10k_chunk1_ms", label: "10k separate tasks, `map` with chunk size 1", unit: "ms" },
      { key: "apply_us", label: "sequential apply, per call", unit: "µs" },
      { key: "map100k_traced_ms", label: "library traced: map 100k items", unit: "ms" },
      { key: "map100k_trace_cost_ms", label: "library: tracing's cost per map 100k (traced − untraced)", unit: "ms" },
      { key: "apply_traced_us", label: "library traced: sequential apply, per call", unit: "µs" },
      { key: "apply_trace_cost_us", label: "library: tracing's cost per apply call (traced − untraced)", unit: "µs" },
      {
        key: "map100k_spans_cost_ms",
        label: "library: cost per map 100k of spans made but not exported",
        unit: "ms",
      },
      { key: "apply_spans_cost_us", label: "library: cost per apply call of spans made but not exported", unit: "µs" },
    ],
  },
  {
    id: "W2",
    title: "CPU-bound",
    description: "8 tasks of ~250 ms (count primes by trial division; the limit differs by language so that a task " +
      "takes ~250 ms), on 2 workers, against the same 8 run sequentially in the parent.",
    metrics: [
      { key: "speedup", label: "speed-up over sequential", unit: "×", higherIsBetter: true },
      { key: "parallel_ms", label: "8 tasks on 2 workers", unit: "ms" },
      { key: "sequential_ms", label: "8 tasks sequentially", unit: "ms" },
    ],
  },
  {
    id: "W3",
    title: "shared counter",
    description: "2 workers × 100,000 increments of a shared integer, each under a lock. The library's first rows " +
      "use its synchronous fast path inside the worker (`updateSync`, `withLockSync`; Python's idiom is synchronous " +
      "too); the last two use its Effect API. Every library row is compared with the peers' one row.",
    metrics: [
      { key: "counter_ms", label: "200k locked increments (library: sync path, `value.updateSync`)", unit: "ms" },
      {
        key: "counter_mops",
        label: "increments per second (library: sync path)",
        unit: "M/s",
        higherIsBetter: true,
        derive: { from: "counter_ms", fn: perSecond(200_000, 1e6) },
      },
      {
        key: "counter_sync_idiom_ms",
        label: "library sync path, Python's idiom: `getLock().withLockSync(() => v.setSync(v.getSync() + 1))`",
        unit: "ms",
        alias: COUNTER_PEERS,
      },
      {
        key: "counter_effect_ms",
        label: "library Effect path: `yield* getLock().withLock(get, then set)`",
        unit: "ms",
        alias: COUNTER_PEERS,
      },
      {
        key: "counter_update_ms",
        label: "library Effect path: `yield* value.update(n => n + 1)`",
        unit: "ms",
        alias: COUNTER_PEERS,
      },
    ],
  },
  {
    id: "W4",
    title: "queue",
    description: "A worker puts 100,000 small integers on a queue, the parent takes them one by one " +
      "(raw Deno: a shared-memory ring; piscina: a MessagePort; the library also batched with `putAll`/`takeUpTo`).",
    metrics: [
      { key: "queue_ms", label: "100k items, one put/take each", unit: "ms" },
      {
        key: "queue_kps",
        label: "items per second",
        unit: "k/s",
        higherIsBetter: true,
        derive: { from: "queue_ms", fn: perSecond(100_000, 1e3) },
      },
      { key: "queue_batched_ms", label: "100k items, batched", unit: "ms" },
      { key: "queue_postmessage_ms", label: "100k items, postMessage each", unit: "ms" },
    ],
  },
  {
    id: "W5",
    title: "start-up",
    description: "A whole process: start a pool of 2, run one trivial task, shut down (timed from outside). " +
      "Python with its default start method (fork) and with spawn.",
    metrics: [
      { key: "startup_ms", label: "whole process (Python: spawn)", unit: "ms", alias: { python: "startup_spawn_ms" } },
      {
        key: "startup_fork_ms",
        label: "whole process (Python: fork)",
        unit: "ms",
        alias: { lib: "startup_ms", piscina: "startup_ms", raw: "startup_ms" },
      },
      { key: "inprocess_ms", label: "pool start → shut down, inside the program", unit: "ms" },
    ],
  },
  {
    id: "W6",
    title: "big data",
    description: "`map` over 64 arrays of 1 MiB; the task reads one byte per 4 KiB page, so this measures moving data.",
    metrics: [
      { key: "bigdata_copy_ms", label: "64 × 1 MiB, copied", unit: "ms" },
      { key: "bigdata_transfer_ms", label: "64 × 1 MiB, transferred", unit: "ms" },
    ],
  },
  {
    id: "W7",
    title: "bursty load (library only)",
    description: "10,000 tasks (`x * 2`, `submit` each) in 10 bursts of 1,000 with 250 ms idle gaps; time spent " +
      "in bursts (first submit to last result, summed). A fixed pool against elastic ones that shrink in the gaps " +
      "(`idleTimeout: 100 ms`) and grow back under load (issue 16).",
    libraryOnly: true,
    metrics: [
      { key: "burst_fixed_ms", label: "fixed pool (`size: 2`)", unit: "ms" },
      { key: "burst_elastic0_ms", label: "elastic, `minSize: 0, maxSize: 2`", unit: "ms" },
      { key: "burst_elastic1_ms", label: "elastic, `minSize: 1, maxSize: 2`", unit: "ms" },
    ],
  },
]

/** What one run of one peer on one workload gave. */
export type PeerResult =
  | {
    readonly status: "ok"
    readonly metrics: Readonly<Record<string, ReadonlyArray<number>>>
    readonly notes: ReadonlyArray<string>
  }
  | { readonly status: "n/a"; readonly reason: string }
  | { readonly status: "error"; readonly reason: string }

/** Parses a peer's stdout: the last `BENCH_RESULT {...}` line. */
export const parseOutput = (stdout: string): PeerResult => {
  const line = stdout.split("\n").reverse().find((l) => l.startsWith(RESULT_PREFIX))
  if (line === undefined) return { status: "error", reason: "no result line" }
  let json: unknown
  try {
    json = JSON.parse(line.slice(RESULT_PREFIX.length))
  } catch {
    return { status: "error", reason: "result line is not JSON" }
  }
  if (typeof json !== "object" || json === null) return { status: "error", reason: "result is not an object" }
  const o = json as Record<string, unknown>
  if (typeof o.unavailable === "string") return { status: "n/a", reason: o.unavailable }
  const metrics = o.metrics
  if (typeof metrics !== "object" || metrics === null) return { status: "error", reason: "result has no metrics" }
  for (const [k, v] of Object.entries(metrics)) {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      return { status: "error", reason: `metric ${k} is not a list of numbers` }
    }
  }
  const notes = Array.isArray(o.notes) ? o.notes.filter((n): n is string => typeof n === "string") : []
  return { status: "ok", metrics: metrics as Record<string, ReadonlyArray<number>>, notes }
}

/** Merges the metrics of several runs of one peer (e.g. W5 run once per repetition). */
export const mergeResults = (results: ReadonlyArray<PeerResult>): PeerResult => {
  const failed = results.find((r) => r.status !== "ok")
  if (failed !== undefined) return failed
  const metrics: Record<string, Array<number>> = {}
  const notes = new Set<string>()
  for (const r of results) {
    if (r.status !== "ok") continue
    for (const [k, v] of Object.entries(r.metrics)) (metrics[k] ??= []).push(...v)
    for (const n of r.notes) notes.add(n)
  }
  return { status: "ok", metrics, notes: [...notes] }
}

/** Median, min and max of some samples. */
export interface Summary {
  /** The median. */
  readonly median: number
  /** The smallest sample. */
  readonly min: number
  /** The largest sample. */
  readonly max: number
  /** How many samples. */
  readonly n: number
}

/** Summarises samples; `undefined` for none. */
export const summarize = (samples: ReadonlyArray<number>): Summary | undefined => {
  if (samples.length === 0) return undefined
  const s = [...samples].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
  return { median, min: s[0], max: s[s.length - 1], n: s.length }
}

/** The samples of a metric for a peer (derived rows computed, aliases followed). */
export const samplesOf = (result: PeerResult | undefined, spec: MetricSpec, peer: Peer): ReadonlyArray<number> => {
  if (result === undefined || result.status !== "ok") return []
  if (spec.derive !== undefined) {
    const base = result.metrics[spec.alias?.[peer] ?? spec.derive.from] ?? []
    return base.map(spec.derive.fn)
  }
  return result.metrics[spec.alias?.[peer] ?? spec.key] ?? []
}

/** Formats a number with about three significant digits. */
export const fmt = (x: number): string => {
  const a = Math.abs(x)
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  return x.toPrecision(2)
}

/** `12.3 ms (11.0–14.2)`. */
export const formatSummary = (s: Summary, unit: string): string =>
  s.n === 1 ? `${fmt(s.median)} ${unit}` : `${fmt(s.median)} ${unit} (${fmt(s.min)}–${fmt(s.max)})`

/** The library's median divided by a peer's: `0.85×`. */
export const ratio = (lib: Summary | undefined, peer: Summary | undefined): number | undefined =>
  lib === undefined || peer === undefined || peer.median === 0 ? undefined : lib.median / peer.median

/** All results, by workload id and peer. */
export type Results = Readonly<Record<string, Partial<Record<Peer, PeerResult>>>>

const cellFor = (result: PeerResult | undefined, spec: MetricSpec, peer: Peer): string => {
  if (result === undefined) return "—"
  if (result.status === "n/a") return "n/a"
  if (result.status === "error") return "error"
  const s = summarize(samplesOf(result, spec, peer))
  return s === undefined ? "—" : formatSummary(s, spec.unit)
}

/** A markdown table of one workload: medians (min–max), then the library's ratio to each peer. */
export const workloadTable = (spec: WorkloadSpec, results: Partial<Record<Peer, PeerResult>>): string => {
  const others = PEERS.filter((p) => p !== "lib")
  const head = ["metric", ...PEERS.map((p) => PEER_TITLES[p]), ...others.map((p) => `lib ÷ ${PEER_TITLES[p]}`)]
  const rows: Array<Array<string>> = []
  for (const m of spec.metrics) {
    if (PEERS.every((p) => samplesOf(results[p], m, p).length === 0)) continue
    const cells = PEERS.map((p) => cellFor(results[p], m, p))
    const lib = summarize(samplesOf(results.lib, m, "lib"))
    const ratios = others.map((p) => {
      const r = ratio(lib, summarize(samplesOf(results[p], m, p)))
      return r === undefined ? "—" : `${fmt(r)}×`
    })
    rows.push([`${m.label}${m.higherIsBetter ? " ↑" : ""}`, ...cells, ...ratios])
  }
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(" | ")} |`
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n")
}

/** Why a peer has no numbers for a workload, if it has none. */
export const absences = (results: Partial<Record<Peer, PeerResult>>): Array<string> =>
  PEERS.flatMap((p) => {
    const r = results[p]
    if (r === undefined) return [`${PEER_TITLES[p]}: not run`]
    if (r.status === "n/a") return [`${PEER_TITLES[p]}: n/a (${r.reason})`]
    if (r.status === "error") return [`${PEER_TITLES[p]}: error (${r.reason})`]
    return []
  })

/** A target of issue 4. */
export interface Target {
  /** What is promised. */
  readonly text: string
  /** The workload. */
  readonly workload: string
  /** The metric compared. */
  readonly metric: string
  /** The peer compared with, or `undefined` for an absolute bound on the library's own median. */
  readonly peer?: Peer
  /** The peer's metric, when it is not `metric` (e.g. the library's own `map` row for its `submit` row). */
  readonly peerMetric?: string
  /** `lib ÷ peer` (or the library's median) must be at most this… */
  readonly atMost?: number
  /** …or at least this. */
  readonly atLeast?: number
}

/** The targets of issue 4, as bounds on `lib ÷ peer` medians (times) or on the library's median. */
export const TARGETS: ReadonlyArray<Target> = [
  { text: "W1 map 100k: at most Python's time", workload: "W1", metric: "map100k_ms", peer: "python", atMost: 1 },
  {
    text: "W1 map 100k: far ahead of piscina (≤ 0.1× its time)",
    workload: "W1",
    metric: "map100k_ms",
    peer: "piscina",
    atMost: 0.1,
  },
  {
    text: "W1 sequential apply: at most 1.3× the raw floor",
    workload: "W1",
    metric: "apply_us",
    peer: "raw",
    atMost: 1.3,
  },
  {
    text: "W1 10k separate tasks (chunk size 1): ≥ 5× piscina's throughput (≤ 0.2× its time)",
    workload: "W1",
    metric: "tasks10k_chunk1_ms",
    peer: "piscina",
    atMost: 0.2,
  },
  {
    text: "W1 10k separate tasks (`submit` each): ≥ 5× piscina's throughput (≤ 0.2× its time)",
    workload: "W1",
    metric: "tasks10k_ms",
    peer: "piscina",
    atMost: 0.2,
  },
  {
    text: "W1 10k separate tasks (Effect idiom, `forEach` of `apply`): ≥ 5× piscina's throughput (≤ 0.2× its time)",
    workload: "W1",
    metric: "tasks10k_foreach_ms",
    peer: "piscina",
    atMost: 0.2,
  },
  {
    text: "W1 10k separate tasks (`submit` each): within 1.5× of `map` with chunk size 1",
    workload: "W1",
    metric: "tasks10k_ms",
    peer: "lib",
    peerMetric: "tasks10k_chunk1_ms",
    atMost: 1.5,
  },
  {
    text: "W1 10k separate tasks (Effect idiom): within 1.5× of `map` with chunk size 1",
    workload: "W1",
    metric: "tasks10k_foreach_ms",
    peer: "lib",
    peerMetric: "tasks10k_chunk1_ms",
    atMost: 1.5,
  },
  { text: "W2 speed-up ≥ 1.9", workload: "W2", metric: "speedup", atLeast: 1.9 },
  {
    text: "W3: ≥ 20× Python's throughput (≤ 0.05× its time)",
    workload: "W3",
    metric: "counter_ms",
    peer: "python",
    atMost: 0.05,
  },
  { text: "W3: within 2× of the raw lock", workload: "W3", metric: "counter_ms", peer: "raw", atMost: 2 },
  {
    text: "W4: ≥ 10× Python's throughput (≤ 0.1× its time)",
    workload: "W4",
    metric: "queue_ms",
    peer: "python",
    atMost: 0.1,
  },
  { text: "W4: within 2× of the raw ring", workload: "W4", metric: "queue_ms", peer: "raw", atMost: 2 },
  {
    text: "W3 Effect path `value.update(n => n + 1)`: within 5× of the raw lock",
    workload: "W3",
    metric: "counter_update_ms",
    peer: "raw",
    atMost: 5,
  },
  {
    text: "W3 Effect path `lock.withLock(get, then set)`: within 8× of the raw lock",
    workload: "W3",
    metric: "counter_effect_ms",
    peer: "raw",
    atMost: 8,
  },
  { text: "W5: no slower than Python's spawn start", workload: "W5", metric: "startup_ms", peer: "python", atMost: 1 },
  {
    text: "W5 pool start → shut down inside the program: within 3× of Python's (fork)",
    workload: "W5",
    metric: "inprocess_ms",
    peer: "python",
    atMost: 3,
  },
]

/** How a target came out. */
export interface Verdict {
  /** The target. */
  readonly target: Target
  /** The measured value (a ratio, or the library's median). */
  readonly value: number | undefined
  /** `met`, `missed`, or `n/a` when a side has no numbers. */
  readonly status: "met" | "missed" | "n/a"
}

const specOf = (workload: string, key: string): MetricSpec | undefined =>
  WORKLOADS.find((w) => w.id === workload)?.metrics.find((m) => m.key === key)

/** Checks every target against the results. */
export const evaluateTargets = (results: Results): Array<Verdict> =>
  TARGETS.map((target) => {
    const spec = specOf(target.workload, target.metric)
    const byPeer = results[target.workload] ?? {}
    if (spec === undefined) return { target, value: undefined, status: "n/a" }
    const lib = summarize(samplesOf(byPeer.lib, spec, "lib"))
    const value = target.peer === undefined ? lib?.median : ratio(
      lib,
      summarize(samplesOf(
        byPeer[target.peer],
        specOf(target.workload, target.peerMetric ?? target.metric) ?? spec,
        target.peer,
      )),
    )
    if (value === undefined) return { target, value, status: "n/a" }
    const ok = (target.atMost === undefined || value <= target.atMost) &&
      (target.atLeast === undefined || value >= target.atLeast)
    return { target, value, status: ok ? "met" : "missed" }
  })

/** A markdown list of the verdicts, saying by how much a missed target is missed. */
export const targetsSection = (verdicts: ReadonlyArray<Verdict>): string =>
  verdicts.map(({ target, value, status }) => {
    if (status === "n/a" || value === undefined) return `- n/a: ${target.text} (no numbers)`
    const measured = target.peer === undefined ? fmt(value) : `${fmt(value)}×`
    if (status === "met") return `- met: ${target.text}: ${measured}`
    const bound = target.atMost ?? target.atLeast!
    const by = target.atMost !== undefined ? value / bound : bound / value
    return `- **missed**: ${target.text}: ${measured} (${fmt(by)}× off the bound ${fmt(bound)})`
  }).join("\n")

/** The hand-written part of RESULTS.md that a new run keeps. */
export const NOTES_START = "<!-- notes:start -->"
/** End of the hand-written part. */
export const NOTES_END = "<!-- notes:end -->"

/** The hand-written notes of an existing RESULTS.md, markers included; a placeholder when there are none. */
export const keptNotes = (previous: string | undefined): string =>
  kept(
    previous,
    NOTES_START,
    NOTES_END,
    "_Analysis of missed targets goes here; `compare.ts` keeps this section when it rewrites the file._",
  )

/** The part of `previous` between `start` and `end`, markers included; `placeholder` between them when it has none. */
const kept = (previous: string | undefined, start: string, end: string, placeholder: string): string => {
  const from = previous?.indexOf(start) ?? -1
  const to = previous?.indexOf(end) ?? -1
  if (previous !== undefined && from >= 0 && to > from) return previous.slice(from, to + end.length)
  return `${start}\n${placeholder}\n${end}`
}

/** Start of the cluster's rows in `RESULTS.md`: written by `bench/cluster.ts`, kept by `compare.ts`. */
export const CLUSTER_START = "<!-- cluster:start -->"
/** End of the cluster's rows in `RESULTS.md`. */
export const CLUSTER_END = "<!-- cluster:end -->"

/** The cluster's rows of a previous `RESULTS.md` (markers included), or a line saying how to get them. */
export const keptCluster = (previous: string | undefined): string =>
  kept(
    previous,
    CLUSTER_START,
    CLUSTER_END,
    "_Run `deno task bench:cluster` (it needs PostgreSQL) to fill this section._",
  )

/**
 * `results` (a `RESULTS.md`) with its cluster section replaced by `section`
 * (markers included); the section goes before "## Notes" when the file has
 * none yet.
 */
export const withCluster = (results: string, section: string): string => {
  const start = results.indexOf(CLUSTER_START)
  const end = results.indexOf(CLUSTER_END)
  if (start >= 0 && end > start) return results.slice(0, start) + section + results.slice(end + CLUSTER_END.length)
  const notes = results.indexOf("## Notes")
  const block = `${CLUSTER_HEADING}\n\n${section}\n\n`
  return notes >= 0 ? results.slice(0, notes) + block + results.slice(notes) : `${results.trimEnd()}\n\n${block}`
}

/** The heading of the cluster's section in `RESULTS.md`. */
export const CLUSTER_HEADING = "## Past one machine (issue 18: `@mp/multiprocessing/cluster`)"
