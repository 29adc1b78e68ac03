/**
 * `apply` (and `submit`, `applyWithEvents`, which run it in a fiber): one
 * task, one caller. Many callers at once is the common Effect idiom
 * (`Effect.forEach(xs, (x) => pool.apply(t, x), { concurrency: "unbounded" })`),
 * so a call costs one fiber suspension and no more: the checks (the task, the
 * pool open, the call's options, room with `onFull: "fail"`) run in plain
 * code inside one `Effect.withFiber`, and the call suspends once, in
 * `Effect.callback`, until its outcome. Calls made in the same tick wait in
 * the queue together and go to each worker in one message (the core's
 * dispatch pass runs once per microtask); each keeps its own job, so its
 * timeout, priority, key, interruption, typed error, span and metrics are its
 * own.
 *
 * @internal
 * @module
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"
import { InvalidArgument, poolClosed } from "../../errors.ts"
import { QueueFull } from "../../ipc/errors.ts"
import { isTask } from "../../task/Task.ts"
import { preparePayload } from "../../worker/parent/outcome.ts"
import { callTuning } from "./call.ts"
import type { PoolCore } from "./core.ts"
import { type AnyTask, type CallTuning, makeJob, tune } from "./model.ts"
import { observed, type Observer, untracedObserver } from "./observe.ts"

/** The error of a call whose `task` argument is not a Task. */
const notATask = (u: unknown): InvalidArgument =>
  new InvalidArgument({
    argument: "task",
    message: `expected a Task made with mp.Task.make, got ${u === null ? "null" : typeof u}`,
  })

/**
 * The `apply` of a pool, under the call name `callName` (its span's name);
 * `onEvent` receives the task's events (`applyWithEvents`).
 */
export const makeApply = (
  core: PoolCore,
  failWhenFull: boolean,
  callName: string,
  onEvent?: (event: unknown) => void,
) => {
  const pool = core.options.name
  // An untraced observer without events holds no state of its call: calls of one task from one
  // context (the fibers of one `forEach`) share it.
  let last: { task: AnyTask; context: unknown; obs: Observer } | undefined
  const untraced = (task: AnyTask, context: Context.Context<never>): Observer => {
    if (onEvent !== undefined) return untracedObserver(pool, task, context, onEvent)
    if (last === undefined || last.task !== task || last.context !== context) {
      last = { task, context, obs: untracedObserver(pool, task, context, undefined) }
    }
    return last.obs
  }

  /** Starts the job and waits for its outcome; interrupting the caller cancels that job only. */
  const run = (task: AnyTask, payload: unknown, call: CallTuning | undefined, obs: Observer) =>
    Effect.callback<unknown, unknown>((resume) => {
      const prepared = preparePayload(task, payload)
      if (!prepared.ok) return resume(Effect.fail(prepared.error))
      const job = tune(
        makeJob(task, [prepared.value], 0, {
          onSuccess: (_i, value) => resume(Effect.succeed(value)),
          onFailure: (_i, exit) => resume(exit as Exit.Exit<never, unknown>),
          onError: (_i, _n, error) => resume(Effect.fail(error)),
        }, prepared.transfer),
        call,
      )
      job.obs = obs
      core.enqueue([job])
      return Effect.sync(() => core.cancel([job]))
    })

  /** After the task and the pool were checked: the room, then the call, observed. */
  const start = (task: AnyTask, payload: unknown, call: CallTuning | undefined) =>
    Effect.withFiber((fiber): Effect.Effect<unknown, unknown> => {
      if (failWhenFull && !core.hasRoom(1)) {
        return Effect.fail(new QueueFull({ capacity: core.options.maxQueue!, timeoutMs: 0 }))
      }
      // Untraced (Effect's default tracer): no span to open, the observer is made here.
      if (fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) {
        return run(task, payload, call, untraced(task, fiber.context))
      }
      return observed(pool, callName, task, (obs) => run(task, payload, call, obs), onEvent)
    })

  return (task: unknown, payload: unknown, options: unknown): Effect.Effect<unknown, unknown> =>
    Effect.suspend(() => {
      // Checked in this order: the task, the pool open, the options, the room.
      if (!isTask(task)) return Effect.fail(notATask(task))
      if (core.closing) return Effect.fail(poolClosed("closed"))
      const t = task as unknown as AnyTask
      if (options === undefined) return start(t, payload, undefined)
      return Effect.flatMap(callTuning(options, "apply"), (call) => start(t, payload, call))
    })
}
