/**
 * The pool's machinery, in plain code (no Effect on the hot path): the job
 * queue, the workers, dispatch with an adaptive in-flight window, timeouts,
 * cancellation with a grace period, crash replacement, recycling and idle
 * shrinking. `Pool.ts` wraps it in Effects.
 *
 * The records it works on (jobs, slots, options) are in `model.ts`; its
 * decisions (how many workers, which jobs go where) come from `policy.ts`.
 *
 * @internal
 * @module
 */
import { StuckThreads } from "../../worker/parent/stuck.ts"
import { type PoolClosed, poolClosed, TaskTimeout, WorkerCrashed } from "../../errors.ts"
import { type OutgoingChunk, WorkerClient } from "../../worker/parent/client.ts"
import { countSuccesses, decodeItems, unclonable } from "../../worker/parent/outcome.ts"
import { nextChildId } from "../../internal/children.ts"
import { notCloneable } from "../../internal/messages.ts"
import { guardHost } from "../../internal/guarded_host.ts"
import { clearTimer, setTimer, TimerSet } from "../../internal/timer.ts"
import { runInitializer } from "./initializer.ts"
import { DEFAULT_FINALIZER_TIMEOUT_MS, WorkerEndings } from "./finalize.ts"
import {
  type AnyTask,
  type CoreOptions,
  type Job,
  lostTransfer,
  type Slot,
  slotStats,
  splitJob,
  type Stats,
  taskKey,
} from "./model.ts"
import { JobQueue } from "./queue.ts"
import { PoolMetrics } from "./metrics.ts"
import { Admission } from "./admission.ts"
import { Affinity } from "./affinity.ts"
import {
  itemWindow,
  mayShrink,
  pickKeyWorker,
  planDispatch,
  queuedDemand,
  retirePlan,
  workersWanted,
} from "./policy.ts"

/** Workers dying before they are ready, in a row, that break the pool. */
const MAX_START_FAILURES = 2

/** The pool's engine. */
export class PoolCore {
  readonly options: CoreOptions
  readonly slots: Array<Slot> = []
  private readonly queue = new JobQueue()
  private scheduled = false
  private workerIndex = 0
  /** Per task: EWMA of milliseconds per item, measured on round trips. */
  private readonly msPerItem = new Map<string, number>()
  closing = false
  closed = false
  broken: WorkerCrashed | undefined
  completed = 0
  failed = 0
  workersReplaced = 0
  /** Payloads running when their caller went away. */
  interrupted = 0
  /** Threads terminated in task code that still run it. */
  private readonly stuck = new StuckThreads()
  private drainWaiters: Array<() => void> = []
  /** Workers that died before they were ready, in a row (reset when one gets ready). */
  private startFailures = 0
  /** Grace timers of interrupted tasks: `terminate` clears them, so none outlives the pool. */
  private readonly graceTimers = new TimerSet()
  /** The most live workers (`size`, `maxSize`; `resize` changes it). */
  size: number
  /** Workers started at once and kept without work. */
  eager: number
  /** Workers kept when idle ones shrink away. */
  min: number
  /** Callers of `pool.ready`, told when the eager workers are ready (or the pool broke or closed). */
  private readyWaiters: Array<() => void> = []
  /** With `maxQueue`: the jobs and callers waiting for room. */
  private readonly admission: Admission | undefined
  /** Affinity keys and the keyed calls waiting for their worker (made at the first keyed call). */
  private affinity: Affinity | undefined

  /** The `mp_*` metrics (see `metrics.ts`). */
  readonly metrics: PoolMetrics
  /** Workers ending in an orderly way: their finalizers run first (see `finalize.ts`). */
  readonly endings: WorkerEndings

  constructor(options: CoreOptions) {
    this.options = options
    this.metrics = new PoolMetrics(options.name)
    this.size = options.size
    this.eager = options.eager
    this.min = options.minSize ?? 0
    this.admission = options.maxQueue === undefined ? undefined : new Admission(options.maxQueue)
    this.endings = new WorkerEndings(
      options.finalizerTimeoutMs ?? DEFAULT_FINALIZER_TIMEOUT_MS,
      options.finalizerReport ?? (() => ({ problem: (message) => console.warn(message), logs: () => {} })),
    )
    this.refill()
  }

  // ---- size and readiness ------------------------------------------------

  /** Workers the pool keeps started without work: what `pool.ready` waits for. */
  readyTarget(): number {
    return this.options.idleTimeoutMs === undefined ? this.eager : Math.min(this.min, this.eager)
  }

