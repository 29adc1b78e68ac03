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
import { poolClosed, type WorkerCrashed } from "../../errors.ts"
import type { ChunkHandler, OutgoingChunk } from "../../worker/parent/client.ts"
import { countSuccesses, decodeItems, unclonable } from "../../worker/parent/outcome.ts"
import { notCloneable } from "../../internal/messages.ts"
import { clearTimer } from "../../internal/timer.ts"
import type { Deadlines } from "./deadlines.ts"
import type { PoolMetrics } from "./metrics.ts"
import type { Observer } from "./observe.ts"
import { type AnyTask, type Job, lostTransfer, type Slot, splitJob, taskKey } from "./model.ts"

/**
 * Per task: an average of the milliseconds one item takes, measured on round
 * trips. A job waits in its worker for the items of its task sent before it,
 * so its round trip is divided by the items of its task its worker held when
 * it was sent, its own included (`Job.heldAtSend`): jobs of one item each,
 * sent many at a time, then measure what one item takes, not what a whole
 * message takes (which would shrink the window to a few items and leave the
 * workers waiting for round trips). Items of other tasks are not counted, so
 * a slow task queued behind many quick items is not taken for a quick one.
 */
export class TaskTimes {
  private readonly msPerItem = new Map<string, number>()
  /** `taskKey` of each task object seen (it is read for every job dispatched and every round trip). */
  private readonly keys = new WeakMap<AnyTask, string>()

  private keyOf(task: AnyTask): string {
    let key = this.keys.get(task)
    if (key === undefined) this.keys.set(task, key = taskKey(task))
    return key
  }

  /** The task's measured milliseconds per item; `undefined` before its first round trip. */
  get(task: AnyTask): number | undefined {
    return this.msPerItem.get(this.keyOf(task))
  }

  /** Records a round trip of `items` items that took `ms` (an exponentially weighted average). */
  record(task: AnyTask, ms: number, items: number): void {
    const perItem = ms / items
    const key = this.keyOf(task)
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
const finish = (host: DeliveryHost, slot: Slot, job: Job): void => {
  job.timer = clearTimer(job.timer)
  if (job.state === "running" && job.sentAt > 0) {
    const ms = performance.now() - job.sentAt
    host.metrics.runTime(job.task, ms)
    host.times.record(job.task, ms, Math.max(job.payloads.length, job.heldAtSend))
  }
  if (job.heldAtSend > 0) {
    job.heldAtSend = 0
    const held = (slot.held.get(job.task) ?? 0) - job.payloads.length
    if (held > 0) slot.held.set(job.task, held)
    else slot.held.delete(job.task)
  }
  job.state = "done"
}

/**
 * The chunk that carries a job to a worker, and the handler of its outcomes
 * (one object per job: it is made for every job sent, so it allocates no
 * closures).
 */
class JobChunk implements OutgoingChunk, ChunkHandler {
  readonly moduleUrl: string
  readonly taskName: string
  readonly payloads: ReadonlyArray<unknown>
  readonly offset: number
  readonly reportStart: boolean
  readonly trace: Observer["trace"]
  readonly handler: ChunkHandler = this
  readonly onTelemetry: Observer["onTelemetry"] | undefined

  constructor(private readonly host: DeliveryHost, private readonly slot: Slot, private readonly job: Job) {
    this.moduleUrl = job.task.moduleUrl
    this.taskName = job.task.name
    this.payloads = job.payloads
    this.offset = job.offset
    // Also whenever the module is new to that worker: the pool grows only from workers that loaded one.
    this.reportStart = host.deadlines.loads(slot, job) || !slot.loaded.has(job.task.moduleUrl)
    this.trace = job.obs?.trace
    this.onTelemetry = job.obs?.onTelemetry
  }

  onStarted(): void {
    const first = this.slot.loaded.size === 0
    this.slot.loaded.add(this.moduleUrl)
    this.host.deadlines.started(this.job)
    if (first) this.host.afterLoaded(this.slot)
  }

  onResults(index: number, kinds: ReadonlyArray<number>, values: ReadonlyArray<unknown>, done: boolean): void {
    const { host, job } = this
    this.slot.loaded.add(this.moduleUrl)
    if (job.state === "running") {
      // Counted first: the receiver may resume a caller that reads the stats at once.
      const succeeded = countSuccesses(kinds)
      host.completed += succeeded
      host.failed += kinds.length - succeeded
      host.metrics.results(job.task, kinds, values, succeeded)
      host.updateGauges()
      if (done) finish(host, this.slot, job)
      decodeItems(job.task, index, kinds, values, job.sink)
    } else if (done) finish(host, this.slot, job)
    host.afterResults(this.slot)
  }

  onLost(crash: WorkerCrashed, index: number, count: number): void {
    const { host, job } = this
    const error = host.closed ? poolClosed("terminated") : crash
    if (job.state === "running") {
      host.failed += count
      host.metrics.failed(job.task, error._tag, count)
      finish(host, this.slot, job)
      job.sink.onError(index, count, error)
    } else finish(host, this.slot, job)
  }
}

/** The chunk that carries `job` to the worker of `slot`, with the handler of its outcomes. */
export const chunkOf = (host: DeliveryHost, slot: Slot, job: Job): OutgoingChunk => new JobChunk(host, slot, job)

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
