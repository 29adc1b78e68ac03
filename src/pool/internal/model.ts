/**
 * The pool's records: a job (a chunk of payloads for one task, with its
 * receiver), a worker slot, the core's resolved options and its counters.
 * `core.ts` owns and mutates them.
 *
 * A job's `Receiver` gets decoded outcomes with absolute item indices
 * (`offset + i`), so a job can be split when one of its payloads cannot be
 * cloned.
 *
 * @internal
 * @module
 */
import type { WorkerCrashed } from "../../errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import type { WorkerClient } from "../../worker/parent/client.ts"
import type { FinalizerReport } from "../../worker/parent/finalize.ts"
import type { HostFactory, WorkerPermissions } from "../../worker/parent/host.ts"
import type { Receiver } from "../../worker/parent/outcome.ts"
import type { Timer } from "../../internal/timer.ts"

import type { Observer } from "./observe.ts"

/** Any task, as the pool holds it. */
export type { AnyTask } from "../../task/Task.ts"

/** A chunk of work. */
export interface Job {
  readonly task: AnyTask
  readonly payloads: ReadonlyArray<unknown>
  readonly transfer: ReadonlyArray<Transferable>
  /**
   * Per payload, what it transfers (when the job has transfers): what each part carries if
   * the job is split. A part must not carry the others' transferables: moved once, they are gone.
   */
  readonly itemTransfers: ReadonlyArray<ReadonlyArray<Transferable>> | undefined
  readonly offset: number
  readonly sink: Receiver
  /** `split`: its payloads were sent as `parts`, one job per payload, which carry its outcomes. */
  state: "queued" | "running" | "done" | "cancelled" | "split"
  /** The jobs a split job became. */
  parts: Array<Job> | undefined
  slot: Slot | undefined
  chunkId: number
  timer: Timer | undefined
  /**
   * Interrupted while its module was still loading in its worker: the reason to give if it does
   * not stop within the grace period, which starts once the load is over (see `Deadlines.interrupt`).
   */
  graceReason?: string | undefined
  sentAt: number
  /**
   * Items of its task its worker held when it was sent, its own included: it waits for them, so
   * its round trip measures that many items' work (see `TaskTimes`); 0 once it finished.
   */
  heldAtSend: number
  /** The call's observer: its span and where the worker's telemetry goes (see `observe.ts`). */
  obs?: Observer | undefined
  /** The call's own run timeout (`{ timeout }`), instead of the pool's `taskTimeout`. */
  timeoutMs: number | undefined
  /** Higher runs first (`{ priority }`; 0 by default); FIFO within a priority. */
  priority: number
  /** The call's affinity key (`{ key }`). */
  key: string | undefined
}

/** What the pool needs to know about the task used as initializer. */
export interface Initializer {
  readonly task: AnyTask
  readonly payload: unknown
}

/** Resolved options of the core. */
export interface CoreOptions {
  readonly name: string
  readonly size: number
  /**
   * Workers started at once and kept (the rest start on demand): `min(size, cpuCount())`,
   * so a pool far larger than the machine does not start every worker eagerly.
   */
  readonly eager: number
  readonly host: HostFactory
  readonly permissions: WorkerPermissions | undefined
  readonly initializer: Initializer | undefined
  readonly maxTasksPerWorker: number | undefined
  readonly taskTimeoutMs: number | undefined
  /**
   * How long a worker may take to load a task's module (the initializer's included)
   * before the task fails with `TaskTimeout` (phase "load"); `undefined` for no limit.
   */
  readonly loadTimeoutMs: number | undefined
  readonly idleTimeoutMs: number | undefined
  /** How long an interrupted task may take to stop before its worker is terminated. */
  readonly graceMs: number
  /** Workers kept when idle ones shrink away (`minSize`); 0 (or absent) for a pool made with `size`. */
  readonly minSize?: number | undefined
  /** The most items the queue holds (`maxQueue`); `undefined` for no bound. */
  readonly maxQueue?: number | undefined
  /** How long a worker's finalizers may run when it is ended (`finalizerTimeout`; see `finalize.ts`). */
  readonly finalizerTimeoutMs?: number | undefined
  /** Where a worker's finalizer that failed or overran its deadline is reported, and what they logged (the pool's Logger). */
  readonly finalizerReport?: ((worker: WorkerClient) => FinalizerReport) | undefined
}