  /** Whether `pool.ready` may resume: the kept workers are ready, or the pool broke or closed. */
  isReady(): boolean {
    if (this.closed || this.broken !== undefined) return true
    let ready = 0
    for (const s of this.slots) if (s.state === "ready") ready++
    return ready >= this.readyTarget()
  }

  /** Calls `f` once `isReady()` (at once if so now). */
  onReady(f: () => void): void {
    if (this.isReady()) return f()
    this.readyWaiters.push(f)
  }

  private notifyReady(): void {
    if (this.readyWaiters.length === 0 || !this.isReady()) return
    const waiters = this.readyWaiters
    this.readyWaiters = []
    for (const f of waiters) f()
  }

  /**
   * Sets the most workers to `n` (`pool.resize`): the floors follow it down; a pool
   * made with `size` keeps `min(n, cpuCount())` started. Workers over `n` retire
   * (`retirePlan`): idle ones now, busy ones once they finish what they hold.
   */
  resize(n: number, fixed: boolean, cpus: number): void {
    if (this.closed || this.broken !== undefined) return
    this.size = n
    this.eager = fixed ? Math.min(n, cpus) : Math.min(this.eager, n)
    this.min = fixed ? this.min : Math.min(this.min, n)
    this.retireExcess()
    this.refill()
    this.schedule()
    this.notifyReady()
  }

  /** Retires the live workers over `size`, as `retirePlan` picks them. */
  private retireExcess(): void {
    const live = this.slots.filter((s) => (s.state === "ready" || s.state === "starting") && !s.retireWhenIdle)
    const plan = retirePlan(
      live.map((s) => ({ state: s.state as "starting" | "ready", items: s.client.inflightItems })),
      this.size,
    )
    for (const i of plan) this.retire(live[i], "the pool was resized down")
  }

  /** Retires a worker: at once if it holds nothing (or is starting), else once it finishes. */
  private retire(slot: Slot, reason: string): void {
    if (slot.state === "ready" && slot.client.inflightItems > 0) {
      slot.retireWhenIdle = true
      slot.state = "retiring"
      return
    }
    slot.state = "retiring"
    slot.idleTimer = clearTimer(slot.idleTimer)
    this.end(slot, reason)
  }

  /** Ends a retiring worker, its finalizers first (a replacement may start meanwhile). */
  private end(slot: Slot, reason: string): void {
    this.endings.end(slot.client, reason)
    if (slot.client.alive) this.refill()
  }

  // ---- workers ----------------------------------------------------------

  /**
   * Starts a worker. It is "starting" until it is ready: it reported READY (it
   * loaded and applied INIT) and, with an initializer, the initializer succeeded.
   * Only ready workers get tasks, and only their tasks count for `close`.
   */
  private spawn(): Slot {
    const id = nextChildId()
    const init = this.options.initializer
    const client = new WorkerClient({
      id,
      name: `${this.options.name}-Worker-${id}`,
      // A host that fails while it is created reports it a microtask later: a death before ready.
      host: guardHost(this.options.host),
      permissions: this.options.permissions,
      stuck: this.stuck,
      onDeath: (c, error) => this.onWorkerDeath(c, error),
      onReady: () => {
        if (init === undefined) this.markReady(started)
      },
    })
    const started: Slot = {
      client,
      state: "starting",
      dispatched: 0,
      idleTimer: undefined,
      initTimer: undefined,
      loaded: new Set(),
    }
    this.slots.push(started)
    if (init === undefined) return started
    runInitializer(started, init, this.options.loadTimeoutMs, {
      ready: () => this.markReady(started),
      broken: (reason) => this.breakPool(started, reason),
      // Moot once the pool closed or broke, or the worker got ready or died.
      moot: () => this.closed || this.broken !== undefined || started.state !== "starting",
    })
    return started
  }

  private markReady(slot: Slot): void {
    if (slot.state !== "starting") return
    slot.state = "ready"
    this.startFailures = 0
    this.onIdle(slot)
    this.schedule()
    this.notifyDrain()
    this.notifyReady()
  }

  /** Fails the pool for good with `WorkerCrashed` carrying `reason`: every worker would fail the same way. */
  private breakPool(slot: Slot, reason: string): void {
    if (this.broken === undefined) {
      this.broken = new WorkerCrashed({ workerId: slot.client.id, reason })
    }
    // Every worker would fail the same way: stop them all rather than restart them forever.
    for (const s of [slot, ...this.slots]) {
      s.state = "dead"
      s.client.terminate(this.broken.reason)
      this.removeSlot(s)
    }
    this.failQueued(this.broken)
    this.notifyDrain()
    this.notifyReady()
  }

