/**
 * The pool's workers and their life: starting them (with the initializer),
 * readiness (`pool.ready`), death and replacement, breaking the pool when
 * workers keep dying before they are ready, `resize`, recycling after
 * `maxTasksPerWorker` and shrinking idle ones. `core.ts` owns the work; this
 * owns the slots it is sent to, and tells the core what changed through
 * `WorkerEvents`.
 *
 * @internal
 * @module
 */
import { StuckThreads } from "../../worker/parent/stuck.ts"
import { WorkerCrashed } from "../../errors.ts"
import { WorkerClient } from "../../worker/parent/client.ts"
import { nextChildId } from "../../internal/children.ts"
import { guardHost } from "../../internal/guarded_host.ts"
import { clearTimer, setTimer } from "../../internal/timer.ts"
import { runInitializer } from "./initializer.ts"
import { DEFAULT_FINALIZER_TIMEOUT_MS, WorkerEndings } from "./finalize.ts"
import type { CoreOptions, Slot } from "./model.ts"
import { mayShrink, retirePlan, workersWanted } from "./policy.ts"

/** Workers dying before they are ready, in a row, that break the pool. */
const MAX_START_FAILURES = 2

/** What the workers tell the core (and ask it). */
export interface WorkerEvents {
  /** Whether the pool was terminated: nothing starts any more. */
  readonly closed: () => boolean
  /** Workers the queued work needs (`queuedDemand`), looking at most `size` jobs ahead. */
  readonly queued: (size: number) => number
  /** Work may go out: run a dispatch pass soon. */
  readonly schedule: () => void
  /** Something finished or died: drain waiters may resume. */
  readonly drained: () => void
  /** The pool broke with `error`: everything waiting fails with it. */
  readonly broke: (error: WorkerCrashed) => void
  /** A worker of the open pool died with `error` (after it was replaced, if it was not retiring). */
  readonly died: (slot: Slot, error: WorkerCrashed, replaced: boolean) => void
}

/** The slots of a pool's workers, and their life. */
export class Workers {
  readonly slots: Array<Slot> = []
  /** Set once the pool broke: every job fails with it. */
  broken: WorkerCrashed | undefined
  /** The most live workers (`size`, `maxSize`; `resize` changes it). */
  size: number
  /** Workers started at once and kept without work. */
  eager: number
  /** Workers kept when idle ones shrink away. */
  min: number
  /** Threads terminated in task code that still run it. */
  readonly stuck = new StuckThreads()
  /** Workers that died before they were ready, in a row (reset when one gets ready). */
  private startFailures = 0
  /** Callers of `pool.ready`, told when the eager workers are ready (or the pool broke or closed). */
  private readyWaiters: Array<() => void> = []
  /** Workers ending in an orderly way: their finalizers run first (see `finalize.ts`). */
  readonly endings: WorkerEndings

  constructor(private readonly options: CoreOptions, private readonly on: WorkerEvents) {
    this.size = options.size
    this.eager = options.eager
    this.min = options.minSize ?? 0
    this.endings = new WorkerEndings(
      options.finalizerTimeoutMs ?? DEFAULT_FINALIZER_TIMEOUT_MS,
      options.finalizerReport ?? (() => ({ problem: (message) => console.warn(message), logs: () => {} })),
    )
  }

  /** Ends a retiring worker, its finalizers first (a replacement may start meanwhile). */
  private end(slot: Slot, reason: string): void {
    this.endings.end(slot.client, reason)
    if (slot.client.alive) this.refill()
  }

  /** Whether nothing may start any more: the pool closed or broke. */
  private halted(): boolean {
    return this.on.closed() || this.broken !== undefined
  }

  // ---- readiness ----------------------------------------------------------

  /** Workers the pool keeps started without work: what `pool.ready` waits for. */
  readyTarget(): number {
    return this.options.idleTimeoutMs === undefined ? this.eager : Math.min(this.min, this.eager)
  }

  /** Whether `pool.ready` may resume: the kept workers are ready, or the pool broke or closed. */
  isReady(): boolean {
    if (this.halted()) return true
    let ready = 0
    for (const s of this.slots) if (s.state === "ready") ready++
    return ready >= this.readyTarget()
  }

  /** Calls `f` once `isReady()` (at once if so now). */
  onReady(f: () => void): void {
    if (this.isReady()) return f()
    this.readyWaiters.push(f)
  }

  /** Tells the `pool.ready` callers, if the pool is ready now. */
  notifyReady(): void {
    if (this.readyWaiters.length === 0 || !this.isReady()) return
    const waiters = this.readyWaiters
    this.readyWaiters = []
    for (const f of waiters) f()
  }

  // ---- size ---------------------------------------------------------------

  /**
   * Sets the most workers to `n` (`pool.resize`): the floors follow it down; a pool
   * made with `size` keeps `min(n, cpuCount())` started. Workers over `n` retire
   * (`retirePlan`): idle ones now, busy ones once they finish what they hold.
   */
  resize(n: number, fixed: boolean, cpus: number): void {
    if (this.halted()) return
    this.size = n
    this.eager = fixed ? Math.min(n, cpus) : Math.min(this.eager, n)
    this.min = fixed ? this.min : Math.min(this.min, n)
    const live = this.slots.filter((s) => (s.state === "ready" || s.state === "starting") && !s.retireWhenIdle)
    const plan = retirePlan(
      live.map((s) => ({ state: s.state as "starting" | "ready", items: s.client.inflightItems })),
      this.size,
    )
    for (const i of plan) this.retire(live[i])
    this.refill()
    this.on.schedule()
    this.notifyReady()
  }

