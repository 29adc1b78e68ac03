/**
 * `map` and `mapExit` over the pool core, in plain code: the payloads are cut
 * into chunks (a chunk with no schema and no transfer marker crosses as a
 * packed slice), outcomes are stored by index as they arrive, and the caller
 * is resumed once, with every result or (for `map`) the first failure, when
 * the remaining jobs are cancelled.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { revive } from "../../internal/revive.ts"
import type { Task } from "../../task/Task.ts"
import { preparePayload, toExit } from "../../worker/parent/outcome.ts"
import * as P from "../../worker/wire/protocol.ts"
import { isTransfer } from "../../task/transfer.ts"
import { type Job, makeJob, type PoolCore, type Sink } from "./core.ts"

type AnyTask = Task<unknown, unknown, unknown>

/**
 * Starts `items` through `t` in chunks of `chunk`; calls `resume` once with the
 * results (`map`: the values, failing fast; `mapExit`: one Exit per item).
 * Returns the cleanup to run if the caller is interrupted.
 */
export const startMap = (
  core: PoolCore,
  t: AnyTask,
  items: ReadonlyArray<unknown>,
  chunk: number,
  failFast: boolean,
  resume: (result: Effect.Effect<Array<unknown>, unknown>) => void,
): Effect.Effect<void> | void => {
  const n = items.length
  if (n === 0) return resume(Effect.succeed([]))
  const results: Array<unknown> = new Array(n)
  let remaining = n
  let done = false
  const jobs: Array<Job> = []
  const finishWith = (exit: Exit.Exit<Array<unknown>, unknown>) => {
    if (done) return
    done = true
    core.cancel(jobs)
    resume(exit)
  }
  const successIdentity = t.codec.success.identity
  const sink: Sink = {
    onResults: (index, kinds, values) => {
      if (done) return
      for (let i = 0; i < kinds.length; i++) {
        const k = kinds[i]
        if (k === P.SUCCESS && successIdentity) {
          results[index + i] = failFast ? revive(values[i]) : Exit.succeed(revive(values[i]))
          continue
        }
        const exit = toExit(t, k, values[i])
        if (failFast) {
          if (Exit.isSuccess(exit)) results[index + i] = exit.value
          else return finishWith(exit as Exit.Exit<never, unknown>)
        } else results[index + i] = exit
      }
      remaining -= kinds.length
      if (remaining === 0) {
        done = true
        resume(Effect.succeed(results))
      }
    },
    onError: (index, count, error) => {
      if (done) return
      if (failFast) return finishWith(Exit.fail(error))
      const exit = Exit.fail(error)
      for (let i = 0; i < count; i++) results[index + i] = exit
      remaining -= count
      if (remaining === 0) {
        done = true
        resume(Effect.succeed(results))
      }
    },
  }
  const identity = t.codec.payload.identity
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk)
    // Fast path: no schema and no transfer marker: the chunk crosses as a packed slice.
    if (identity && !hasTransfer(items, start, end)) {
      jobs.push(makeJob(t, items.slice(start, end), start, sink))
      continue
    }
    const payloadsOut: Array<unknown> = []
    // Each payload's own transferables, so every job (and every part of a split job) moves only its own.
    const transfers: Array<ReadonlyArray<Transferable>> = []
    for (let i = start; i < end; i++) {
      const prepared = preparePayload(t, items[i])
      if (prepared.ok) {
        payloadsOut.push(prepared.value)
        transfers.push(prepared.transfer as ReadonlyArray<Transferable>)
        continue
      }
      if (failFast) return finishWith(Exit.fail(prepared.error))
      // mapExit: this payload fails alone; send the rest of its chunk around it.
      results[i] = Exit.fail(prepared.error)
      remaining--
      payloadsOut.push(SKIP)
      transfers.push([])
    }
    pushJobs(t, payloadsOut, start, sink, transfers, jobs)
  }
  if (remaining === 0) {
    done = true
    return resume(Effect.succeed(results))
  }
  core.enqueue(jobs)
  return Effect.sync(() => {
    done = true
    core.cancel(jobs)
  })
}

const hasTransfer = (items: ReadonlyArray<unknown>, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) {
    const v = items[i]
    if (typeof v === "object" && v !== null && isTransfer(v)) return true
  }
  return false
}

/** A payload that failed to encode in `mapExit`, left out of its chunk. */
const SKIP: unique symbol = Symbol("skip")

/** Splits a chunk around skipped payloads and adds the jobs. */
const pushJobs = (
  task: AnyTask,
  payloads: Array<unknown>,
  offset: number,
  sink: Sink,
  transfers: ReadonlyArray<ReadonlyArray<Transferable>>,
  jobs: Array<Job>,
): void => {
  let start = 0
  for (let i = 0; i <= payloads.length; i++) {
    if (i === payloads.length || payloads[i] === SKIP) {
      if (i > start) {
        const whole = start === 0 && i === payloads.length
        const part = whole ? payloads : payloads.slice(start, i)
        const own = whole ? transfers : transfers.slice(start, i)
        jobs.push(makeJob(task, part, offset + start, sink, own.flat(), own))
      }
      start = i + 1
    }
  }
}
