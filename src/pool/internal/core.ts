/**
 * The pool's machinery, in plain code (no Effect on the hot path): the job
 * queue, dispatch with an adaptive in-flight window, results, cancellation,
 * settling and closing. `Pool.ts` wraps it in Effects.
 *
 * The records it works on (jobs, slots, options) are in `model.ts`; its
 * decisions (how many workers, which jobs go where) come from `policy.ts`;
 * the workers' life (start, readiness, death and replacement, resize,
 * recycling) is in `workers.ts`; deadlines and grace periods in
 * `deadlines.ts`; what a job's results do in `delivery.ts`.
 *
 * @internal
 * @module
 */
import { type PoolClosed, poolClosed, type WorkerCrashed } from "../../errors.ts"
import { clearTimer } from "../../internal/timer.ts"
import { type AnyTask, type CoreOptions, type Job, type Slot, slotStats, type Stats } from "./model.ts"
import { JobQueue } from "./queue.ts"
import { PoolMetrics } from "./metrics.ts"
import { Admission } from "./admission.ts"
import { Affinity } from "./affinity.ts"
import { itemWindow, planDispatch, queuedDemand } from "./policy.ts"
import { Workers } from "./workers.ts"
import { Deadlines } from "./deadlines.ts"
import { chunkOf, sendApart, TaskTimes, unclonableOutcome } from "./delivery.ts"

/** The pool's engine. */
export class PoolCore {
  readonly options: CoreOptions
  /** The `mp_*` metrics (see `metrics.ts`). */
  readonly metrics: PoolMetrics
  readonly workers: Workers
  readonly deadlines: Deadlines
  /** Per task: milliseconds per item, measured on round trips. */
  readonly times = new TaskTimes()
  private readonly queue = new JobQueue()
  /** With `maxQueue`: the jobs and callers waiting for room. */
  private readonly admission: Admission | undefined
  /** Affinity keys and the keyed calls waiting for their worker (made at the first keyed call). */
  private affinity: Affinity | undefined
  private scheduled = false
  private workerIndex = 0
  private drainWaiters: Array<() => void> = []
  closing = false
  closed = false
  completed = 0
  failed = 0
  workersReplaced = 0
  /** Payloads running when their caller went away. */
  interrupted = 0

  constructor(options: CoreOptions) {
    this.options = options
    this.metrics = new PoolMetrics(options.name)
    this.admission = options.maxQueue === undefined ? undefined : new Admission(options.maxQueue)
    this.deadlines = new Deadlines(
      options,
      (job, count) => this.countFailed(job.task, "TaskTimeout", count),
      () => this.closed,
    )
    this.workers = new Workers(options, {
      closed: () => this.closed,
      queued: (size) => queuedDemand(this.queue.jobs, this.queue.head, size, (job) => this.times.get(job.task)),
      schedule: () => this.schedule(),
      drained: () => this.notifyDrain(),
      broke: (error) => this.failQueued(error),
      died: (slot, error, replaced) => this.onWorkerDeath(slot, error, replaced),
    })
    this.workers.refill()
  }

  /** The workers' slots. */
  get slots(): ReadonlyArray<Slot> {
    return this.workers.slots
  }

  /** Set once the pool broke: every job fails with it. */
  get broken(): WorkerCrashed | undefined {
    return this.workers.broken
  }

  /** The most live workers (`size`, `maxSize`; `resize` changes it). */
  get size(): number {
    return this.workers.size
  }

  /** Calls `f` once the kept workers are ready, or the pool broke or closed (at once if so now). */
  onReady(f: () => void): void {
    this.workers.onReady(f)
  }

  /** Sets the most workers to `n` (`pool.resize`; see `Workers.resize`). */
  resize(n: number, fixed: boolean, cpus: number): void {
    this.workers.resize(n, fixed, cpus)
  }

  private countFailed(task: AnyTask, tag: string, count: number): void {
    this.failed += count
    this.metrics.failed(task, tag, count)
  }

  /** A worker of the open pool died: its keys move, and the keyed calls that waited for it are bound again. */
  private onWorkerDeath(slot: Slot, error: WorkerCrashed, replaced: boolean): void {
    if (replaced) {
      this.workersReplaced++
      this.metrics.restarted()
    }
    const orphans = this.affinity?.release(slot)
    this.workers.refill()
    if (orphans !== undefined) {
      for (const job of orphans) {
        if (job.state !== "queued") continue
        // A broadcast's job was for that worker only: it fails with the crash.
        if (job.key === undefined) this.settle(job, error)
        else this.pin(job)
      }
    }
    this.schedule()
    this.notifyDrain()
  }

  // ---- queue and dispatch ----------------------------------------------

  /** Whether `n` more items fit in the queue now (always, without `maxQueue`). */
  hasRoom(n: number): boolean {
    return this.admission === undefined || this.admission.fits(this.queue.items, n)
  }

