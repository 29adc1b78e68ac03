/**
 * The pool's dispatch and growth policy, pinned as pure functions: the window
 * a worker may hold, the fair share, prefetch for quick tasks, the
 * `maxTasksPerWorker` limit, and the demand that grows the pool.
 */
import * as Effect from "effect/Effect"
import { assertEquals } from "@std/assert"
import { test } from "../support/mod.ts"
import {
  type DispatchInput,
  itemWindow,
  MAX_WINDOW,
  pickKeyWorker,
  planDispatch,
  queuedDemand,
  retirePlan,
  type WorkerLoad,
  workersWanted,
} from "../../src/pool/internal/policy.ts"

interface FakeJob {
  readonly task: string
  readonly payloads: ReadonlyArray<unknown>
  state: string
}

const job = (items: number, task = "t", state = "queued"): FakeJob => ({
  task,
  payloads: Array.from({ length: items }),
  state,
})
const jobs = (count: number, items: number): Array<FakeJob> => Array.from({ length: count }, () => job(items))
const idle: WorkerLoad = { items: 0, jobs: 0, dispatched: 0 }

const plan = (input: Partial<DispatchInput<FakeJob>> & { readonly queue: ReadonlyArray<FakeJob>; window: number }) => {
  const queuedItems = input.queue.reduce((n, j) => n + (j.state === "queued" ? j.payloads.length : 0), 0)
  const p = planDispatch<FakeJob>({
    head: 0,
    queuedItems,
    workers: [idle, idle],
    maxTasksPerWorker: undefined,
    timeouts: false,
    windowOf: () => input.window,
    ...input,
  })
  return { ...p, sizes: p.batches.map((b) => b.map((j) => j.payloads.length)) }
}

test("itemWindow: about 2 ms of a task's work per worker, one item for unmeasured tasks and with timeouts, at most 4,096", () =>
  Effect.sync(() => {
    assertEquals(itemWindow(undefined, false), 1)
    assertEquals(itemWindow(0.001, true), 1)
    assertEquals(itemWindow(10, false), 1)
    assertEquals(itemWindow(1, false), 2)
    assertEquals(itemWindow(0.01, false), 200)
    assertEquals(itemWindow(0.000001, false), MAX_WINDOW)
    assertEquals(itemWindow(0, false), MAX_WINDOW)
  }))

test("planDispatch: unmeasured tasks go one job per worker, round the ready workers", () =>
  Effect.sync(() => {
    const p = plan({ queue: jobs(4, 1), window: 1 })
    assertEquals(p.sizes, [[1], [1]])
    assertEquals(p.head, 2)
    assertEquals(p.items, 2)
  }))

test("planDispatch: a quick task fills each worker up to its fair share of what waits, not its whole window", () =>
  Effect.sync(() => {
    // 1,000 items wait for 2 workers: fair share 250 each, window 4,096.
    const p = plan({ queue: jobs(10, 100), window: MAX_WINDOW })
    assertEquals(p.sizes, [[100, 100], [100, 100]])
    assertEquals(p.head, 4)
    assertEquals(p.items, 400)
  }))

test("planDispatch: a busy worker is refilled only once it is down to half its window", () =>
  Effect.sync(() => {
    const queue = jobs(100, 10) // 1,000 waiting: fair share 250
    const full = plan({ queue, window: 100, workers: [{ items: 60, jobs: 2, dispatched: 60 }] })
    assertEquals(full.sizes, [[]])
    const half = plan({ queue, window: 100, workers: [{ items: 50, jobs: 2, dispatched: 50 }] })
    assertEquals(half.sizes, [[10, 10, 10, 10, 10]])
  }))

