/**
 * `imap` and `imapUnordered` as a pull-based stream over the pool core.
 *
 * Plain code does the work: results are stored by index as they arrive, the
 * next payloads are sent from the callback that received results, and the
 * downstream pull takes every result that is ready at once (one array per
 * wake-up, not one element per pull). So the fibers that live as long as the
 * stream suspend once per batch of results, not once per item: on Deno,
 * Effect 4.1 keeps an `AsyncResource` (about 450 bytes) for every suspension
 * of a fiber until that fiber ends, and a million-item stream that suspended
 * per item would hold over a gigabyte.
 *
 * Bounded: at most `window` items are sent and not yet emitted (the base
 * window, grown to about 20 ms of results at the rate they come out, at most
 * 4,096), plus one upstream chunk waiting to be sent, whatever the input's
 * length.
 *
 * Failures: ordered, the stream fails at the first failing index in input
 * order, after emitting every result before it (jobs before that index run
 * on, those after it are cancelled); unordered, it fails after emitting what
 * had finished. A failing input counts as a failure at its end.
 *
 * @internal
 * @module
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import { poolClosed, type PoolError } from "../../errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import { prepareItems, type Receiver } from "../../worker/parent/outcome.ts"
import type { PoolCore } from "./core.ts"
import { type CallTuning, type Job, makeJob, tune } from "./model.ts"
import type { Observer } from "./observe.ts"

/** The most items one imap stream keeps sent and not yet emitted. */
const MAX_WINDOW = 4096
/** How many milliseconds of results (at the observed rate) one imap stream keeps in flight. */
const WINDOW_MS = 20

/** Options of one imap stream. */
export interface ImapOptions {
  readonly chunk: number
  readonly window: number
  readonly unordered: boolean
  /** The stream's observer (see `observe.ts`). */
  readonly obs?: Observer | undefined
  /** The call's `timeout` and `priority`, for each job. */
  readonly call?: CallTuning | undefined
  /**
   * Emit one `Exit` per payload instead of failing at the first failing item
   * (`imapExit`); with `unordered`, each paired with its payload (`[payload, exit]`).
   * The stream then fails only when its input fails or the pool closes.
   */
  readonly exits?: boolean | undefined
}

/**
 * Turns the upstream pull of payloads into a pull of results, running the
 * payloads on the pool.
 */
