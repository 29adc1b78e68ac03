/**
 * The pool's metrics, recorded in the parent (Effect's metric registry is per
 * thread: a worker's would be invisible). Names start with `mp_`; every
 * series carries the pool's name, and the per-task ones the task's name.
 *
 * | name | kind | attributes |
 * | --- | --- | --- |
 * | `mp_tasks_submitted` | counter | pool, task |
 * | `mp_tasks_completed` | counter | pool, task |
 * | `mp_tasks_failed` | counter | pool, task, error (the error's `_tag`) |
 * | `mp_task_run_time` | timer (ms) | pool, task: dispatch to last outcome, per chunk |
 * | `mp_queue_depth` | gauge | pool: items waiting for a worker |
 * | `mp_workers_busy` | gauge | pool |
 * | `mp_workers_live` | gauge | pool |
 * | `mp_worker_restarts` | counter | pool: workers replaced after a crash |
 *
 * They live in the default registry and are read with `Metric.snapshot` (or
 * an exporter). Every call updates them, traced or not, so an update must cost
 * next to nothing: the counters and gauges are plain numbers here, registered
 * once per series with `Metric.registerUnsafe` and read when the registry is
 * (Effect's way for values that change more often than they are read); the
 * run-time histogram is Effect's, fed milliseconds without a `Duration` in
 * between. Pools of the same name share their series, as they would through
 * the registry.
 *
 * @internal
 * @module
 */
import * as Context from "effect/Context"
import * as Metric from "effect/Metric"
import * as P from "../../worker/parent/reports.ts"
import type { AnyTask, Stats } from "./model.ts"

const none = Context.empty()
const noop = (): void => {}

/**
 * A counter series, counted here and read by the registry. It is registered at
 * its first update, as Effect's own series are created then.
 */
class Count {
  private n = 0
  private registered = false
  constructor(private readonly metric: Metric.Counter<number>) {}

  add(n: number): void {
    this.n += n
    if (this.registered) return
    this.registered = true
    Metric.registerUnsafe(this.metric, none, {
      get: () => ({ count: this.n, incremental: true }),
      update: noop,
      modify: noop,
    })
  }
}

/** A gauge series reads the pool's latest counters. */
interface Latest {
  stats: Pick<Stats, "queued" | "workersBusy" | "workersAlive"> | undefined
}

/** The series of this thread, by id and attributes: shared by the pools of one name. */
const counts = new Map<string, Count>()
const latests = new Map<string, Latest>()

/** The counter series `id` with these attributes. */
const counter = (id: string, description: string, attributes: Record<string, string>): Count => {
  const key = `${id}${JSON.stringify(attributes)}`
  let count = counts.get(key)
  if (count === undefined) {
    count = new Count(Metric.counter(id, { description, attributes, incremental: true }))
    counts.set(key, count)
  }
  return count
}

/** The latest counters a pool's gauges read, registered on first use. */
const gaugesOf = (pool: string): Latest => {
  let latest = latests.get(pool)
  if (latest === undefined) {
    const l: Latest = { stats: undefined }
    const attributes = { pool }
    const gauge = (id: string, description: string, read: (s: NonNullable<Latest["stats"]>) => number) =>
      Metric.registerUnsafe(Metric.gauge(id, { description, attributes }), none, {
        get: () => ({ value: l.stats === undefined ? 0 : read(l.stats) }),
        update: noop,
        modify: noop,
      })
    gauge("mp_queue_depth", "items waiting for a worker", (s) => s.queued)
    gauge("mp_workers_busy", "workers running tasks", (s) => s.workersBusy)
    gauge("mp_workers_live", "live workers", (s) => s.workersAlive)
    latests.set(pool, l)
    latest = l
  }
  return latest
}

/** The boundaries of `Metric.timer` (ms), so that `mp_task_run_time` is the series a timer would make. */
const TIMER_BOUNDARIES = Metric.exponentialBoundaries({ start: 0.5, factor: 2, count: 35 })

interface TaskMetrics {
  readonly submitted: Count
  readonly completed: Count
  readonly runTime: Metric.Histogram<number>
  readonly failed: Map<string, Count>
}

/** The tag a failed outcome of kind `kind` is counted under. */
const tagOf = (kind: number, value: unknown): string => {
  switch (kind) {
    case P.FAILURE: {
      const tag = typeof value === "object" && value !== null ? (value as { _tag?: unknown })._tag : undefined
      return typeof tag === "string" ? tag : "Failure"
    }
    case P.EXCEPTION:
      return "RemoteException"
    case P.INTERRUPTED:
      return "Interrupted"
    case P.SERIALIZATION:
      return "SerializationError"
    default:
      return "TaskNotFound"
  }
}

/** The metrics of one pool. */
export class PoolMetrics {
  private readonly tasks = new Map<string, TaskMetrics>()
  private gaugeSeries: Latest | undefined
  private restarts: Count | undefined

  constructor(private readonly pool: string) {}

  private of(task: AnyTask): TaskMetrics {
    let m = this.tasks.get(task.name)
    if (m === undefined) {
      const attributes = { pool: this.pool, task: task.name }
      m = {
        submitted: counter("mp_tasks_submitted", "tasks submitted", attributes),
        completed: counter("mp_tasks_completed", "tasks that succeeded", attributes),
        runTime: Metric.histogram("mp_task_run_time", {
          description: "dispatch to last outcome, per chunk",
          attributes: { ...attributes, time_unit: "milliseconds" },
          boundaries: TIMER_BOUNDARIES,
        }),
        failed: new Map(),
      }
      this.tasks.set(task.name, m)
    }
    return m
  }

  /** `count` items of `task` were submitted. */
  submitted(task: AnyTask, count: number): void {
    this.of(task).submitted.add(count)
  }

  /** Outcomes reported by a worker. */
  results(task: AnyTask, kinds: ReadonlyArray<number>, values: ReadonlyArray<unknown>, succeeded: number): void {
    const m = this.of(task)
    if (succeeded > 0) m.completed.add(succeeded)
    if (succeeded === kinds.length) return
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] !== P.SUCCESS) this.failedWith(m, task, tagOf(kinds[i], values[i]), 1)
    }
  }

  /** `count` items of `task` failed with a pool error tagged `tag` (crash, timeout, closed pool). */
  failed(task: AnyTask, tag: string, count: number): void {
    this.failedWith(this.of(task), task, tag, count)
  }

  private failedWith(m: TaskMetrics, task: AnyTask, tag: string, count: number): void {
    let c = m.failed.get(tag)
    if (c === undefined) {
      c = counter("mp_tasks_failed", "tasks that failed, by error tag", {
        pool: this.pool,
        task: task.name,
        error: tag,
      })
      m.failed.set(tag, c)
    }
    c.add(count)
  }

  /** A chunk of `task` took `ms` from dispatch to its last outcome. */
  runTime(task: AnyTask, ms: number): void {
    this.of(task).runTime.updateUnsafe(ms, none)
  }

  /** A worker was replaced. */
  restarted(): void {
    this.restarts ??= counter("mp_worker_restarts", "workers replaced after they died", { pool: this.pool })
    this.restarts.add(1)
  }

  /** Sets the gauges from the pool's counters (read when the registry is). */
  gauges(stats: Pick<Stats, "queued" | "workersBusy" | "workersAlive">): void {
    ;(this.gaugeSeries ??= gaugesOf(this.pool)).stats = stats
  }
}
