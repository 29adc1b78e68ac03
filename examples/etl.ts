/**
 * Extract, transform, load over a folder of files where some are bad: each
 * file is parsed in a worker; a bad file (invalid JSON, rows of the wrong
 * shape) is reported with its error and the good ones are aggregated. One bad
 * file does not stop the run: `imapUnorderedExit` gives one `Exit` per file,
 * paired with its file, and `Pool.through(..., { exits: true })` does the same
 * as a stage of a Stream pipeline.
 *
 * Run: `deno task example:etl`
 */
import { Effect, Exit, Stream } from "effect"
import * as mp from "@mp/multiprocessing"

/** Reads one file of `[{ "region": string, "amount": number }]` and totals it per region. */
export const loadFile = mp.Task.make(import.meta.url, "loadFile", {
  handler: async (path: string): Promise<Record<string, number>> => {
    const rows: unknown = JSON.parse(await Deno.readTextFile(path))
    if (!Array.isArray(rows)) throw new TypeError("expected an array of rows")
    const totals: Record<string, number> = {}
    for (const row of rows) {
      if (typeof row?.region !== "string" || typeof row?.amount !== "number") {
        throw new TypeError(`bad row ${JSON.stringify(row)}`)
      }
      totals[row.region] = (totals[row.region] ?? 0) + row.amount
    }
    return totals
  },
})

/** Writes the sample files: four good ones, two bad. */
const writeSamples = (dir: string): Array<string> => {
  const files: Record<string, string> = {
    "jan.json": JSON.stringify([{ region: "north", amount: 10 }, { region: "south", amount: 5 }]),
    "feb.json": JSON.stringify([{ region: "north", amount: 7 }]),
    "mar.json": "[{ region: north }", // not JSON
    "apr.json": JSON.stringify([{ region: "south", amount: 3 }, { region: "east", amount: 1 }]),
    "may.json": JSON.stringify([{ region: "west" }]), // no amount
    "jun.json": JSON.stringify([{ region: "east", amount: 4 }]),
  }
  return Object.entries(files).map(([name, text]) => {
    Deno.writeTextFileSync(`${dir}/${name}`, text)
    return `${dir}/${name}`
  })
}

const describe = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const error = Exit.findErrorOption(exit)
  return error._tag === "Some" && error.value instanceof mp.RemoteException
    ? `${error.value.remoteName}: ${error.value.remoteMessage}`
    : String(exit.cause)
}

const program = Effect.gen(function* () {
  const dir = yield* Effect.acquireRelease(
    Effect.promise(() => Deno.makeTempDir({ prefix: "mp-etl-" })),
    (dir) => Effect.promise(() => Deno.remove(dir, { recursive: true })),
  )
  const files = writeSamples(dir)
  const pool = yield* mp.Pool.make({ size: 2 })

  // One Exit per file, as each finishes, paired with its file.
  const totals: Record<string, number> = {}
  const bad: Array<string> = []
  yield* pool.imapUnorderedExit(loadFile, files).pipe(
    Stream.runForEach(([file, exit]) =>
      Effect.sync(() => {
        const name = file.slice(dir.length + 1)
        if (Exit.isFailure(exit)) return void bad.push(`${name} (${describe(exit)})`)
        for (const [region, amount] of Object.entries(exit.value)) totals[region] = (totals[region] ?? 0) + amount
      })
    ),
  )
  console.log(`bad files: ${bad.sort().join(", ")}`)
  console.log(
    `totals of ${files.length - bad.length} good files: ${JSON.stringify(totals, Object.keys(totals).sort())}`,
  )

  // The same as a pipeline stage: at most 2 files in flight, Exits in input order.
  const outcomes = yield* Stream.fromIterable(files).pipe(
    mp.Pool.through(pool, loadFile, { concurrency: 2, exits: true }),
    Stream.map((exit) => Exit.isSuccess(exit) ? "ok" : "bad"),
    Stream.runCollect,
  )
  console.log(`through, in input order: ${outcomes.join(" ")}`)
})

if (import.meta.main) mp.runMain(Effect.scoped(program))