  private removeSlot(slot: Slot): void {
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    slot.idleTimer = clearTimer(slot.idleTimer)
    slot.initTimer = clearTimer(slot.initTimer)
  }

  private onWorkerDeath(client: WorkerClient, error: WorkerCrashed): void {
    const slot = this.slots.find((s) => s.client === client)
    if (slot === undefined) return
    const wasRetiring = slot.state === "retiring"
    const wasStarting = slot.state === "starting"
    slot.state = "dead"
    this.removeSlot(slot)
    if (this.closed || this.broken !== undefined) return this.notifyDrain()
    // A worker that dies before it is ready (its process cannot start, a memory cap too small for
    // start-up, a permission it needs to load) would die again in its replacement: after two in a
    // row, break the pool instead of restarting workers forever.
    if (wasStarting && ++this.startFailures >= MAX_START_FAILURES) {
      return this.breakPool(
        slot,
        `${MAX_START_FAILURES} workers in a row died before they were ready; the last one: ${error.reason}`,
      )
    }
    if (!wasRetiring) {
      this.workersReplaced++
      this.metrics.restarted()
    }
    // Its keys move: the keyed calls that waited for it are bound again.
    const orphans = this.affinity?.release(slot)
    this.refill()
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

  /** Spawns the workers `workersWanted` asks for. */
  private refill(): void {
    if (this.closed || this.broken !== undefined) return
    let live = 0
    let ready = 0
    let busy = 0
    for (const s of this.slots) {
      if (s.state === "dead" || s.state === "retiring") continue
      live++
      if (s.state !== "ready") continue
      ready++
      if (s.client.inflightItems > 0) busy++
    }
    const { size, eager, min } = this
    if (live >= size) return
    const queued = queuedDemand(this.queue.jobs, this.queue.head, size, (job) => this.msPerItem.get(taskKey(job.task)))
    const idleShrinks = this.options.idleTimeoutMs !== undefined
    const wanted = workersWanted({ size, eager, min, idleShrinks, ready, busy, queued })
    for (let i = live; i < wanted; i++) this.spawn()
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
    this.refill()
    this.schedule()
  }

  /** A keyed call waits for the worker its key is bound to (bound now to the least loaded one, or a new one). */
  private pin(job: Job): void {
    const affinity = this.affinity ??= new Affinity()
    let slot = affinity.boundTo(job.key!)
    if (slot === undefined) {
      const live = this.slots.filter((s) => s.state === "ready" || s.state === "starting")
      const i = pickKeyWorker(
        live.map((s) => ({ load: s.client.inflightItems + affinity.waitingFor(s), ready: s.state === "ready" })),
        live.length < this.size,
      )
      slot = i >= 0 ? live[i] : this.spawn()
    }
    affinity.pin(job, slot)
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

  /** Sends each idle ready worker with keyed calls waiting the next of them. */
  private dispatchKeyed(affinity: Affinity): void {
    for (const slot of Array.from(affinity.workers())) {
      if (slot.state !== "ready" || slot.client.inflightItems > 0) continue
      const job = affinity.next(slot)
      if (job === undefined) continue
      job.slot = undefined
      slot.dispatched += job.payloads.length
      this.send(slot, [job])
    }
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
    return itemWindow(this.msPerItem.get(taskKey(task)), this.options.taskTimeoutMs !== undefined)
  }

  /** One pass of `planDispatch` over the ready workers (round-robin), carried out. */
  private dispatch(): void {
    this.scheduled = false
    if (this.admission !== undefined) this.releaseHeld()
    const affinity = this.affinity
    if (affinity !== undefined && affinity.count > 0) this.dispatchKeyed(affinity)
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
    this.retireSpent()
    // Work still waits with every ready worker served: maybe start more (past the eager ones).
    if (this.queue.waiting && this.slots.length < this.size) this.refill()
  }

  private send(slot: Slot, batch: ReadonlyArray<Job>): void {
    slot.idleTimer = clearTimer(slot.idleTimer)
    const transfer: Array<Transferable> = []
    for (const job of batch) for (const t of job.transfer) transfer.push(t)
    let ids: Array<number>
    try {
      ids = slot.client.runMany(batch.map((job) => this.outgoing(slot, job)), transfer)
    } catch (e) {
      if (batch.length === 1 && batch[0].payloads.length === 1) {
        return this.settleUnclonable(batch[0], e)
      }
      // Find the payload that cannot be cloned: send the jobs one by one, items one by one. The
      // parts of a split job stay attached to it, so cancelling the job cancels them too; a part
      // cancelled meanwhile (its caller failed on an earlier part) is not sent.
      for (const job of batch) {
        if (job.state !== "queued") continue
        if (job.payloads.length === 1) {
          this.send(slot, [job])
          continue
        }
        const parts = splitJob(job)
        job.state = "split"
        job.parts = parts
        for (const part of parts) if (part.state === "queued") this.send(slot, [part])
      }
      return
    }
    const now = performance.now()
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i]
      job.state = "running"
      job.slot = slot
      job.chunkId = ids[i]
      job.sentAt = now
      this.armTimer(slot, job)
    }
  }

