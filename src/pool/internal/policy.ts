/**
 * The pool's policy, in pure functions: how many workers it wants (growth),
 * how many items of a task one worker may hold (the window), and which
 * queued jobs go to which worker (dispatch: window, fair share, prefetch).
 * `core.ts` carries the decisions out; these functions own no timer, no
 * worker and no state, so `tests/pool/policy_test.ts` pins them directly.
 *
 * @internal
 * @module
 */

/** What `workersWanted` decides from. */
export interface Demand {
  /** The pool's size: never more workers. */
  readonly size: number
  /** Workers kept started without work (`min(size, cpuCount())`, or `minSize`). */
  readonly eager: number
  /** Workers kept even when idle workers shrink away (`minSize`; 0 for a pool made with `size`). */
  readonly min?: number | undefined
  /** Workers that are ready (started, initializer done). */
  readonly ready: number
  /** Whether idle workers are shut down (`idleTimeout`): then none is kept without work. */
  readonly idleShrinks: boolean
  /** Ready workers holding work. */
  readonly busy: number
  /**
   * Workers the queued work needs: one per job of a task not measured yet, and for
   * measured tasks about one per `GROW_MS` of expected work (counted up to `size` jobs).
   */
  readonly queued: number
}

/**
 * How many live workers the pool wants: the eager ones (none without work when
 * idle workers shrink away), and beyond them one per worker's worth of waiting
 * work (busy workers plus `queued`), growing at most to twice the ready workers
 * at a time (so quick tasks, once measured, stop the growth), never more than
 * `size`.
 */
export const workersWanted = (d: Demand): number => {
  const floor = d.idleShrinks && d.queued === 0 ? Math.min(d.min ?? 0, d.eager) : d.eager
  const growth = Math.max(d.eager, 2 * d.ready, 1)
  return Math.min(d.size, Math.max(floor, Math.min(d.busy + d.queued, growth)))
}

/** A live worker as `retirePlan` sees it. */
export interface LiveWorker {
  readonly state: "starting" | "ready"
  /** Items it holds. */
  readonly items: number
}

/**
 * Which live workers to retire when the pool holds more than `size` (after a
 * `resize` down): idle ready ones first, then starting ones (newest first),
 * then busy ones (they finish what they hold, take nothing new, then end).
 * Returns their indices in `workers`; none when `live <= size`.
 */
export const retirePlan = (workers: ReadonlyArray<LiveWorker>, size: number): Array<number> => {
  const excess = workers.length - size
  if (excess <= 0) return []
  const order: Array<number> = []
  workers.forEach((w, i) => w.state === "ready" && w.items === 0 && order.push(i))
  for (let i = workers.length - 1; i >= 0; i--) if (workers[i].state === "starting") order.push(i)
  workers.forEach((w, i) => w.state === "ready" && w.items > 0 && order.push(i))
  return order.slice(0, excess)
}

/**
 * Whether an idle worker may shrink away after `idleTimeout`: only while more
 * than `min` workers are live (`minSize`; 0 for a pool made with `size`).
 */
export const mayShrink = (live: number, min: number): boolean => live > min

/**
 * Which worker a new affinity key is bound to: the index of the least loaded
 * live worker (`loads`: items held plus keyed calls waiting; ready ones before
 * starting ones on a tie), or -1 to start a new worker, when none is live or
 * every live one is loaded and the pool may grow (`canGrow`).
 */
export const pickKeyWorker = (
  loads: ReadonlyArray<{ readonly load: number; readonly ready: boolean }>,
  canGrow: boolean,
): number => {
  let best = -1
  for (let i = 0; i < loads.length; i++) {
    const w = loads[i]
    const b = loads[best]
    if (best < 0 || w.load < b.load || (w.load === b.load && w.ready && !b.ready)) best = i
  }
  if (best < 0 || (loads[best].load > 0 && canGrow)) return canGrow || best < 0 ? -1 : best
  return best
}

/** About how long a worker takes to start: queued work worth this much wants one more worker. */
export const GROW_MS = 100

/** A job as the policy sees it: its items, and whether it still waits (a cancelled one is skipped). */
export interface Waiting<T> {
  readonly task: T
  readonly payloads: ReadonlyArray<unknown>
  readonly state: string
}

/**
 * `Demand.queued`: the workers the queued work needs. A job of a task not
 * measured yet (`msPerItem` of the job gives `undefined`) counts as one, a measured one
 * by its expected time (`GROW_MS` of work counts as one). At most `limit`
 * waiting jobs from `head` are looked at.
 */
