/**
 * The implementation of `Barrier` (see `../Barrier.ts` for its documentation).
 *
 * @module
 */
import { shown, timeoutMs as checkTimeout } from "../../internal/arguments.ts"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import { InvalidArgument } from "../../errors.ts"
import { notifyAll, wait } from "../../internal/futex.ts"
import { guardedImport } from "../../internal/bootstrap.ts"
import { isWorkerThread } from "../../internal/worker_init.ts"
import { registerReviver, revive } from "../../internal/revive.ts"
import { BrokenBarrier, type BrokenBarrierReason } from "../errors.ts"
import * as mutex from "../../internal/mutex.ts"
import { hidden } from "../../internal/hidden.ts"
import { isTask, type Task } from "../../task/Task.ts"
import type { Barrier, BarrierOptions } from "../Barrier.ts"

const BRAND = "Barrier"
const MUTEX = 0
const COUNT = 1
const PHASE = 2
const REASON = 3
const PARTIES = 4
const ACTION = 5
const OUTCOME = 6
const HISTORY = 64
const WORDS = OUTCOME + HISTORY
const TRIPPED = 1
const RESET = 2
/** `ACTION` word: no action, an Effect kept by the thread that made the barrier, a Task. */
const NO_ACTION = 0
const LOCAL_ACTION = 1
const TASK_ACTION = 2
const REASONS: ReadonlyArray<BrokenBarrierReason> = [
  "aborted",
  "aborted",
  "timeout",
  "interrupted",
  "reset",
  "abandoned",
  "action-failed",
]
const code = (reason: BrokenBarrierReason): number => REASONS.indexOf(reason, 1)

/** A task action as it crosses into workers. */
interface ActionRef {
  readonly moduleUrl: string
  readonly name: string
  readonly payload: unknown
}

const TASKS = Symbol.for("@mp/multiprocessing/tasks")

/** Runs a Task action here: imports its module if this thread has not yet, then runs its handler. */
const runTaskAction = (ref: ActionRef): Effect.Effect<unknown, unknown> =>
  // In a worker, the import is remembered as one (a module without `if (import.meta.main)` may not start pools).
  Effect.flatMap(
    Effect.tryPromise(() => isWorkerThread() ? guardedImport(ref.moduleUrl) : import(ref.moduleUrl)),
    () => {
      const registry = (globalThis as Record<symbol, unknown>)[TASKS] as
        | Map<string, Task<unknown, unknown, unknown>>
        | undefined
      const task = registry?.get(`${ref.moduleUrl}#${ref.name}`)
      if (task === undefined) {
        return Effect.fail(new Error(`the action task "${ref.name}" is not defined in ${ref.moduleUrl}`))
      }
      return Effect.suspend(() => {
        const r = task.handler(ref.payload, {
          signal: new AbortController().signal,
          taskName: task.name,
          emit: () => {},
          addFinalizer: () => {
            throw new Error(
              `addFinalizer is for tasks run by a pool: the barrier action "${ref.name}" cannot register one`,
            )
          },
        })
        if (Effect.isEffect(r)) return r as Effect.Effect<unknown, unknown>
        if (typeof r === "object" && r !== null && typeof (r as PromiseLike<unknown>).then === "function") {
          return Effect.tryPromise(() => Promise.resolve(r))
        }
        return Effect.succeed(r)
      })
    },
  )

/** The class behind `Barrier`. */
export class BarrierImpl implements Barrier {
  /** The brand that lets the worker runtime revive a cloned barrier. */
  readonly __mp: "Barrier" = BRAND
  /** The memory holding the barrier's words. */
  readonly buffer: SharedArrayBuffer
  /** The default timeout of `wait`, in milliseconds (Infinity for none). */
  readonly timeoutMs: number
  /** The Task action, by reference (crosses into workers). */
  readonly actionTask: ActionRef | undefined
  declare readonly i32: Int32Array
  /** An Effect action: only in the thread that made the barrier. */
  declare readonly localAction: Effect.Effect<unknown, unknown> | undefined