  private settleUnclonable(job: Job, e: unknown): void {
    job.state = "done"
    const lost = lostTransfer(job)
    const why = lost
      ? " (its transferred buffer was detached when a message that also held a payload that cannot be cloned failed)"
      : ""
    this.failed++
    this.metrics.failed(job.task, "SerializationError", 1)
    job.sink.onFailure(job.offset, unclonable(job.task, `${notCloneable("payload", e)}${why}`))
  }

  /** Whether a job sent to `slot` starts with a load phase: its module is new to that worker and has a deadline. */
  private loads(slot: Slot, job: Job): boolean {
    return !slot.loaded.has(job.task.moduleUrl) &&
      (this.options.loadTimeoutMs !== undefined || this.runTimeout(job) !== undefined)
  }

  /**
   * Arms the deadline of a job just sent: `loadTimeout` while its module loads in that worker,
   * then `taskTimeout` (per item) from the moment the worker says it started.
   */
  /** A job's run deadline per item: the call's own `timeout`, else the pool's `taskTimeout`. */
  private runTimeout(job: Job): number | undefined {
    return job.timeoutMs === Infinity ? undefined : job.timeoutMs ?? this.options.taskTimeoutMs
  }

  private armTimer(slot: Slot, job: Job): void {
    const { loadTimeoutMs } = this.options
    const taskTimeoutMs = this.runTimeout(job)
    if (this.loads(slot, job)) {
      if (loadTimeoutMs !== undefined) job.timer = setTimer(() => this.timeout(job, "load"), loadTimeoutMs)
    } else if (taskTimeoutMs !== undefined) {
      job.timer = setTimer(() => this.timeout(job, "run"), taskTimeoutMs * job.payloads.length)
    }
  }

  private outgoing(slot: Slot, job: Job): OutgoingChunk {
    const timeoutMs = this.runTimeout(job)
    return {
      moduleUrl: job.task.moduleUrl,
      taskName: job.task.name,
      payloads: job.payloads,
      offset: job.offset,
      reportStart: this.loads(slot, job),
      trace: job.obs?.trace,
      handler: {
        onTelemetry: job.obs?.onTelemetry,
        onStarted: () => {
          slot.loaded.add(job.task.moduleUrl)
          if (job.state !== "running") return
          job.timer = clearTimer(job.timer)
          if (timeoutMs !== undefined) {
            job.timer = setTimer(() => this.timeout(job, "run"), timeoutMs * job.payloads.length)
          }
        },
        onResults: (index, kinds, values, done) => {
          slot.loaded.add(job.task.moduleUrl)
          if (job.state === "running") {
            // Counted first: the receiver may resume a caller that reads the stats at once.
            const succeeded = countSuccesses(kinds)
            this.completed += succeeded
            this.failed += kinds.length - succeeded
            this.metrics.results(job.task, kinds, values, succeeded)
            this.updateGauges()
            if (done) this.finish(job)
            decodeItems(job.task, index, kinds, values, job.sink)
          } else if (done) this.finish(job)
          this.afterResults(slot)
        },
        onLost: (crash, index, count) => {
          const error = this.closed ? poolClosed("terminated") : crash
          if (job.state === "running") {
            this.failed += count
            this.metrics.failed(job.task, error._tag, count)
            this.finish(job)
            job.sink.onError(index, count, error)
          } else this.finish(job)
        },
      },
    }
  }

  private finish(job: Job): void {
    job.timer = clearTimer(job.timer)
    if (job.state === "running" && job.sentAt > 0) {
      const ms = performance.now() - job.sentAt
      this.metrics.runTime(job.task, ms)
      const perItem = ms / job.payloads.length
      const key = taskKey(job.task)
      const old = this.msPerItem.get(key)
      this.msPerItem.set(key, old === undefined ? perItem : old * 0.7 + perItem * 0.3)
    }
    job.state = "done"
  }