  /** Calls `f` once the queue has room (at once without `maxQueue`); returns the cancel. */
  whenRoom(f: () => void): () => void {
    if (this.admission === undefined || this.closed) {
      f()
      return () => {}
    }
    return this.admission.whenRoom(this.queue.items, f)
  }

  /** Moves the held jobs that now fit into the queue. */
  private releaseHeld(): boolean {
    const released = this.admission!.release(this.queue.items)
    if (released.length === 0) return false
    this.queue.push(released)
    return true
  }

  /**
   * Adds jobs to the queue (with `maxQueue`, those that do not fit wait for room,
   * in order). The caller has checked that the pool is open.
   */
  enqueue(jobs: ReadonlyArray<Job>): void {
    if (this.broken !== undefined) {
      for (const job of jobs) {
        this.metrics.submitted(job.task, job.payloads.length)
        this.settle(job, this.broken)
      }
      return
    }
    for (const job of jobs) this.metrics.submitted(job.task, job.payloads.length)
    if (jobs.length === 1 && jobs[0].key !== undefined) return this.pin(jobs[0])
    if (this.admission !== undefined) jobs = this.admission.admit(this.queue.items, jobs)
    this.queue.push(jobs)
    this.workers.refill()
    this.schedule()
  }

  /** A keyed call waits for the worker its key is bound to (bound now to the least loaded one, or a new one). */
  private pin(job: Job): void {
    const affinity = this.affinity ??= new Affinity()
    affinity.pin(job, affinity.boundTo(job.key!) ?? affinity.pick(this.slots, this.size) ?? this.workers.spawn())
    this.schedule()
  }