  /** Use `make`. */
  constructor(
    buffer: SharedArrayBuffer,
    timeoutMs: number,
    actionTask?: ActionRef | undefined,
    localAction?: Effect.Effect<unknown, unknown> | undefined,
  ) {
    this.buffer = buffer
    this.timeoutMs = timeoutMs
    this.actionTask = actionTask === undefined
      ? undefined
      : { moduleUrl: actionTask.moduleUrl, name: actionTask.name, payload: actionTask.payload }
    hidden(this, "i32", new Int32Array(buffer))
    hidden(this, "localAction", localAction)
  }

  get parties(): number {
    return this.i32[PARTIES]
  }

  wait(): Effect.Effect<number, BrokenBarrier>
  /** With a timeout for this wait: a negative or malformed one is an `InvalidArgument`, `Infinity` waits for ever. */
  wait(options: BarrierOptions): Effect.Effect<number, BrokenBarrier | InvalidArgument>
  wait(options?: BarrierOptions): Effect.Effect<number, BrokenBarrier | InvalidArgument> {
    const i32 = this.i32
    const checked = checkTimeout("timeout", options?.timeout)
    if (typeof checked === "object") return Effect.fail(checked)
    const timeoutMs = checked ?? this.timeoutMs
    const start = performance.now()
    // The deadline holds while taking the barrier's mutex too (its word could hold garbage).
    const entered = (restore: mutex.Restore): Effect.Effect<void, BrokenBarrier> =>
      timeoutMs === Infinity ? this.locked(restore) : Effect.flatMap(
        Effect.timeoutOption(this.locked(restore), timeoutMs),
        (taken) => taken._tag === "Some" ? Effect.void : Effect.fail(new BrokenBarrier({ reason: "timeout" })),
      )
    return Effect.uninterruptibleMask((restore) => {
      const parties = i32[PARTIES]
      const deadline = start + timeoutMs
      const attempt: Effect.Effect<number, BrokenBarrier> = Effect.flatMap(
        entered(restore),
        (): Effect.Effect<number, BrokenBarrier> => {
          const phase = Atomics.load(i32, PHASE)
          if ((phase & 1) !== 0) return this.unlockAndFail()
          const generation = phase >>> 1
          if (Atomics.load(i32, COUNT) >= parties) {
            // The action of this round runs: this party belongs to the next round.
            mutex.unlock(i32, MUTEX)
            const left = deadline - performance.now()
            if (left <= 0) return Effect.fail(new BrokenBarrier({ reason: "timeout" }))
            return Effect.flatMap(restore(wait(i32, PHASE, phase, left)), () => attempt)
          }
          const index = Atomics.add(i32, COUNT, 1)
          if (index + 1 >= parties) {
            if (Atomics.load(i32, ACTION) === NO_ACTION) {
              this.tripLocked(generation)
              mutex.unlock(i32, MUTEX)
              return Effect.succeed(index)
            }
            mutex.unlock(i32, MUTEX)
            return this.runAction(restore, generation, index)
          }
          mutex.unlock(i32, MUTEX)
          const loop: Effect.Effect<number, BrokenBarrier> = Effect.suspend(() => {
            const now = Atomics.load(i32, PHASE)
            if (now >>> 1 !== generation) {
              return Atomics.load(i32, OUTCOME + (generation % HISTORY)) === TRIPPED
                ? Effect.succeed(index)
                : Effect.fail(new BrokenBarrier({ reason: "reset" }))
            }
            if ((now & 1) !== 0) return Effect.fail(this.brokenError())
            const left = deadline - performance.now()
            if (left <= 0) return this.breakIfCurrent(generation, "timeout")
            return Effect.flatMap(
              Effect.onInterrupt(
                restore(wait(i32, PHASE, now, left)),
                () => Effect.ignore(this.breakIfCurrent(generation, "interrupted")),
              ),
              () => loop,
            )
          })
          return loop
        },
      )
      return attempt
    })
  }