  /** Retires a worker after a resize: at once if it holds nothing (or is starting), else once it finishes. */
  private retire(slot: Slot): void {
    if (slot.state === "ready" && slot.client.inflightItems > 0) {
      slot.retireWhenIdle = true
      slot.state = "retiring"
      return
    }
    slot.state = "retiring"
    slot.idleTimer = clearTimer(slot.idleTimer)
    this.end(slot, "the pool was resized down")
  }

  /** Spawns the workers `workersWanted` asks for. */
  refill(): void {
    if (this.halted()) return
    let live = 0
    let ready = 0
    let busy = 0
    for (const s of this.slots) {
      if (s.state === "dead" || s.state === "retiring") continue
      live++
      if (s.state !== "ready") continue
      if (s.client.inflightItems > 0) busy++
      // A worker starts lean and loads a task's module with its first task: until it has loaded one
      // it is no capacity to grow from (else workers that start fast would double the pool up to `size`).
      if (s.client.inflightItems > 0 && s.loaded.size === 0) continue
      ready++
    }
    const { size, eager, min } = this
    if (live >= size) return
    const queued = this.on.queued(size)
    const idleShrinks = this.options.idleTimeoutMs !== undefined
    const wanted = workersWanted({ size, eager, min, idleShrinks, ready, busy, queued })
    for (let i = live; i < wanted; i++) this.spawn()
  }

  // ---- start, death -------------------------------------------------------

  /**
   * Starts a worker. It is "starting" until it is ready: it reported READY (it
   * loaded and applied INIT) and, with an initializer, the initializer succeeded.
   * Only ready workers get tasks, and only their tasks count for `close`.
   */
  spawn(): Slot {
    const id = nextChildId()
    const init = this.options.initializer
    const client = new WorkerClient({
      id,
      name: `${this.options.name}-Worker-${id}`,
      // A host that fails while it is created reports it a microtask later: a death before ready.
      host: guardHost(this.options.host),
      permissions: this.options.permissions,
      stuck: this.stuck,
      onDeath: (c, error) => this.onDeath(c, error),
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
      held: new Map(),
    }
    this.slots.push(started)
    if (init === undefined) return started
    runInitializer(started, init, this.options.loadTimeoutMs, {
      ready: () => this.markReady(started),
      broken: (reason) => this.breakPool(started, reason),
      // Moot once the pool closed or broke, or the worker got ready or died.
      moot: () => this.halted() || started.state !== "starting",
    })
    return started
  }

  private markReady(slot: Slot): void {
    if (slot.state !== "starting") return
    slot.state = "ready"
    this.startFailures = 0
    this.onIdle(slot)
    this.on.schedule()
    this.on.drained()
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
      this.remove(s)
    }
    this.on.broke(this.broken)
    this.on.drained()
    this.notifyReady()
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    slot.idleTimer = clearTimer(slot.idleTimer)
    slot.initTimer = clearTimer(slot.initTimer)
  }

  private onDeath(client: WorkerClient, error: WorkerCrashed): void {
    const slot = this.slots.find((s) => s.client === client)
    if (slot === undefined) return
    const wasRetiring = slot.state === "retiring"
    const wasStarting = slot.state === "starting"
    slot.state = "dead"
    this.remove(slot)
    if (this.halted()) return this.on.drained()
    // A worker that dies before it is ready (its process cannot start, a memory cap too small for
    // start-up, a permission it needs to load) would die again in its replacement: after two in a
    // row, break the pool instead of restarting workers forever.
    if (wasStarting && ++this.startFailures >= MAX_START_FAILURES) {
      return this.breakPool(
        slot,
        `${MAX_START_FAILURES} workers in a row died before they were ready; the last one: ${error.reason}`,
      )
    }
    this.on.died(slot, error, !wasRetiring)
  }

  // ---- retiring -----------------------------------------------------------

  /** After results from `slot`: a worker retiring after a resize ends once it holds nothing. */
  finishRetiring(slot: Slot): void {
    if (slot.retireWhenIdle && slot.client.inflightItems === 0 && slot.state === "retiring") {
      slot.retireWhenIdle = false
      this.end(slot, "the pool was resized down")
    }
  }

  /** Recycles workers that reached `maxTasksPerWorker` once they are idle. */
  retireSpent(): void {
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

  /** `slot` holds nothing now: with `idleTimeout`, it shrinks away if it stays so (down to `min`). */
  onIdle(slot: Slot): void {
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

  /** Terminates every worker (the pool was terminated); idle ones run their finalizers first (`endings.done`). */
  terminateAll(): void {
    for (const slot of this.slots.slice()) {
      slot.idleTimer = clearTimer(slot.idleTimer)
      slot.initTimer = clearTimer(slot.initTimer)
      const orderly = (slot.state === "ready" && slot.client.inflightItems === 0) || this.endings.has(slot.client)
      slot.state = "dead"
      if (orderly) this.endings.end(slot.client, "the pool was terminated")
      else slot.client.terminate("the pool was terminated")
    }
    this.slots.length = 0
    this.notifyReady()
  }
}