  private afterResults(slot: Slot): void {
    if (slot.retireWhenIdle && slot.client.inflightItems === 0 && slot.state === "retiring") {
      slot.retireWhenIdle = false
      this.end(slot, "the pool was resized down")
    }
    if (this.queue.waiting || (this.affinity !== undefined && this.affinity.count > 0)) this.schedule()
    else if (slot.client.inflightItems === 0) this.onIdle(slot)
    this.retireSpent()
    this.notifyDrain()
  }

  /** Recycles workers that reached `maxTasksPerWorker` once they are idle. */
  private retireSpent(): void {
    const limit = this.options.maxTasksPerWorker
    if (limit === undefined) return
    for (const slot of this.slots.slice()) {
      if (slot.state === "ready" && slot.dispatched >= limit && slot.client.inflightItems === 0) {
        slot.state = "retiring"
        this.end(slot, "recycled after maxTasksPerWorker tasks")
      }
    }
  }

  /** Workers starting or ready (not retiring). */
  private liveCount(): number {
    let n = 0
    for (const s of this.slots) if (s.state === "ready" || s.state === "starting") n++
    return n
  }

  private onIdle(slot: Slot): void {
    const ms = this.options.idleTimeoutMs
    if (ms === undefined || slot.state !== "ready" || slot.idleTimer !== undefined) return
    slot.idleTimer = setTimer(() => {
      slot.idleTimer = undefined
      if (slot.state === "ready" && slot.client.inflightItems === 0 && mayShrink(this.liveCount(), this.min)) {
        slot.state = "retiring"
        this.end(slot, "idle for longer than idleTimeout")
      }
    }, ms)
  }

  // ---- timeouts and cancellation ----------------------------------------

  private timeout(job: Job, phase: "load" | "run"): void {
    job.timer = undefined
    if (job.state !== "running") return
    const slot = job.slot!
    job.state = "cancelled"
    const count = job.payloads.length
    this.failed += count
    this.metrics.failed(job.task, "TaskTimeout", count)
    // Stop the remote task first: the caller resumed by onError may close the pool at once.
    this.stopRemote(slot, job, "the task did not stop within its grace period after its timeout")
    job.sink.onError(
      job.offset,
      count,
      new TaskTimeout({
        taskName: job.task.name,
        timeoutMs: phase === "load" ? this.options.loadTimeoutMs! : this.runTimeout(job)!,
        phase,
        ...(phase === "run" && job.timeoutMs !== undefined ? { limit: "timeout" as const } : {}),
      }),
    )
  }

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
        this.stopRemote(job.slot!, job, "the task did not stop within its grace period after it was interrupted")
      }
    }
    this.schedule()
  }

  private stopRemote(slot: Slot, job: Job, reason: string): void {
    job.timer = clearTimer(job.timer)
    slot.client.interrupt(job.chunkId)
    // A closed pool has terminated its workers already: nothing left to stop, no timer to leak.
    if (this.closed || slot.state === "dead") return
    this.graceTimers.set(() => {
      if (slot.state !== "dead" && slot.client.holds(job.chunkId)) slot.client.terminate(reason)
    }, this.options.graceMs)
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
    this.graceTimers.clear()
    for (const slot of this.slots.slice()) {
      slot.idleTimer = clearTimer(slot.idleTimer)
      slot.initTimer = clearTimer(slot.initTimer)
      // An idle worker (or one already ending) runs its finalizers first: `endings.done` waits for them.
      const orderly = (slot.state === "ready" && slot.client.inflightItems === 0) || this.endings.has(slot.client)
      slot.state = "dead"
      if (orderly) this.endings.end(slot.client, "the pool was terminated")
      else slot.client.terminate("the pool was terminated")
    }
    this.slots.length = 0
    this.notifyReady()
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
  }

  /** Sets the `mp_*` gauges from the counters. */
  updateGauges(): void {
    this.metrics.gauges(this.stats())
  }

  stats(): Stats {
    return {
      ...slotStats(this.slots),
      queued: this.queue.items + (this.affinity?.count ?? 0),
      completed: this.completed,
      failed: this.failed,
      workersReplaced: this.workersReplaced,
      interrupted: this.interrupted,
      stuckThreads: this.stuck.count(),
    }
  }
}
