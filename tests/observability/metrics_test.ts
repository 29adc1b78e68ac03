import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { assert, assertEquals } from "@std/assert"
import * as Pool from "../../src/pool/Pool.ts"
import { test } from "../support/mod.ts"
import { plainIncrement, rejectZero } from "../fixtures/observability_tasks.ts"

/** The state of the series `id` whose attributes include `attributes`. */
const series = (snapshot: ReadonlyArray<Metric.Metric.Snapshot>, id: string, attributes: Record<string, string>) =>
  snapshot.find((s) =>
    s.id === id && Object.entries(attributes).every(([k, v]) => (s.attributes as Record<string, unknown>)?.[k] === v)
  )?.state as Record<string, unknown> | undefined

test("mp_* metrics count submitted, completed and failed tasks (by error tag), run time and workers", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ size: 2, name: "metrics-pool" })
    yield* pool.map(plainIncrement, Array.from({ length: 30 }, (_, i) => i))
    const exits = yield* pool.mapExit(rejectZero, [0, 1, 0, 2])
    assertEquals(exits.filter((e) => e._tag === "Failure").length, 2)
    const snapshot = yield* Metric.snapshot
    const p = { pool: "metrics-pool" }
    assertEquals(series(snapshot, "mp_tasks_submitted", { ...p, task: "plainIncrement" })?.count, 30)
    assertEquals(series(snapshot, "mp_tasks_completed", { ...p, task: "plainIncrement" })?.count, 30)
    assertEquals(series(snapshot, "mp_tasks_submitted", { ...p, task: "rejectZero" })?.count, 4)
    assertEquals(series(snapshot, "mp_tasks_completed", { ...p, task: "rejectZero" })?.count, 2)
    assertEquals(series(snapshot, "mp_tasks_failed", { ...p, task: "rejectZero", error: "ZeroInput" })?.count, 2)
    const runTime = series(snapshot, "mp_task_run_time", { ...p, task: "plainIncrement" })
    assert(runTime !== undefined && (runTime.count as number) >= 1, JSON.stringify(runTime))
    assertEquals(series(snapshot, "mp_workers_live", p)?.value, 2)
    assertEquals(series(snapshot, "mp_workers_busy", p)?.value, 0)
    assertEquals(series(snapshot, "mp_queue_depth", p)?.value, 0)
    assertEquals(series(snapshot, "mp_worker_restarts", p)?.count ?? 0, 0)
  }))