  /**
   * The tripping party of `generation` runs the action (interruptible), then
   * releases the others, unless the barrier was broken or reset meanwhile. A
   * failed or interrupted action breaks the barrier.
   */
  private runAction(
    restore: mutex.Restore,
    generation: number,
    index: number,
  ): Effect.Effect<number, BrokenBarrier> {
    const i32 = this.i32
    const action: Effect.Effect<unknown, unknown> = Atomics.load(i32, ACTION) === TASK_ACTION
      ? (this.actionTask === undefined
        ? Effect.fail(new Error("the barrier's action task did not cross into this worker"))
        : runTaskAction(this.actionTask))
      : (this.localAction ??
        Effect.fail(
          new Error(
            "the barrier's action is an Effect, which stays in the thread that made the barrier: " +
              "give a Task as the action to run it in any worker",
          ),
        ))
    return Effect.matchCauseEffect(restore(Effect.suspend(() => action)), {
      onSuccess: () =>
        Effect.flatMap(this.locked(), (): Effect.Effect<number, BrokenBarrier> => {
          const phase = Atomics.load(i32, PHASE)
          if (phase >>> 1 !== generation) {
            mutex.unlock(i32, MUTEX)
            return Effect.fail(new BrokenBarrier({ reason: "reset" }))
          }
          if ((phase & 1) !== 0) return this.unlockAndFail()
          this.tripLocked(generation)
          mutex.unlock(i32, MUTEX)
          return Effect.succeed(index)
        }),
      onFailure: (cause) => {
        const interrupted = Cause.hasInterruptsOnly(cause)
        return Effect.flatMap(this.locked(), (): Effect.Effect<never, BrokenBarrier> => {
          if (Atomics.load(i32, PHASE) >>> 1 === generation) {
            this.breakLocked(interrupted ? "interrupted" : "action-failed")
          }
          mutex.unlock(i32, MUTEX)
          if (interrupted) return Effect.failCause(cause as Cause.Cause<never>)
          return Effect.fail(new BrokenBarrier({ reason: "action-failed", detail: describe(cause) }))
        })
      },
    })
  }

  /** Releases the parties of `generation`; the caller holds the mutex. */
  private tripLocked(generation: number): void {
    const i32 = this.i32
    Atomics.store(i32, COUNT, 0)
    Atomics.store(i32, OUTCOME + (generation % HISTORY), TRIPPED)
    Atomics.store(i32, PHASE, ((generation + 1) << 1) >>> 0)
    notifyAll(i32, PHASE)
  }

  get abort(): Effect.Effect<void> {
    return Effect.uninterruptible(Effect.flatMap(this.locked(), () => {
      this.breakLocked("aborted")
      mutex.unlock(this.i32, MUTEX)
      return Effect.void
    }))
  }

  get reset(): Effect.Effect<void> {
    const i32 = this.i32
    return Effect.uninterruptible(Effect.flatMap(this.locked(), () => {
      const generation = Atomics.load(i32, PHASE) >>> 1
      Atomics.store(i32, COUNT, 0)
      Atomics.store(i32, REASON, 0)
      Atomics.store(i32, OUTCOME + (generation % HISTORY), RESET)
      Atomics.store(i32, PHASE, ((generation + 1) << 1) >>> 0)
      notifyAll(i32, PHASE)
      mutex.unlock(i32, MUTEX)
      return Effect.void
    }))
  }

  get nWaiting(): Effect.Effect<number> {
    return Effect.sync(() => Atomics.load(this.i32, COUNT))
  }

  get isBroken(): Effect.Effect<boolean> {
    return Effect.sync(() => (Atomics.load(this.i32, PHASE) & 1) !== 0)
  }

