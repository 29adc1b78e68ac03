/**
 * The `Pool` object of `Pool.make`: every call checked, observed and turned
 * into jobs of the pool's `PoolCore`.
 *
 * @internal
 * @module
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { InvalidArgument, type PoolClosed, poolClosed, type PoolError, type WorkerCrashed } from "../../errors.ts"
import { checkKeys, durationMs, invalid, iterable, positiveInt } from "../../internal/arguments.ts"
import { QueueFull } from "../../ipc/errors.ts"
import { cpuCount } from "../../runtime_info.ts"
import { validate as validateTask } from "../../task/internal/validate.ts"
import type { AnyTask } from "../../task/Task.ts"
import type * as Task from "../../task/Task.ts"
import type { Transfer } from "../../task/transfer.ts"
import { preparePayload } from "../../worker/parent/outcome.ts"
import { type BroadcastResult, type CallOptions, mapOptionKeys, type MapOptions } from "../calls.ts"
import type { Pool } from "../interface.ts"
import { callTuning } from "./call.ts"
import type { PoolCore } from "./core.ts"
import { imapPull } from "./imap.ts"
import { startMap } from "./map.ts"
import { makeApply } from "./apply.ts"
import { makeJob } from "./model.ts"
import { observed, observedStream, observerHere } from "./observe.ts"
import { makeProgress } from "./progress.ts"
import { terminateAndFinalize } from "./finalize.ts"

const closedError = () => poolClosed("closed")

/** The `Pool` over `core`; `poolScope` owns the fibers of `submit` and `applyWithEvents`. */
export const makePool = (
  core: PoolCore,
  poolScope: Scope.Scope,
  fixed: boolean,
  failWhenFull: boolean,
  closeTimeoutMs?: number,
): Pool => {
  const checkOpen = <T>(task: T): Effect.Effect<T, InvalidArgument | PoolClosed> =>
    Effect.flatMap(validateTask(task), (t) => core.closing ? Effect.fail(closedError()) : Effect.succeed(t))

  /** With `onFull: "fail"`: `QueueFull` unless `n` more payloads fit now. */
  const checkRoom = (n: number): Effect.Effect<void, QueueFull> =>
    failWhenFull && !core.hasRoom(n)
      ? Effect.fail(new QueueFull({ capacity: core.options.maxQueue!, timeoutMs: 0 }))
      : Effect.void

  /** With `onFull: "wait"`: waits until the queue has room (interruptible, leaving nothing behind). */
  const waitRoom: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const cancel = core.whenRoom(() => resume(Effect.void))
    return Effect.sync(cancel)
  })

  const applyAs = (callName: string, onEvent?: (event: unknown) => void) =>
    makeApply(core, failWhenFull, callName, onEvent) as <P, A, E>(
      task: Task.Task<P, A, E>,
      payload?: P | Transfer<P>,
      options?: CallOptions,
    ) => Effect.Effect<A, E | PoolError | InvalidArgument>

  const apply = applyAs("Pool.apply")
  const applyForSubmit = applyAs("Pool.submit")

  const submit = <P, A, E>(task: Task.Task<P, A, E>, payload?: P | Transfer<P>, options?: CallOptions) => {
    const fork = Effect.suspend(() =>
      // Forked into a closed Scope the fiber would be interrupted; let it fail with PoolClosed instead.
      poolScope.state._tag === "Closed"
        ? Effect.forkDetach(applyForSubmit(task, payload, options), { startImmediately: true })
        : Effect.forkIn(applyForSubmit(task, payload, options), poolScope, { startImmediately: true })
    )
    return failWhenFull || core.options.maxQueue === undefined ? fork : Effect.andThen(waitRoom, fork)
  }

  const applyWithEvents = <P, A, E, Ev>(
    task: Task.Task<P, A, E> & Task.Emits<Ev>,
    payload?: P | Transfer<P>,
    options?: CallOptions,
  ) =>
    Effect.gen(function* () {
      const queue = yield* Queue.unbounded<Ev, Cause.Done>()
      const call = applyAs("Pool.applyWithEvents", (event) => Queue.offerUnsafe(queue, event as Ev))(
        task,
        payload,
        options,
      )
        .pipe(Effect.ensuring(Queue.end(queue)))
      const fiber = yield* poolScope.state._tag === "Closed"
        ? Effect.forkDetach(call, { startImmediately: true })
        : Effect.forkIn(call, poolScope, { startImmediately: true })
      return { events: Stream.fromQueue(queue), result: Fiber.join(fiber) }
    })

  const broadcast = <P, A, E>(task: Task.Task<P, A, E>, payload?: P) =>
    Effect.flatMap(
      checkOpen(task as unknown as AnyTask),
      (t) =>
        Effect.callback<Array<BroadcastResult<A, E | PoolError>>, PoolError>((resume) => {
          const prepared = preparePayload(t, payload)
          if (!prepared.ok) return resume(Effect.fail(prepared.error))
          const results: Array<BroadcastResult<A, E | PoolError>> = []
          let remaining = 0
          const jobs = core.broadcast((workerId) => {
            const i = results.length
            results.push({ workerId, exit: Exit.void as unknown as Exit.Exit<A, E | PoolError> })
            remaining++
            const done = (exit: Exit.Exit<A, E | PoolError>) => {
              results[i] = { workerId, exit }
              if (--remaining === 0) resume(Effect.succeed(results))
            }
            return makeJob(t, [prepared.value], 0, {
              onSuccess: (_i, value) => done(Exit.succeed(value as A)),
              onFailure: (_i, exit) => done(exit as Exit.Exit<never, E | PoolError>),
              onError: (_i, _n, error) => done(Exit.fail(error)),
            })
          })
          if (jobs.length === 0) return resume(Effect.succeed(results))
          return Effect.sync(() => core.cancel(jobs))
        }),
    ) as Effect.Effect<Array<BroadcastResult<A, E | PoolError>>, InvalidArgument | PoolClosed>

  const run = <P, A, E>(
    task: Task.Task<P, A, E>,
    payloads: Iterable<P | Transfer<P>>,
    options: MapOptions | undefined,
    defaultChunk: (n: number) => number,
    failFast: boolean,
  ): Effect.Effect<Array<unknown>, E | PoolError | InvalidArgument> =>
    Effect.flatMap(
      Effect.all([
        checkOpen(task as unknown as AnyTask),
        positiveInt("chunkSize", options?.chunkSize),
        iterable("payloads", payloads),
        callTuning(options, "map"),
        checkKeys("options", options, mapOptionKeys),
        options?.onProgress === undefined || typeof options.onProgress === "function"
          ? Effect.void
          : Effect.fail(invalid("onProgress", "a function", options.onProgress)),
      ]),
      ([t, chunkSize, _, call]) =>
        observed(core.options.name, failFast ? "Pool.map" : "Pool.mapExit", t, (obs) => {
          const items: ReadonlyArray<unknown> = Array.isArray(payloads) ? payloads : Array.from(payloads)
          const progress = options?.onProgress === undefined
            ? undefined
            : makeProgress(options.onProgress, items.length)
          const running = Effect.andThen(
            checkRoom(items.length),
            Effect.callback<Array<unknown>, E | PoolError>((resume) =>
              startMap(
                core,
                t,
                items,
                chunkSize ?? defaultChunk(items.length),
                failFast,
                resume as (result: Effect.Effect<Array<unknown>, unknown>) => void,
                obs,
                call,
                progress?.settled,
              )
            ),
          )
          return progress === undefined ? running : progress.around(running)
        }),
    )

  const defaultMapChunk = (n: number) => Math.max(1, Math.ceil(n / (4 * core.size)))

  const map = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    run(task, payloads, options, defaultMapChunk, true) as Effect.Effect<Array<A>, E | PoolError | InvalidArgument>

  const mapExit = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    run(task, payloads, options, defaultMapChunk, false).pipe(
      Effect.catch((e) =>
        e instanceof InvalidArgument ? Effect.fail(e) : Effect.succeed(
          Array.from(payloads as Iterable<unknown>, () => Exit.fail(e)),
        )
      ),
    ) as Effect.Effect<Array<Exit.Exit<A, E | PoolError>>, InvalidArgument>

  const imapWith = (unordered: boolean, exits = false) =>
  <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<P> | Stream.Stream<P, E2, R2>,
    options?: MapOptions,
  ): Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2> => {
    const isStream = Stream.isStream(input)
    return Stream.unwrap(Effect.map(
      Effect.all([
        checkOpen(task as unknown as AnyTask),
        positiveInt("chunkSize", options?.chunkSize),
        isStream ? Effect.void : iterable("input", input),
        callTuning(options, "map"),
        checkKeys("options", options, mapOptionKeys),
      ]),
      ([t, chunkSize, _, call]) => {
        const source: Stream.Stream<P, E2, R2> = isStream
          ? input as Stream.Stream<P, E2, R2>
          : Stream.fromIterable(input as Iterable<P>)
        const chunk = chunkSize ?? 1
        // Results are emitted in batches, so the stream's fibers suspend once per batch, not per item.
        const window = Math.max(16, core.size * 4) * chunk
        return observedStream(
          core.options.name,
          unordered ? "Pool.imapUnordered" : "Pool.imap",
          t,
          Stream.transformPull(
            source,
            (pull, scope) =>
              Effect.flatMap(
                observerHere(core.options.name, t),
                (obs) => imapPull(core, t, { chunk, window, unordered, obs, call, exits }, pull, scope),
              ),
          ),
        ) as Stream.Stream<A, E | E2 | PoolError, R2>
      },
    ))
  }

  return {
    get size() {
      return core.size
    },
    apply,
    submit,
    map,
    mapExit,
    starmap: map,
    imap: imapWith(false),
    imapUnordered: imapWith(true),
    imapExit: imapWith(false, true) as Pool["imapExit"],
    imapUnorderedExit: imapWith(true, true) as Pool["imapUnorderedExit"],
    stats: Effect.sync(() => core.stats()),
    statsStream: (interval) =>
      Stream.unwrap(Effect.map(
        durationMs("interval", interval, { positive: true }),
        (ms) => Stream.tick(ms ?? 1000).pipe(Stream.mapEffect(() => Effect.sync(() => core.stats()))),
      )),
    close: Effect.suspend(() => {
      core.closing = true
      const drained = Effect.callback<void>((resume) => core.onDrained(() => resume(Effect.void)))
      // With closeTimeout, what still runs then is terminated (it fails with PoolClosed).
      return closeTimeoutMs === undefined ? drained : Effect.ignore(Effect.timeout(drained, closeTimeoutMs))
    }).pipe(Effect.andThen(terminateAndFinalize(core))),
    terminate: terminateAndFinalize(core),
    applyWithEvents,
    ready: Effect.callback<void>((resume) => core.onReady(() => resume(Effect.void))).pipe(
      Effect.andThen(
        Effect.suspend((): Effect.Effect<void, WorkerCrashed | PoolClosed> =>
          core.broken !== undefined
            ? Effect.fail(core.broken)
            : core.closed
            ? Effect.fail(poolClosed("terminated"))
            : Effect.void
        ),
      ),
    ),
    broadcast,
    resize: (n: number) =>
      Effect.flatMap(
        positiveIntRequired("n", n),
        (n) => core.closing ? Effect.fail(closedError()) : Effect.sync(() => core.resize(n, fixed, cpuCount())),
      ),
  }
}

const positiveIntRequired = (argument: string, value: unknown): Effect.Effect<number, InvalidArgument> =>
  value === undefined
    ? Effect.fail(invalid(argument, "a positive integer", value))
    : positiveInt(argument, value) as Effect.Effect<number, InvalidArgument>