  /**
   * A broadcast: one job per live worker (ready or starting; not retiring), made by
   * `jobFor(workerId)`, each waiting for its worker as keyed calls do. Returns them.
   */
  broadcast(jobFor: (workerId: number) => Job): Array<Job> {
    const affinity = this.affinity ??= new Affinity()
    const jobs: Array<Job> = []
    for (const slot of this.slots) {
      if (slot.state !== "ready" && slot.state !== "starting") continue
      const job = jobFor(slot.client.id)
      affinity.pin(job, slot)
      jobs.push(job)
    }
    this.schedule()
    return jobs
  }

  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.dispatch()
      this.updateGauges()
    })
  }

  /** `itemWindow` of a task, from its measured time per item. */
  private window(task: AnyTask): number {
    return itemWindow(this.times.get(task), this.options.taskTimeoutMs !== undefined)
  }

  /** One pass of `planDispatch` over the ready workers (round-robin), carried out. */
  private dispatch(): void {
    this.scheduled = false
    if (this.admission !== undefined) this.releaseHeld()
    const affinity = this.affinity
    if (affinity !== undefined && affinity.count > 0) affinity.dispatch((slot, job) => this.send(slot, [job]))
    if (!this.queue.waiting) return this.queue.take(this.queue.head, 0)
    // A worker with keyed calls waiting takes nothing from the shared queue until they ran.
    const ready = affinity === undefined || affinity.count === 0
      ? this.slots.filter((s) => s.state === "ready")
      : this.slots.filter((s) => s.state === "ready" && !affinity.holds(s))
    const n = ready.length
    if (n === 0) return
    const order = Array.from({ length: n }, (_, k) => ready[(this.workerIndex + k) % n])
    const plan = planDispatch({
      queue: this.queue.jobs,
      head: this.queue.head,
      queuedItems: this.queue.items,
      workers: order.map((s) => ({
        items: s.client.inflightItems,
        jobs: s.client.inflightChunks,
        dispatched: s.dispatched,
      })),
      maxTasksPerWorker: this.options.maxTasksPerWorker,
      timeouts: this.options.taskTimeoutMs !== undefined,
      // A call with its own timeout travels alone, as under taskTimeout.
      windowOf: (job) => job.timeoutMs !== undefined ? 1 : this.window(job.task),
    })
    this.queue.take(plan.head, plan.items)
    if (this.admission !== undefined && plan.items > 0 && this.releaseHeld()) this.schedule()
    for (let k = 0; k < n; k++) {
      const batch = plan.batches[k]
      if (batch.length === 0) continue
      for (const job of batch) order[k].dispatched += job.payloads.length
      this.send(order[k], batch)
    }
    this.workerIndex = (this.workerIndex + 1) % n
    this.workers.retireSpent()
    // Work still waits with every ready worker served: maybe start more (past the eager ones).
    if (this.queue.waiting && this.slots.length < this.size) this.workers.refill()
  }

  private send(slot: Slot, batch: ReadonlyArray<Job>): void {
    slot.idleTimer = clearTimer(slot.idleTimer)
    const transfer: Array<Transferable> = []
    for (const job of batch) for (const t of job.transfer) transfer.push(t)
    let ids: Array<number>
    try {
      ids = slot.client.runMany(batch.map((job) => chunkOf(this, slot, job)), transfer)
    } catch (e) {
      // One payload that cannot be cloned fails alone: the batch goes again apart.
      if (batch.length === 1 && batch[0].payloads.length === 1) return this.settleUnclonable(batch[0], e)
      return sendApart(batch, (job) => this.send(slot, [job]))
    }
    const now = performance.now()
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i]
      job.state = "running"
      job.slot = slot
      job.chunkId = ids[i]
      job.sentAt = now
      const held = (slot.held.get(job.task) ?? 0) + job.payloads.length
      slot.held.set(job.task, held)
      job.heldAtSend = held
      this.deadlines.arm(slot, job)
    }
  }

  private settleUnclonable(job: Job, e: unknown): void {
    job.state = "done"
    this.countFailed(job.task, "SerializationError", 1)
    job.sink.onFailure(job.offset, unclonableOutcome(job, e))
  }

  /** After results from `slot`: retire it if it should, send more work or let it idle, tell drain waiters. */
  /** After a worker loaded its first task module: it now counts for growth, so waiting work may start more. */
  afterLoaded(_slot: Slot): void {
    if (this.queue.waiting) this.schedule()
  }

  afterResults(slot: Slot): void {
    this.workers.finishRetiring(slot)
    if (this.queue.waiting || (this.affinity !== undefined && this.affinity.count > 0)) this.schedule()
    else if (slot.client.inflightItems === 0) this.workers.onIdle(slot)
    this.workers.retireSpent()
    this.notifyDrain()
  }

  // ---- timeouts and cancellation ----------------------------------------

  /** Cancels jobs whose caller went away: drop queued ones, interrupt running ones (and the parts of split ones). */
  cancel(jobs: ReadonlyArray<Job>): void {
    for (const job of jobs) {
      if (job.state === "split") {
        job.state = "cancelled"
        // Parts never sit in the queue: one not sent yet is only marked, one sent is interrupted.
        for (const part of job.parts!) if (part.state === "queued") part.state = "cancelled"
        this.cancel(job.parts!)
      } else if (job.state === "queued") {
        job.state = "cancelled"
        if (job.slot !== undefined && this.affinity?.drop(job) === true) continue
        if (this.admission?.drop(job) !== true) this.queue.drop(job)
      } else if (job.state === "running") {
        job.state = "cancelled"
        this.interrupted += job.payloads.length
        this.deadlines.interrupt(
          job.slot!,
          job,
          "the task did not stop within its grace period after it was interrupted",
        )
      }
    }
    this.schedule()
  }

  // ---- settling, closing -------------------------------------------------

  private settle(job: Job, error: WorkerCrashed | PoolClosed): void {
    if (job.state === "done" || job.state === "cancelled") return
    job.state = "done"
    this.failed += job.payloads.length
    this.metrics.failed(job.task, error._tag, job.payloads.length)
    job.sink.onError(job.offset, job.payloads.length, error)
  }

  private failQueued(error: WorkerCrashed | PoolClosed): void {
    for (const job of this.queue.clear()) this.settle(job, error)
    if (this.admission !== undefined) { for (const job of this.admission.clear()) this.settle(job, error) }
    if (this.affinity !== undefined) { for (const job of this.affinity.clear()) this.settle(job, error) }
  }

  /** Items queued or in flight. */
  outstanding(): number {
    let n = this.queue.countItems() + (this.admission?.items ?? 0) + (this.affinity?.count ?? 0)
    // A starting worker holds at most its initializer, which is not a task.
    for (const s of this.slots) if (s.state !== "starting") n += s.client.inflightItems
    return n
  }

  /** Calls `f` when nothing is queued or in flight (at once if so now). */
  onDrained(f: () => void): void {
    if (this.outstanding() === 0 || this.broken !== undefined) return f()
    this.drainWaiters.push(f)
  }

  private notifyDrain(): void {
    this.updateGauges()
    if (this.drainWaiters.length === 0) return
    if (this.outstanding() > 0 && this.broken === undefined && this.slots.length > 0) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
  }

  /** Stops everything now: queued and running work fails with `PoolClosed`, workers are terminated. */
  terminate(): void {
    if (this.closed) return
    this.closed = true
    this.closing = true
    const error = poolClosed("terminated")
    this.failQueued(error)
    this.deadlines.clear()
    this.workers.terminateAll()
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
  }

  /** Sets the `mp_*` gauges from the counters. */
  updateGauges(): void {
    const { workersAlive, workersBusy } = slotStats(this.slots)
    this.metrics.gauges({ queued: this.queue.items + (this.affinity?.count ?? 0), workersBusy, workersAlive })
  }

  stats(): Stats {
    return {
      ...slotStats(this.slots),
      queued: this.queue.items + (this.affinity?.count ?? 0),
      completed: this.completed,
      failed: this.failed,
      workersReplaced: this.workersReplaced,
      interrupted: this.interrupted,
      stuckThreads: this.workers.stuck.count(),
    }
  }
}