  get broken(): boolean {
    return (Atomics.load(this.i32, PHASE) & 1) !== 0
  }

  /**
   * Takes the barrier's own mutex. Its sections are synchronous, so a holder
   * that died mid-section is the only way to find it abandoned: break then.
   */
  private locked(restore?: mutex.Restore): Effect.Effect<void> {
    return Effect.map(mutex.lockStatus(this.i32, MUTEX, "barrier", restore, true), (abandoned) => {
      if (abandoned !== undefined) this.breakLocked("abandoned")
    })
  }

  /** Breaks the barrier; the caller holds the mutex. */
  private breakLocked(reason: BrokenBarrierReason): void {
    const i32 = this.i32
    if ((Atomics.load(i32, PHASE) & 1) !== 0) return
    Atomics.store(i32, REASON, code(reason))
    Atomics.or(i32, PHASE, 1)
    Atomics.store(i32, COUNT, 0)
    notifyAll(i32, PHASE)
  }

  /** Breaks the barrier if it is still in `generation`, and fails. */
  private breakIfCurrent(generation: number, reason: BrokenBarrierReason): Effect.Effect<never, BrokenBarrier> {
    return Effect.flatMap(this.locked(), () => {
      if (Atomics.load(this.i32, PHASE) >>> 1 === generation) this.breakLocked(reason)
      mutex.unlock(this.i32, MUTEX)
      return Effect.fail(this.brokenError())
    })
  }

  /** Releases the mutex and fails with the reason the barrier is broken. */
  private unlockAndFail(): Effect.Effect<never, BrokenBarrier> {
    const error = this.brokenError()
    mutex.unlock(this.i32, MUTEX)
    return Effect.fail(error)
  }

  /** The error for the reason the barrier is broken. */
  private brokenError(): BrokenBarrier {
    return new BrokenBarrier({ reason: REASONS[Atomics.load(this.i32, REASON)] ?? "aborted" })
  }
}

/** A barrier in fresh shared memory, or `InvalidArgument` for an action that is neither an Effect nor a task. */
export const makeBarrier = (
  parties: number,
  timeoutMs: number,
  action: unknown,
): BarrierImpl | InvalidArgument => {
  const ref: ActionRef | undefined = isTask(action)
    ? { moduleUrl: action.moduleUrl, name: action.name, payload: undefined }
    : isTaskAction(action)
    ? { moduleUrl: action.task.moduleUrl, name: action.task.name, payload: action.payload }
    : undefined
  if (action !== undefined && ref === undefined && !Effect.isEffect(action)) {
    return new InvalidArgument({
      argument: "action",
      message: `action must be an Effect, a Task taking no payload or { task, payload }, got ${shown(action)}`,
    })
  }
  const buffer = new SharedArrayBuffer(4 * WORDS)
  const i32 = new Int32Array(buffer)
  i32[PARTIES] = parties
  i32[ACTION] = action === undefined ? NO_ACTION : ref !== undefined ? TASK_ACTION : LOCAL_ACTION
  return ref !== undefined
    ? new BarrierImpl(buffer, timeoutMs, ref)
    : new BarrierImpl(buffer, timeoutMs, undefined, action as Effect.Effect<unknown, unknown> | undefined)
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as BarrierImpl
  const a = p.actionTask
  return new BarrierImpl(p.buffer, p.timeoutMs, a === undefined ? undefined : { ...a, payload: revive(a.payload) })
})

/** The failure of an action, in a few words. */
const describe = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause)
  if (e instanceof Error) return `${e.name}: ${e.message}`
  if (typeof e === "object" && e !== null && "_tag" in e) return String((e as { _tag: unknown })._tag)
  return String(e)
}

const isTaskAction = (u: unknown): u is { readonly task: Task<unknown, unknown, unknown>; readonly payload: unknown } =>
  typeof u === "object" && u !== null && !Effect.isEffect(u) && isTask((u as { task: unknown }).task)