test("planDispatch: a quick task's worker prefetches one more job beyond its window; a long task's does not", () =>
  Effect.sync(() => {
    const busy: WorkerLoad = { items: 2, jobs: 1, dispatched: 2 }
    // Window 2 (quick): one job held, one more sent so the worker never idles for a round trip.
    assertEquals(plan({ queue: jobs(10, 2), window: 2, workers: [busy] }).sizes, [[2]])
    // Window 1 (long): the worker keeps its one job; the next waits for a free worker.
    const long: WorkerLoad = { items: 1, jobs: 1, dispatched: 1 }
    assertEquals(plan({ queue: jobs(10, 1), window: 1, workers: [long] }).sizes, [[]])
    // With timeouts nothing is prefetched, whatever the window.
    assertEquals(plan({ queue: jobs(10, 2), window: 2, workers: [busy], timeouts: true }).sizes, [[]])
  }))

test("planDispatch: a worker that reached maxTasksPerWorker gets nothing; the next worker is served", () =>
  Effect.sync(() => {
    const spent: WorkerLoad = { items: 0, jobs: 0, dispatched: 3 }
    const p = plan({ queue: jobs(4, 1), window: 1, workers: [spent, idle], maxTasksPerWorker: 3 })
    assertEquals(p.sizes, [[], [1]])
    assertEquals(p.head, 1)
  }))

test("planDispatch: cancelled jobs are skipped and the head moves past them", () =>
  Effect.sync(() => {
    const queue = [job(1, "t", "cancelled"), job(1, "t", "cancelled"), job(5), job(1, "t", "cancelled")]
    const p = plan({ queue, window: 1, workers: [idle] })
    assertEquals(p.sizes, [[5]])
    assertEquals(p.head, 3)
    assertEquals(p.items, 5)
  }))

test("queuedDemand: one worker per unmeasured job, measured jobs by their expected time, at most `limit` jobs looked at", () =>
  Effect.sync(() => {
    const unmeasured = () => undefined
    assertEquals(queuedDemand(jobs(5, 100), 0, 64, unmeasured), 5)
    assertEquals(queuedDemand(jobs(5, 100), 0, 3, unmeasured), 3)
    assertEquals(queuedDemand(jobs(5, 100), 2, 64, unmeasured), 3)
    // 10 jobs of 1,000 items at 0.001 ms: 10 ms of work, a tenth of a worker's start-up.
    assertEquals(queuedDemand(jobs(10, 1000), 0, 64, () => 0.001), 1)
    // Long work counts as one worker per job, never more.
    assertEquals(queuedDemand(jobs(4, 1000), 0, 64, () => 50), 4)
    assertEquals(queuedDemand([job(1, "t", "cancelled"), job(1)], 0, 64, unmeasured), 1)
  }))

test("workersWanted: an elastic pool keeps minSize when idle workers shrink, and grows from zero workers", () =>
  Effect.sync(() => {
    const base = { size: 8, eager: 2, min: 2, idleShrinks: true, ready: 0, busy: 0, queued: 0 }
    assertEquals(workersWanted(base), 2)
    assertEquals(workersWanted({ ...base, min: undefined }), 0)
    assertEquals(workersWanted({ ...base, eager: 0, min: 0, queued: 3 }), 1)
    assertEquals(workersWanted({ ...base, ready: 4, busy: 4, queued: 10 }), 8)
  }))

test("retirePlan: idle workers first, then starting ones (newest first), then busy ones; none when within size", () =>
  Effect.sync(() => {
    const w = [
      { state: "ready" as const, items: 2 },
      { state: "starting" as const, items: 0 },
      { state: "ready" as const, items: 0 },
      { state: "starting" as const, items: 0 },
    ]
    assertEquals(retirePlan(w, 4), [])
    assertEquals(retirePlan(w, 3), [2])
    assertEquals(retirePlan(w, 2), [2, 3])
    assertEquals(retirePlan(w, 0), [2, 3, 1, 0])
  }))

test("pickKeyWorker: a new key goes to the least loaded live worker (ready first), or to a new one while the pool may grow", () =>
  Effect.sync(() => {
    assertEquals(pickKeyWorker([], true), -1)
    assertEquals(pickKeyWorker([{ load: 0, ready: false }, { load: 0, ready: true }], true), 1)
    assertEquals(pickKeyWorker([{ load: 2, ready: true }, { load: 1, ready: true }], false), 1)
    assertEquals(pickKeyWorker([{ load: 2, ready: true }, { load: 1, ready: true }], true), -1)
  }))
