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
import type { AnyTask } from "../../task/Task.ts"
import { prepareItems, type Receiver } from "../../worker/parent/outcome.ts"
import type { PoolCore } from "./core.ts"
import { type CallTuning, type Job, makeJob, tune } from "./model.ts"
import type { Observer } from "./observe.ts"

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
  obs?: Observer,
  call?: CallTuning,
  onSettled?: (count: number) => void,
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
  const settled = (count: number) => {
    onSettled?.(count)
    remaining -= count
    if (remaining === 0 && !done) {
      done = true
      resume(Effect.succeed(results))
    }
  }
  const sink: Receiver = {
    onSuccess: (index, value) => {
      if (done) return
      results[index] = failFast ? value : Exit.succeed(value)
      settled(1)
    },
    onFailure: (index, exit) => {
      if (done) return
      if (failFast) return finishWith(exit)
      results[index] = exit
      settled(1)
    },
    onError: (index, count, error) => {
      if (done) return
      if (failFast) return finishWith(Exit.fail(error))
      const exit = Exit.fail(error)
      for (let i = 0; i < count; i++) results[index + i] = exit
      settled(count)
    },
  }
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk)
    // Each job moves only its own payloads' buffers (and so does every part of a split job).
    let from = start
    while (from < end) {
      const prepared = prepareItems(t, items, from, end)
      // map: nothing was enqueued yet, so there is nothing to cancel.
      if (prepared.error !== undefined && failFast) return resume(Exit.fail(prepared.error))
      const count = prepared.payloads.length
      if (count > 0) {
        jobs.push(tune(makeJob(t, prepared.payloads, from, sink, prepared.transfer, prepared.transfers), call))
      }
      if (prepared.error === undefined) break
      const failed = from + count
      // mapExit: this payload fails alone; the rest of its chunk is sent around it.
      results[failed] = Exit.fail(prepared.error)
      onSettled?.(1)
      remaining--
      from = failed + 1
    }
  }
  if (remaining === 0) {
    done = true
    return resume(Effect.succeed(results))
  }
  if (obs !== undefined) { for (const job of jobs) job.obs = obs }
  core.enqueue(jobs)
  return Effect.sync(() => {
    done = true
    core.cancel(jobs)
  })
}
