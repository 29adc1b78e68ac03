/**
 * Tests of the pure half of the compare script: parsing the peers' result
 * lines, the statistics, the tables, the targets and the kept notes.
 *
 * `deno test -A bench/report_test.ts`
 */
import { assert, assertEquals } from "@std/assert"
import {
  CLUSTER_END,
  CLUSTER_HEADING,
  CLUSTER_START,
  evaluateTargets,
  fmt,
  keptCluster,
  keptNotes,
  mergeResults,
  NOTES_END,
  NOTES_START,
  parseOutput,
  type PeerResult,
  samplesOf,
  summarize,
  withCluster,
  WORKLOADS,
  workloadTable,
} from "./report.ts"

const ok = (metrics: Record<string, Array<number>>): PeerResult => ({ status: "ok", metrics, notes: [] })

Deno.test("parseOutput() reads the last result line among other output", () => {
  const out = [
    "warming up",
    'BENCH_RESULT {"metrics":{"a_ms":[1]}}',
    'BENCH_RESULT {"metrics":{"a_ms":[3,1,2]},"notes":["python 3.11"]}',
    "",
  ].join("\n")
  assertEquals(parseOutput(out), { status: "ok", metrics: { a_ms: [3, 1, 2] }, notes: ["python 3.11"] })
})

Deno.test("parseOutput() reports an unavailable workload as n/a with its reason", () => {
  assertEquals(parseOutput('BENCH_RESULT {"unavailable":"mp.Value is not exported"}\n'), {
    status: "n/a",
    reason: "mp.Value is not exported",
  })
})

Deno.test("parseOutput() turns a missing, broken or malformed line into an error", () => {
  assertEquals(parseOutput("Traceback ...\n").status, "error")
  assertEquals(parseOutput("BENCH_RESULT {not json\n").status, "error")
  assertEquals(parseOutput('BENCH_RESULT {"metrics":{"a":[]}}').status, "error")
  assertEquals(parseOutput('BENCH_RESULT {"metrics":{"a":["1"]}}').status, "error")
  assertEquals(parseOutput('BENCH_RESULT {"metrics":{"a":[null]}}').status, "error")
  assertEquals(parseOutput("BENCH_RESULT 42").status, "error")
})

Deno.test("summarize() gives median, min and max for odd and even counts", () => {
  assertEquals(summarize([5, 1, 3]), { median: 3, min: 1, max: 5, n: 3 })
  assertEquals(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 })
  assertEquals(summarize([]), undefined)
})

Deno.test("mergeResults() concatenates samples and keeps the first failure", () => {
  assertEquals(mergeResults([ok({ a: [1] }), ok({ a: [2], b: [3] })]), {
    status: "ok",
    metrics: { a: [1, 2], b: [3] },
    notes: [],
  })
  const failed: PeerResult = { status: "error", reason: "boom" }
  assertEquals(mergeResults([ok({ a: [1] }), failed]), failed)
})

Deno.test("samplesOf() derives throughputs and follows per-peer aliases", () => {
  const w3 = WORKLOADS.find((w) => w.id === "W3")!
  const mops = w3.metrics.find((m) => m.key === "counter_mops")!
  assertEquals(samplesOf(ok({ counter_ms: [100] }), mops, "python"), [2])
  const w5 = WORKLOADS.find((w) => w.id === "W5")!
  const startup = w5.metrics.find((m) => m.key === "startup_ms")!
  const python = ok({ startup_fork_ms: [100], startup_spawn_ms: [250] })
  assertEquals(samplesOf(python, startup, "python"), [250])
  assertEquals(samplesOf(ok({ startup_ms: [90] }), startup, "lib"), [90])
})

