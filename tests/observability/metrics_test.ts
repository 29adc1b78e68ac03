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

test("mp_* series are one per pool name: two pools of one name add up, and a snapshot reads the latest values", () =>
  Effect.gen(function* () {
    const name = "metrics-shared-name"
    const p = { pool: name, task: "plainIncrement" }
    const a = yield* Pool.make({ size: 1, name })
    const b = yield* Pool.make({ size: 1, name })
    yield* a.map(plainIncrement, [1, 2, 3])
    const first = yield* Metric.snapshot
    assertEquals(series(first, "mp_tasks_completed", p)?.count, 3)
    yield* b.apply(plainIncrement, 4)
    yield* a.apply(plainIncrement, 5)
    const later = yield* Metric.snapshot
    assertEquals(series(later, "mp_tasks_submitted", p)?.count, 5)
    assertEquals(series(later, "mp_tasks_completed", p)?.count, 5)
    assertEquals(later.filter((s) => s.id === "mp_tasks_completed" && s.attributes?.pool === name).length, 1)
    assertEquals(series(later, "mp_workers_busy", { pool: name })?.value, 0)
    assertEquals(series(first, "mp_tasks_completed", p)?.count, 3) // a snapshot keeps the values it read
  }))