export const queuedDemand = <J extends Waiting<unknown>>(
  queue: ReadonlyArray<J>,
  head: number,
  limit: number,
  msPerItem: (job: J) => number | undefined,
): number => {
  let demand = 0
  let seen = 0
  for (let i = head; i < queue.length && seen < limit; i++) {
    const job = queue[i]
    if (job.state !== "queued") continue
    seen++
    const ms = msPerItem(job)
    demand += ms === undefined ? 1 : Math.min(1, (job.payloads.length * ms) / GROW_MS)
  }
  return Math.ceil(demand)
}

/** The most items of one task a worker may hold at once. */
export const MAX_WINDOW = 4096
/** How many milliseconds of a task's work a worker may hold at once. */
export const WINDOW_MS = 2

/**
 * Items of a task a worker may hold at once: about `WINDOW_MS` of its work
 * (so tiny tasks travel in batches and long ones one by one), at least one,
 * at most `MAX_WINDOW`; one when tasks have a timeout (each item's deadline
 * starts when it is sent); one for a task not measured yet.
 */
export const itemWindow = (msPerItem: number | undefined, timeouts: boolean): number => {
  if (timeouts || msPerItem === undefined) return 1
  return Math.max(1, Math.min(MAX_WINDOW, Math.round(WINDOW_MS / Math.max(msPerItem, 1e-6))))
}

/** A ready worker's load, as dispatch sees it. */
export interface WorkerLoad {
  /** Items sent to it and not yet reported. */
  readonly items: number
  /** Jobs sent to it and not yet reported. */
  readonly jobs: number
  /** Items sent to it over its life (for `maxTasksPerWorker`). */
  readonly dispatched: number
}

/** What `planDispatch` decides from. */
export interface DispatchInput<J> {
  /** The queue, waiting from `head` on (jobs not `"queued"` any more are skipped). */
  readonly queue: ReadonlyArray<J>
  readonly head: number
  /** Items waiting in the queue. */
  readonly queuedItems: number
  /** The ready workers, in the order they are served this pass. */
  readonly workers: ReadonlyArray<WorkerLoad>
  /** Items a worker may take over its life; `undefined` for no limit. */
  readonly maxTasksPerWorker: number | undefined
  /** Whether tasks have a timeout: then a worker holds one job at a time. */
  readonly timeouts: boolean
  /** `itemWindow` of a job's task. */
  readonly windowOf: (job: J) => number
}

/** What `planDispatch` decided. */
export interface DispatchPlan<J> {
  /** Per worker (in `workers` order), the jobs to send it in one message (often none). */
  readonly batches: ReadonlyArray<ReadonlyArray<J>>
  /** The new head of the queue: every job before it was taken or skipped. */
  readonly head: number
  /** Items taken from the queue. */
  readonly items: number
}

/**
 * One dispatch pass: serves each ready worker once, in order, with one batch.
 *
 * - Fair share: a worker never gets more than about half its share of what is
 *   waiting (`queuedItems / (2 × workers)`, at least one item), so the others
 *   get some too.
 * - Window: a worker holds at most `windowOf(job)` items (within the fair
 *   share); a busy one is refilled only once it is down to half of that, so
 *   messages are fewer and larger.
 * - Prefetch: for a task known to be quick (its window is more than one item)
 *   and without timeouts, a worker may hold a second job beyond its window
 *   (within the fair share), so it never idles for a round trip between two
 *   big chunks; long tasks go one job at a time, so no worker sits on a job
 *   another could start.
 * - `maxTasksPerWorker`: a worker takes no job once it reached the limit.
 */
export const planDispatch = <J extends Waiting<unknown>>(input: DispatchInput<J>): DispatchPlan<J> => {
  const { queue, workers, maxTasksPerWorker: limit, windowOf } = input
  let head = input.head
  let taken = 0
  const batches: Array<Array<J>> = []
  const fairShare = Math.max(1, Math.ceil(input.queuedItems / (2 * workers.length)))
  for (const worker of workers) {
    const batch: Array<J> = []
    batches.push(batch)
    while (head < queue.length && queue[head].state !== "queued") head++
    if (head >= queue.length) continue
    let items = worker.items
    let dispatched = worker.dispatched
    const held = worker.jobs
    const headWindow = windowOf(queue[head])
    const prefetch = !input.timeouts && headWindow > 1 ? 2 : 1
    if (items > 0 && held >= prefetch && items * 2 > Math.min(headWindow, fairShare)) continue
    while (head < queue.length) {
      const job = queue[head]
      if (job.state !== "queued") {
        head++
        continue
      }
      const size = job.payloads.length
      const window = Math.min(windowOf(job), fairShare)
      const mayPrefetch = held + batch.length < prefetch && items + size <= Math.max(fairShare, window)
      if (items > 0 && items + size > window && !mayPrefetch) break
      if (limit !== undefined && dispatched >= limit) break
      head++
      taken += size
      batch.push(job)
      items += size
      dispatched += size
      if (items >= window && held + batch.length >= prefetch) break
    }
  }
  return { batches, head, items: taken }
}