Deno.test("workloadTable() shows medians with ranges, n/a and ratios to each peer", () => {
  const w1 = WORKLOADS.find((w) => w.id === "W1")!
  const table = workloadTable(w1, {
    lib: ok({ map100k_ms: [10, 12, 20] }),
    python: ok({ map100k_ms: [24, 24] }),
    piscina: { status: "n/a", reason: "node missing" },
    raw: { status: "error", reason: "crashed" },
  })
  const rows = table.split("\n")
  assertEquals(rows.length, 3) // head, rule, one row: the other metrics have no numbers
  assertEquals(rows[2], "| map 100k items | 12.0 ms (10.0–20.0) | 24.0 ms (24.0–24.0) | n/a | error | 0.50× | — | — |")
})

Deno.test("evaluateTargets() says met, missed and n/a against the issue's bounds", () => {
  const verdicts = evaluateTargets({
    W1: { lib: ok({ map100k_ms: [30] }), python: ok({ map100k_ms: [20] }), piscina: ok({ map100k_ms: [4000] }) },
    W2: { lib: ok({ speedup: [1.95] }) },
  })
  const by = (text: string) => verdicts.find((v) => v.target.text.startsWith(text))!
  assertEquals(by("W1 map 100k: at most Python").status, "missed")
  assertEquals(by("W1 map 100k: at most Python").value, 1.5)
  assertEquals(by("W1 map 100k: far ahead").status, "met")
  assertEquals(by("W2 speed-up").status, "met")
  assertEquals(by("W3: within 2×").status, "n/a")
})

Deno.test("evaluateTargets() compares a library row with another library row, and the idiom row with the peers' submit row", () => {
  const verdicts = evaluateTargets({
    W1: {
      lib: ok({ tasks10k_ms: [140], tasks10k_foreach_ms: [60], tasks10k_chunk1_ms: [50] }),
      piscina: ok({ tasks10k_ms: [400] }),
    },
  })
  const by = (text: string) => verdicts.find((v) => v.target.text.startsWith(text))!
  assertEquals(by("W1 10k separate tasks (`submit` each): within 1.5×").value, 2.8)
  assertEquals(by("W1 10k separate tasks (`submit` each): within 1.5×").status, "missed")
  assertEquals(by("W1 10k separate tasks (Effect idiom): within 1.5×").value, 1.2)
  assertEquals(by("W1 10k separate tasks (Effect idiom, `forEach` of `apply`): ≥ 5×").value, 0.15)
  assertEquals(by("W1 10k separate tasks (Effect idiom, `forEach` of `apply`): ≥ 5×").status, "met")
})

Deno.test("keptNotes() keeps the hand-written section and offers a placeholder otherwise", () => {
  const previous = `# x\n\n${NOTES_START}\nW1 misses because ...\n${NOTES_END}\n`
  assertEquals(keptNotes(previous), `${NOTES_START}\nW1 misses because ...\n${NOTES_END}`)
  const fresh = keptNotes(undefined)
  assert(fresh.startsWith(NOTES_START) && fresh.endsWith(NOTES_END))
  assertEquals(keptNotes("no markers here").includes("Analysis"), true)
})

Deno.test("fmt() keeps about three significant digits", () => {
  assertEquals([fmt(1234.5), fmt(12.345), fmt(1.2345), fmt(0.012345)], ["1235", "12.3", "1.23", "0.012"])
})

Deno.test("the cluster's rows in RESULTS.md are replaced by bench/cluster.ts and kept by compare.ts", () => {
  const section = (text: string) => `${CLUSTER_START}\n${text}\n${CLUSTER_END}`
  const fresh = "# Benchmarks\n\n## W1\n\n## Notes\n\nnotes\n"
  const first = withCluster(fresh, section("run 1"))
  assert(first.indexOf("run 1") < first.indexOf("## Notes"), first)
  assert(first.includes(CLUSTER_HEADING))
  const second = withCluster(first, section("run 2"))
  assert(second.includes("run 2") && !second.includes("run 1"), second)
  assertEquals(second.split(CLUSTER_HEADING).length, 2, "one heading")
  assertEquals(keptCluster(second), section("run 2"))
  assert(keptCluster(undefined).includes("bench:cluster"))
})