export const imapPull = <E>(
  core: PoolCore,
  task: AnyTask,
  options: ImapOptions,
  upstream: Pull.Pull<Arr.NonEmptyReadonlyArray<unknown>, E, void>,
  scope: Scope.Scope,
): Effect.Effect<Pull.Pull<Arr.NonEmptyReadonlyArray<unknown>, E | PoolError>> =>
  Effect.gen(function* () {
    const { chunk, unordered } = options
    // Room for about WINDOW_MS of results at the rate they are emitted, so tiny tasks travel in
    // batches (and the stream's fibers wake once per batch); never less than the base window,
    // never more than MAX_WINDOW items.
    let window = options.window
    let emitted = 0
    let firstEmitAt = 0
    const exits = options.exits === true
    /** `imapUnorderedExit`: the payload of each item in flight, to pair with its Exit. */
    const payloadOf = exits && unordered ? new Map<number, unknown>() : undefined
    /** What is emitted for item `index` in `exits` mode. */
    const outcome = (index: number, exit: Exit.Exit<unknown, unknown>): unknown => {
      if (payloadOf === undefined) return exit
      const payload = payloadOf.get(index)
      payloadOf.delete(index)
      return [payload, exit]
    }
    const grow = (): void => {
      if (emitted < window) return
      const rate = emitted / Math.max(1, performance.now() - firstEmitAt)
      window = Math.max(options.window, Math.min(MAX_WINDOW, Math.ceil(rate * WINDOW_MS)))
    }
    let backlog: Array<unknown> = []
    let backlogHead = 0
    let upstreamDone = false
    /** Terminal: nothing more is emitted (unordered: after what had finished before it). */
    let failure: Cause.Cause<E | PoolError> | undefined
    /**
     * Ordered: the first failing index in input order (a task's failure, a crash, a payload
     * that cannot be encoded, the input's own failure at its end). Every result before it
     * is still emitted, as Python's `imap` yields them before it raises; then the stream fails.
     */
    let pending: { readonly index: number; readonly cause: Cause.Cause<E | PoolError> } | undefined
    let nextIndex = 0 // index of the next payload to send
    let nextEmit = 0 // ordered: index of the next result to emit
    let inFlight = 0 // sent and not settled
    const ordered = new Map<number, unknown>()
    let out: Array<unknown> = []
    const live = new Set<Job>()
    let consumer: (() => void) | undefined
    let feeder: (() => void) | undefined

    // Results of one message arrive in several callbacks: wake the consumer once, after all of them.
    let wakeScheduled = false
    const wakeNow = (): void => {
      wakeScheduled = false
      const c = consumer
      consumer = undefined
      c?.()
    }
    const wake = (): void => {
      if (wakeScheduled || consumer === undefined) return
      wakeScheduled = true
      queueMicrotask(wakeNow)
    }
    const wakeFeeder = (): void => {
      const f = feeder
      feeder = undefined
      f?.()
    }
    const fail = (cause: Cause.Cause<E | PoolError>): void => {
      if (failure !== undefined) return
      failure = cause
      core.cancel(Array.from(live))
      live.clear()
      wake()
      wakeFeeder()
    }
    /**
     * Item `index` failed with `cause`. Unordered: the stream fails once what had finished is
     * emitted. Ordered: it fails once every result before `index` is emitted; jobs that lie
     * wholly at or after the first failing index are cancelled, the others run on.
     */
    const failAt = (index: number, cause: Cause.Cause<E | PoolError>): void => {
      if (failure !== undefined) return
      if (unordered) return fail(cause)
      if (pending !== undefined && pending.index <= index) return
      pending = { index, cause }
      const stale: Array<Job> = []
      for (const job of live) {
        if (job.offset >= index) {
          stale.push(job)
          live.delete(job)
        }
      }
      core.cancel(stale)
      wake()
      wakeFeeder()
    }
    /** Items sent and not yet emitted. */
    const outstanding = (): number => unordered ? inFlight + out.length : nextIndex - nextEmit
    const backlogSize = (): number => backlog.length - backlogHead

    const settle = (index: number, value: unknown): void => {
      if (unordered) out.push(value)
      else ordered.set(index, value)
    }

    /** The receiver of one job: it leaves `live` once its `size` items are settled. */
    const receiverFor = (size: number): { job: { current: Job | undefined }; sink: Receiver } => {
      let reported = 0
      const job: { current: Job | undefined } = { current: undefined }
      const done = (n: number): void => {
        reported += n
        inFlight -= n
        if (reported >= size && job.current !== undefined) live.delete(job.current)
      }
      return {
        job,
        sink: {
          onSuccess: (index, value) => {
            if (failure !== undefined) return
            settle(index, exits ? outcome(index, Exit.succeed(value)) : value)
            done(1)
            arrived()
          },
          onFailure: (index, exit) => {
            if (failure !== undefined) return
            if (exits) settle(index, outcome(index, exit))
            else failAt(index, (exit as Exit.Failure<never, E | PoolError>).cause)
            if (failure !== undefined) return
            done(1)
            arrived()
          },
          onError: (index, count, error) => {
            if (failure !== undefined) return
            if (exits) {
              const exit = Exit.fail(error)
              for (let i = 0; i < count; i++) settle(index + i, outcome(index + i, exit))
              done(count)
              return arrived()
            }
            done(count)
            failAt(index, Cause.fail(error))
          },
        },
      }
    }

    // Results of one message arrive in several calls: send and wake once, after all of them.
    let arrivalScheduled = false
    const afterArrivals = (): void => {
      arrivalScheduled = false
      send()
      wake()
    }
    const arrived = (): void => {
      if (arrivalScheduled) return
      arrivalScheduled = true
      queueMicrotask(afterArrivals)
    }

    /** Sends payloads from the backlog while the window has room. */
    const send = (): void => {
      if (failure !== undefined) return
      grow()
      // Ordered, after a failure: only what precedes the failing index is still sent.
      const limit = (): number => pending === undefined ? Infinity : pending.index - nextIndex
      if (core.closing && backlogSize() > 0 && limit() > 0) {
        return failAt(nextIndex, Cause.fail(poolClosed("closed")))
      }
      const jobs: Array<Job> = []
      let notEncoded: PoolError | undefined
      while (notEncoded === undefined && outstanding() < window && limit() > 0) {
        const available = backlogSize()
        if (available === 0 || (available < chunk && !upstreamDone)) break
        const n = Math.min(chunk, available, window - outstanding(), limit())
        const prepared = prepareItems(task, backlog, backlogHead, backlogHead + n)
        // How many items of the chunk are sent: all, or those before one that cannot be encoded.
        const good = prepared.payloads.length
        if (payloadOf !== undefined) {
          for (let i = 0; i < good; i++) payloadOf.set(nextIndex + i, backlog[backlogHead + i])
        }
        backlogHead += prepared.error === undefined ? n : good
        notEncoded = prepared.error
        if (good > 0) {
          const { job, sink } = receiverFor(good)
          job.current = tune(
            makeJob(task, prepared.payloads, nextIndex, sink, prepared.transfer, prepared.transfers),
            options.call,
          )
          nextIndex += good
          inFlight += good
          live.add(job.current)
          jobs.push(job.current)
        }
        if (exits && notEncoded !== undefined) {
          // This payload fails alone: its Exit is emitted in its place and the rest goes on.
          if (payloadOf !== undefined) payloadOf.set(nextIndex, backlog[backlogHead])
          settle(nextIndex, outcome(nextIndex, Exit.fail(notEncoded)))
          nextIndex++
          backlogHead++
          notEncoded = undefined
        }
      }
      if (backlogHead > 0 && backlogHead === backlog.length) {
        backlog = []
        backlogHead = 0
      }
      if (jobs.length > 0) {
        if (options.obs !== undefined) { for (const job of jobs) job.obs = options.obs }
        core.enqueue(jobs)
      }
      // The items before it were sent; the stream fails at this one's index.
      if (notEncoded !== undefined) return failAt(nextIndex, Cause.fail(notEncoded))
      if (backlogSize() < chunk) wakeFeeder()
    }

    const waitFor = (set: (resume: () => void) => void, clear: () => void) =>
      Effect.callback<void>((resume) => {
        set(() => resume(Effect.void))
        return Effect.sync(clear)
      })

    // The feeder pulls payloads from upstream whenever the backlog runs short.
    const feed = Effect.gen(function* () {
      while (failure === undefined && pending === undefined && !upstreamDone) {
        if (backlogSize() >= chunk || outstanding() >= window) {
          yield* waitFor((r) => feeder = r, () => feeder = undefined)
          continue
        }
        const exit = yield* Effect.exit(upstream)
        if (Exit.isSuccess(exit)) {
          for (const x of exit.value) backlog.push(x)
        } else {
          upstreamDone = true
          // The input failed after the items pulled so far: they still run (ordered: and are
          // emitted) before the stream fails with the input's error.
          if (!Pull.isDoneCause(exit.cause)) failAt(nextIndex + backlogSize(), exit.cause as Cause.Cause<E>)
        }
        send()
        wake()
      }
    })
    yield* Effect.forkIn(feed, scope)
    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => {
        if (failure === undefined) failure = Cause.interrupt()
        core.cancel(Array.from(live))
        live.clear()
      }),
    )

    const take = (): Array<unknown> => {
      if (unordered) {
        const ready = out
        out = []
        return ready
      }
      const ready: Array<unknown> = []
      const end = pending === undefined ? Infinity : pending.index
      while (nextEmit < end && ordered.has(nextEmit)) {
        ready.push(ordered.get(nextEmit))
        ordered.delete(nextEmit++)
      }
      return ready
    }

    const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<unknown>, E | PoolError | Cause.Done> = Effect.suspend(
      function loop(): Effect.Effect<Arr.NonEmptyReadonlyArray<unknown>, E | PoolError | Cause.Done> {
        // Unordered: what finished before the failure is still emitted.
        if (failure !== undefined && (!unordered || out.length === 0)) return Effect.failCause(failure)
        const ready = take()
        if (ready.length > 0) {
          if (emitted === 0) firstEmitAt = performance.now()
          emitted += ready.length
          send() // emitting made room in the window
          return Effect.succeed(ready as unknown as Arr.NonEmptyReadonlyArray<unknown>)
        }
        if (pending !== undefined && nextEmit >= pending.index) {
          fail(pending.cause)
          return Effect.failCause(pending.cause)
        }
        if (upstreamDone && backlogSize() === 0 && inFlight === 0) return Cause.done()
        return Effect.flatMap(waitFor((r) => consumer = r, () => consumer = undefined), loop)
      },
    )
    return pull
  })
