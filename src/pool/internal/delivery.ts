/**
 * What happens to a job once it is sent: the chunk the worker client carries
 * for it, whose handler counts its outcomes, hands them to the job's receiver,
 * restarts its deadline when it starts, settles it when its worker dies, and
 * measures how long its items take (`TaskTimes`, which sizes the dispatch
 * window).
 *
 * @internal
 * @module
 */
import { poolClosed } from "../../errors.ts"
import type { OutgoingChunk } from "../../worker/parent/client.ts"
import { countSuccesses, decodeItems, unclonable } from "../../worker/parent/outcome.ts"
import { notCloneable } from "../../internal/messages.ts"
import { clearTimer } from "../../internal/timer.ts"
import type { Deadlines } from "./deadlines.ts"
import type { PoolMetrics } from "./metrics.ts"
import { type AnyTask, type Job, lostTransfer, type Slot, splitJob, taskKey } from "./model.ts"

/** Per task: an average of the milliseconds one item takes, measured on round trips. */
export class TaskTimes {
  private readonly msPerItem = new Map<string, number>()

  /** The task's measured milliseconds per item; `undefined` before its first round trip. */
  get(task: AnyTask): number | undefined {
    return this.msPerItem.get(taskKey(task))
  }

  /** Records a round trip of `items` items that took `ms` (an exponentially weighted average). */
  record(task: AnyTask, ms: number, items: number): void {
    const perItem = ms / items
    const key = taskKey(task)
    const old = this.msPerItem.get(key)
    this.msPerItem.set(key, old === undefined ? perItem : old * 0.7 + perItem * 0.3)
  }
}

/** What a job's chunk reports to: the pool's core. */
export interface DeliveryHost {
  readonly deadlines: Deadlines
  readonly metrics: PoolMetrics
  readonly times: TaskTimes
  readonly closed: boolean
  completed: number
  failed: number
  /** Sets the `mp_*` gauges from the counters. */
  updateGauges(): void
  /** After results from `slot`: retire, reschedule, notice idleness and drain. */
  afterResults(slot: Slot): void
  /** After `slot` loaded a task's module it did not hold: work still waiting may start more workers. */
  afterLoaded(slot: Slot): void
}

/** Ends a job that ran (or was settled while it ran): clears its deadline, measures its round trip. */
const finish = (host: DeliveryHost, job: Job): void => {
  job.timer = clearTimer(job.timer)
  if (job.state === "running" && job.sentAt > 0) {
    const ms = performance.now() - job.sentAt
    host.metrics.runTime(job.task, ms)
    host.times.record(job.task, ms, job.payloads.length)
  }
  job.state = "done"
}

/** The chunk that carries `job` to the worker of `slot`, with the handler of its outcomes. */
export const chunkOf = (host: DeliveryHost, slot: Slot, job: Job): OutgoingChunk => ({
  moduleUrl: job.task.moduleUrl,
  taskName: job.task.name,
  payloads: job.payloads,
  offset: job.offset,
  // Also whenever the module is new to that worker: the pool grows only from workers that loaded one.
  reportStart: host.deadlines.loads(slot, job) || !slot.loaded.has(job.task.moduleUrl),
  trace: job.obs?.trace,
  handler: {
    onTelemetry: job.obs?.onTelemetry,
    onStarted: () => {
      const first = slot.loaded.size === 0
      slot.loaded.add(job.task.moduleUrl)
      host.deadlines.started(job)
      if (first) host.afterLoaded(slot)
    },
    onResults: (index, kinds, values, done) => {
      slot.loaded.add(job.task.moduleUrl)
      if (job.state === "running") {
        // Counted first: the receiver may resume a caller that reads the stats at once.
        const succeeded = countSuccesses(kinds)
        host.completed += succeeded
        host.failed += kinds.length - succeeded
        host.metrics.results(job.task, kinds, values, succeeded)
        host.updateGauges()
        if (done) finish(host, job)
        decodeItems(job.task, index, kinds, values, job.sink)
      } else if (done) finish(host, job)
      host.afterResults(slot)
    },
    onLost: (crash, index, count) => {
      const error = host.closed ? poolClosed("terminated") : crash
      if (job.state === "running") {
        host.failed += count
        host.metrics.failed(job.task, error._tag, count)
        finish(host, job)
        job.sink.onError(index, count, error)
      } else finish(host, job)
    },
  },
})

/**
 * A batch whose message could not be sent (a payload cannot be cloned) goes
 * again apart, to find that payload: jobs one by one, items one by one. The
 * parts of a split job stay attached to it, so cancelling the job cancels
 * them too; a part cancelled meanwhile (its caller failed on an earlier part)
 * is not sent.
 */
export const sendApart = (batch: ReadonlyArray<Job>, send: (job: Job) => void): void => {
  for (const job of batch) {
    if (job.state !== "queued") continue
    if (job.payloads.length === 1) {
      send(job)
      continue
    }
    const parts = splitJob(job)
    job.state = "split"
    job.parts = parts
    for (const part of parts) if (part.state === "queued") send(part)
  }
}

/** The outcome of a one-payload job whose payload cannot be cloned (`e`: the clone error). */
export const unclonableOutcome = (job: Job, e: unknown): ReturnType<typeof unclonable> => {
  const why = lostTransfer(job)
    ? " (its transferred buffer was detached when a message that also held a payload that cannot be cloned failed)"
    : ""
  return unclonable(job.task, `${notCloneable("payload", e)}${why}`)
}
