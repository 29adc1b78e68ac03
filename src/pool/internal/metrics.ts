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
 * Updated synchronously (`updateUnsafe`) against the default registry: they
 * are read with `Metric.snapshot`.
 *
 * @internal
 * @module
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Metric from "effect/Metric"
import * as P from "../../worker/parent/reports.ts"
import type { AnyTask, Stats } from "./model.ts"

const none = Context.empty()

interface TaskMetrics {
  readonly submitted: Metric.Counter<number>
  readonly completed: Metric.Counter<number>
  readonly runTime: Metric.Histogram<Duration.Duration>
  readonly failed: Map<string, Metric.Counter<number>>
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
  private readonly queueDepth: Metric.Gauge<number>
  private readonly busy: Metric.Gauge<number>
  private readonly live: Metric.Gauge<number>
  private readonly restarts: Metric.Counter<number>

  constructor(private readonly pool: string) {
    const attributes = { pool }
    this.queueDepth = Metric.gauge("mp_queue_depth", { description: "items waiting for a worker", attributes })
    this.busy = Metric.gauge("mp_workers_busy", { description: "workers running tasks", attributes })
    this.live = Metric.gauge("mp_workers_live", { description: "live workers", attributes })
    this.restarts = Metric.counter("mp_worker_restarts", {
      description: "workers replaced after they died",
      attributes,
      incremental: true,
    })
  }

  private of(task: AnyTask): TaskMetrics {
    let m = this.tasks.get(task.name)
    if (m === undefined) {
      const attributes = { pool: this.pool, task: task.name }
      m = {
        submitted: Metric.counter("mp_tasks_submitted", {
          description: "tasks submitted",
          attributes,
          incremental: true,
        }),
        completed: Metric.counter("mp_tasks_completed", {
          description: "tasks that succeeded",
          attributes,
          incremental: true,
        }),
        runTime: Metric.timer("mp_task_run_time", { description: "dispatch to last outcome, per chunk", attributes }),
        failed: new Map(),
      }
      this.tasks.set(task.name, m)
    }
    return m
  }

  /** `count` items of `task` were submitted. */
  submitted(task: AnyTask, count: number): void {
    this.of(task).submitted.updateUnsafe(count, none)
  }

  /** Outcomes reported by a worker. */
  results(task: AnyTask, kinds: ReadonlyArray<number>, values: ReadonlyArray<unknown>, succeeded: number): void {
    const m = this.of(task)
    if (succeeded > 0) m.completed.updateUnsafe(succeeded, none)
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
      c = Metric.counter("mp_tasks_failed", {
        description: "tasks that failed, by error tag",
        attributes: { pool: this.pool, task: task.name, error: tag },
        incremental: true,
      })
      m.failed.set(tag, c)
    }
    c.updateUnsafe(count, none)
  }

  /** A chunk of `task` took `ms` from dispatch to its last outcome. */
  runTime(task: AnyTask, ms: number): void {
    this.of(task).runTime.updateUnsafe(Duration.millis(ms), none)
  }

  /** A worker was replaced. */
  restarted(): void {
    this.restarts.updateUnsafe(1, none)
  }

  /** Sets the gauges from the pool's counters. */
  gauges(stats: Pick<Stats, "queued" | "workersBusy" | "workersAlive">): void {
    this.queueDepth.updateUnsafe(stats.queued, none)
    this.busy.updateUnsafe(stats.workersBusy, none)
    this.live.updateUnsafe(stats.workersAlive, none)
  }
}
