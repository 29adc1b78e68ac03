/**
 * The deadlines of jobs sent to workers: `loadTimeout` while a task's module
 * loads in a worker, then the run deadline (the call's `timeout`, else the
 * pool's `taskTimeout`, per item) from the moment the worker says the job
 * started; and the grace period after which a worker whose task does not stop
 * (interrupted or timed out) is terminated.
 *
 * @internal
 * @module
 */
import { TaskTimeout } from "../../errors.ts"
import { clearTimer, setTimer, TimerSet } from "../../internal/timer.ts"
import type { CoreOptions, Job, Slot } from "./model.ts"

/** Deadlines and grace timers of a pool's jobs. */
export class Deadlines {
  /** Grace timers of interrupted tasks: `clear` clears them, so none outlives the pool. */
  private readonly graceTimers = new TimerSet()

  constructor(
    private readonly options: CoreOptions,
    /** A job timed out: count it as failed (`count` items), before its caller hears of it. */
    private readonly expired: (job: Job, count: number) => void,
    /** Whether the pool was terminated (its workers are gone: nothing to stop). */
    private readonly closed: () => boolean,
  ) {}

  /** A job's run deadline per item: the call's own `timeout`, else the pool's `taskTimeout`. */
  runTimeout(job: Job): number | undefined {
    return job.timeoutMs === Infinity ? undefined : job.timeoutMs ?? this.options.taskTimeoutMs
  }

  /** Whether a job sent to `slot` starts with a load phase: its module is new to that worker and has a deadline. */
  loads(slot: Slot, job: Job): boolean {
    return !slot.loaded.has(job.task.moduleUrl) &&
      (this.options.loadTimeoutMs !== undefined || this.runTimeout(job) !== undefined)
  }

  /**
   * Arms the deadline of a job just sent: `loadTimeout` while its module loads in that worker,
   * then the run deadline (see `started`).
   */
  arm(slot: Slot, job: Job): void {
    const { loadTimeoutMs } = this.options
    const taskTimeoutMs = this.runTimeout(job)
    if (this.loads(slot, job)) {
      if (loadTimeoutMs !== undefined) job.timer = setTimer(() => this.timeout(job, "load"), loadTimeoutMs)
    } else if (taskTimeoutMs !== undefined) {
      job.timer = setTimer(() => this.timeout(job, "run"), taskTimeoutMs * job.payloads.length)
    }
  }

  /** The worker said the job started (its module loaded): its run deadline starts now. */
  started(job: Job): void {
    // Interrupted while it loaded: its grace period starts now.
    if (job.state === "cancelled" && job.graceReason !== undefined) return this.stop(job.slot!, job, job.graceReason)
    if (job.state !== "running") return
    job.timer = clearTimer(job.timer)
    const timeoutMs = this.runTimeout(job)
    if (timeoutMs !== undefined) {
      job.timer = setTimer(() => this.timeout(job, "run"), timeoutMs * job.payloads.length)
    }
  }

  private timeout(job: Job, phase: "load" | "run"): void {
    job.timer = undefined
    if (job.state === "cancelled" && job.graceReason !== undefined && phase === "load") {
      // Interrupted while it loaded, and the load is still not over: stop it as a timeout would.
      return this.stop(job.slot!, job, "the task's module did not load within loadTimeout after it was interrupted")
    }
    if (job.state !== "running") return
    const slot = job.slot!
    job.state = "cancelled"
    const count = job.payloads.length
    this.expired(job, count)
    // Stop the remote task first: the caller resumed by onError may close the pool at once.
    this.stop(slot, job, "the task did not stop within its grace period after its timeout")
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

  /** Asks the worker to stop a running job; terminates the worker if it still holds it after the grace period. */
  stop(slot: Slot, job: Job, reason: string): void {
    job.timer = clearTimer(job.timer)
    slot.client.interrupt(job.chunkId)
    // A closed pool has terminated its workers already: nothing left to stop, no timer to leak.
    if (this.closed() || slot.state === "dead") return
    this.graceTimers.set(() => {
      if (slot.state !== "dead" && slot.client.holds(job.chunkId)) slot.client.terminate(reason)
    }, this.options.graceMs)
  }

  /**
   * Asks the worker to stop a job its caller gave up. A job whose module is still loading in that
   * worker gets its grace period once the load is over: the worker cannot read the interrupt while
   * it evaluates the module (a task module that imports the whole library takes a while in a fresh
   * worker) and answers it at once afterwards. `loadTimeout`, when set, still bounds the load.
   */
  interrupt(slot: Slot, job: Job, reason: string): void {
    if (slot.loaded.has(job.task.moduleUrl) || this.closed() || slot.state === "dead") {
      return this.stop(slot, job, reason)
    }
    job.graceReason = reason
    slot.client.interrupt(job.chunkId)
  }

  /** Clears every grace timer (the pool was terminated). */
  clear(): void {
    this.graceTimers.clear()
  }
}
