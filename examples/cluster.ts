/**
 * Past one machine, tried on one: a throwaway PostgreSQL, two runner
 * processes (`deno task runner`, of 1 and 2 workers) and a `Cluster.pool`
 * that runs the same `map` a local pool runs. Chunks go to the runner with a
 * free worker, so the runner of 2 workers runs twice as many; a task that
 * throws on a runner fails the call with `RemoteException`; everything stops
 * at the end (runners get SIGTERM, the database is removed).
 *
 * Needs PostgreSQL (`apt-get install -y postgresql`); without it the example
 * says so and exits. On real machines, start `deno task runner --url ...
 * --host <its address>` on each, and give the caller the same URL.
 *
 * Run: `deno task example:cluster`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"
import { Cluster } from "@mp/multiprocessing/cluster"
// A throwaway database and runner processes, as the tests start them.
import { postgres, postgresMissing } from "../tests/support/postgres.ts"
import { startRunner } from "../tests/support/runners.ts"
import { parse, work } from "./tasks/cluster.ts"

const program = Effect.gen(function* () {
  if (postgresMissing !== undefined) return console.log(`examples/cluster.ts needs PostgreSQL: ${postgresMissing}`)
  const pg = yield* postgres
  const [small, large] = yield* Effect.all([startRunner(pg.url, { workers: 1 }), startRunner(pg.url, { workers: 2 })], {
    concurrency: "unbounded",
  })
  const pool = yield* Cluster.pool({ url: pg.url, taskTimeout: "1 minute" })
  console.log(`cluster of ${pool.size} workers on 2 runners`)

  // Twelve tasks of 300 ms, one per chunk: three at a time (one per worker), each to the next free worker.
  const pids = yield* pool.map(work, Array.from({ length: 12 }, () => 300), { chunkSize: 1 })
  const ran = (pid: number) => pids.filter((p) => p === pid).length
  console.log(`ran on the runner of 1 worker: ${ran(small.pid)}, of 2 workers: ${ran(large.pid)}`)

  const failure = yield* Effect.flip(pool.map(parse, ["1", "2", "three"]))
  console.log(`a task that throws: ${failure._tag}: ${"remoteMessage" in failure ? failure.remoteMessage : failure}`)
})

if (import.meta.main) mp.runMain(Effect.scoped(program))