/** One worker of the pool. */
export interface Slot {
  readonly client: WorkerClient
  state: "starting" | "ready" | "retiring" | "dead"
  /** Items dispatched over its life (for `maxTasksPerWorker`). */
  dispatched: number
  idleTimer: Timer | undefined
  /** The initializer's load deadline, while its module loads. */
  initTimer: Timer | undefined
  /** Task modules this worker has loaded (they need no load deadline). */
  readonly loaded: Set<string>
  /** Per task, the items of it sent to this worker and not finished (see `Job.heldAtSend`). */
  readonly held: Map<AnyTask, number>
  /** Retiring after a `resize` down: it takes nothing new and ends once it holds nothing. */
  retireWhenIdle?: boolean
}

/** A snapshot of the pool's counters. */
export interface Stats {
  readonly workersAlive: number
  readonly workersBusy: number
  readonly queued: number
  readonly running: number
  readonly completed: number
  readonly failed: number
  readonly workersReplaced: number
  /**
   * Tasks (payloads) that were running in a worker when their caller went away
   * (interrupted, or a `map` that failed fast) and were told to stop.
   */
  readonly interrupted: number
  /**
   * Worker threads of this pool that were terminated while running task code
   * and still run it (a synchronous loop cannot be stopped; see `taskTimeout`).
   * Always 0 with `isolation: "process"`.
   */
  readonly stuckThreads: number
}

/**
 * Initializer failures, and workers that keep dying before they are ready, break the pool:
 * every job fails with this error from then on.
 */
export type BrokenReason = WorkerCrashed

/** How long a worker may take to load a task's module, when the pool's `loadTimeout` is not given. */
export const DEFAULT_LOAD_TIMEOUT_MS = 30_000

/** A new job in the queued state. */
export const makeJob = (
  task: AnyTask,
  payloads: ReadonlyArray<unknown>,
  offset: number,
  sink: Receiver,
  transfer: ReadonlyArray<Transferable> = [],
  itemTransfers?: ReadonlyArray<ReadonlyArray<Transferable>>,
): Job => ({
  task,
  payloads,
  transfer,
  itemTransfers: transfer.length === 0 ? undefined : itemTransfers,
  offset,
  sink,
  state: "queued",
  parts: undefined,
  slot: undefined,
  chunkId: -1,
  timer: undefined,
  sentAt: 0,
  heldAtSend: 0,
  timeoutMs: undefined,
  priority: 0,
  key: undefined,
})

/**
 * A job's parts, one per payload, each with its own transferables only: what
 * a job becomes when one of its payloads cannot be cloned, so that only that
 * one fails. A part must not carry the others' transferables: moved once,
 * they are gone.
 */
export const splitJob = (job: Job): Array<Job> =>
  job.payloads.map((payload, i): Job => ({
    ...job,
    payloads: [payload],
    transfer: job.itemTransfers?.[i] ?? [],
    itemTransfers: undefined,
    offset: job.offset + i,
    state: "queued",
    parts: undefined,
  }))

/**
 * Whether a transferable of the job was detached: Deno detaches them even when
 * `postMessage` fails, so a buffer sent in one message with a payload that
 * could not be cloned is gone, and its own payload cannot be sent any more.
 */
export const lostTransfer = (job: Job): boolean =>
  job.transfer.some((t) => t instanceof ArrayBuffer && (t as { detached?: boolean }).detached === true)

/** The key of a task's measurements. */
export const taskKey = (task: AnyTask): string => `${task.moduleUrl}#${task.name}`

/** The workers' part of `Stats`: live workers, busy ones, and the items they hold (initializers are no tasks). */
export const slotStats = (
  slots: ReadonlyArray<Slot>,
): Pick<Stats, "workersAlive" | "workersBusy" | "running"> => {
  let workersAlive = 0
  let workersBusy = 0
  let running = 0
  for (const s of slots) {
    if (s.state === "dead") continue
    workersAlive++
    if (s.state === "starting") continue
    if (s.client.inflightItems > 0) workersBusy++
    running += s.client.inflightItems
  }
  return { workersAlive, workersBusy, running }
}

/** A call's own options as its jobs carry them (`timeout`, `priority`, `key`). */
export interface CallTuning {
  readonly timeoutMs?: number | undefined
  readonly priority?: number | undefined
  readonly key?: string | undefined
}

/** Gives a job its call's options. */
export const tune = (job: Job, call: CallTuning | undefined): Job => {
  if (call === undefined) return job
  job.timeoutMs = call.timeoutMs
  job.priority = call.priority ?? 0
  job.key = call.key
  return job
}
