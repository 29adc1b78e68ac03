/**
 * Every example runs as users run it (`deno run -A examples/x.ts`, in a child
 * process with a deadline) and prints what it promises, so examples never rot.
 */
import { assert, assertStringIncludes } from "@std/assert"
import { runChild } from "./support/child.ts"
import { testAsync } from "./support/mod.ts"
import { postgresMissing } from "./support/postgres.ts"

const examples: ReadonlyArray<{ file: string; args?: ReadonlyArray<string>; expect: ReadonlyArray<string | RegExp> }> =
  [
    {
      file: "process_basic.ts",
      expect: ["The name of continent is : America", "The name of continent is : Asia", "Main process completed"],
    },
    { file: "pool_map.ts", expect: ["[ 2, 4, 6, 8, 10 ]"] },
    {
      file: "cluster.ts",
      expect: postgresMissing !== undefined ? ["needs PostgreSQL"] : [
        "cluster of 3 workers on 2 runners",
        "ran on the runner of 1 worker: 4, of 2 workers: 8",
        'a task that throws: RemoteException: not a number: "three"',
      ],
    },
    {
      file: "pool_apply_async.ts",
      expect: ["inverse(0) failed: DivisionByZero", "values: [ 10, 5, 2.5, 2 ]", "map failed with: DivisionByZero"],
    },
    {
      file: "etl.ts",
      expect: [
        /bad files: mar\.json \(SyntaxError: .+\), may\.json \(TypeError: bad row \{"region":"west"\}\)/,
        `totals of 4 good files: {"east":5,"north":17,"south":8}`,
        "through, in input order: ok ok bad ok bad ok",
      ],
    },
    { file: "pool_imap.ts", expect: ["imap: [ 1, 4, 9, 16 ]", "imapUnordered: [ 16, 9, 4, 1 ]"] },
    { file: "cpu_bound.ts", args: ["20000"], expect: ["primes below 160000: 14683", /speed-up: \d+\.\d\dx/] },
    { file: "monte_carlo_pi.ts", args: ["20000"], expect: [/pi ≈ 3\.1\d*/] },
    { file: "image_blur.ts", args: ["256"], expect: ["matches: true"] },
    { file: "shared_value.ts", expect: ["Value: 1"] },
    { file: "shared_lock.ts", expect: ["Shared list: [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]", "Length: 12"] },
    { file: "queue_producer_consumer.ts", expect: ["The consumer took every item: sum 45"] },
    {
      file: "queue_stages.ts",
      expect: [
        "1000 results, last 1,000,000; parse: 1000 in, 1000 out, square: 1000 in, 1000 out, format: 1000 in, 1000 out",
        'with a bad line: 10 results, last 100; parse: BadLine "eleven", square: UpstreamFailed, format: UpstreamFailed',
      ],
    },
    {
      file: "pipe_ping_pong.ts",
      expect: ['[ 42, null, "hello" ]', "parent got: pong 3", "the child answered 3 pings and saw end-of-file"],
    },
    { file: "manager_list.ts", expect: ['[ "First item", "New item", "Item number 3, added by the child" ]'] },
    { file: "pipeline.ts", args: ["2000"], expect: ["= 2000 lines", "totals correct: true"] },
    {
      file: "observability.ts",
      expect: [/the receiver got \d+ spans/, "  Pool.apply score", "    Pool.worker score", "      score"],
    },
    {
      file: "demo.ts",
      expect: [
        "Main process completed",
        "Value: 1",
        "Shared list: [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]",
        "The consumer took every item: sum 45",
        "the child answered 3 pings",
        '[ "First item", "New item", "Item number 3, added by the child" ]',
        "[ 2, 4, 6, 8, 10 ]",
        /speed-up \d+\.\d\dx/,
      ],
    },
  ]

for (const example of examples) {
  testAsync(`examples/${example.file} runs and prints what it promises`, async () => {
    const result = await runChild(new URL(`../examples/${example.file}`, import.meta.url), example.args, 60_000)
    assert(!result.timedOut, `examples/${example.file} hung`)
    assert(result.code === 0, `examples/${example.file} exited with ${result.code}:\n${result.stderr}`)
    for (const expected of example.expect) {
      if (typeof expected === "string") assertStringIncludes(result.stdout, expected)
      else assert(expected.test(result.stdout), `${expected} not found in:\n${result.stdout}`)
    }
  }, { timeout: 70_000 })
}

testAsync("every example is run above and starts its program with if (import.meta.main) mp.runMain(...)", async () => {
  const dir = new URL("../examples/", import.meta.url)
  const files: Array<string> = []
  for await (const entry of Deno.readDir(dir)) if (entry.isFile && entry.name.endsWith(".ts")) files.push(entry.name)
  const listed = new Set(examples.map((e) => e.file))
  for (const file of files) {
    assert(listed.has(file), `examples/${file} is not run by this test file`)
    const source = await Deno.readTextFile(new URL(file, dir))
    assert(/^if \(import\.meta\.main\) mp\.runMain\(/m.test(source), `examples/${file} does not start with mp.runMain`)
    assert(!source.includes("Effect.runPromise"), `examples/${file} runs its program with Effect.runPromise`)
  }
})
