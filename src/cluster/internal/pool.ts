/**
 * The cluster pool: the library's `Pool` interface over a `Dispatcher`. A
 * call is one or more chunks; `close` waits for the calls running,
 * `terminate` fails them with `PoolClosed`. Per-call options: `timeout`
 * (replaces `taskTimeout` for the call), `priority` (the runners' local
 * queues) and `key` (affinity: one runner, one worker there); what does not
 * make sense across machines is refused with `InvalidArgument`.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import { InvalidArgument, PoolClosed, type PoolError } from "../../errors.ts"
import { durationMs, invalid } from "../../internal/arguments.ts"
import type { ApplyArgs, MapOptions, Pool, PoolStats } from "../../pool/Pool.ts"
import type * as Task from "../../task/Task.ts"
import { validate as validateTask } from "../../task/internal/validate.ts"
import type { Transfer } from "../../task/transfer.ts"
import type { CallSettings, Dispatcher } from "./client.ts"
import { callKeys, callSettings, mapKeys } from "./options.ts"

type AnyTask = Task.AnyTask

const toStream = (input: Iterable<unknown> | Stream.Stream<unknown, unknown, unknown>) =>
  Stream.isStream(input) ? input : Stream.fromIterable(input)

const closedError = (reason: PoolClosed["reason"] = "closed") =>
  new PoolClosed({ reason, message: `The cluster pool is ${reason}: it takes no more work` })

/** What a cluster pool refuses, and why (the README's "Past one machine" says the same). */
export const refusal = (what: string, why: string): InvalidArgument =>
  new InvalidArgument({ argument: what, message: `${what} is not available on a cluster pool: ${why}` })

/** A chunk's settings: a map's `timeout` is per payload, so a chunk of `n` gets `n` times it. */
const forChunk = (call: CallSettings, n: number): CallSettings =>
  call.timeoutMs === undefined ? call : { ...call, timeoutMs: call.timeoutMs * n }

/**
 * How many more items `imap` and the `imap*Exit` streams read ahead when they send items one by one: the ones that wait
 * for a free worker travel together (`coalesce.ts`), so a long stream of small items costs a few messages per worker.
 */
const READ_AHEAD = 32

/** The pool; `poolScope` holds the fibers of `submit`. */
export const makePool = (
  dispatcher: Dispatcher,
  concurrency: number | undefined,
  poolScope: Scope.Scope,
): Pool => {
  /** The cluster's workers now (runners come and go), or `concurrency` when it is given. */
  const size = (): number => concurrency ?? Math.max(1, dispatcher.workers())
  /**
   * Chunks one call keeps in flight: `concurrency`, or twice the cluster's workers at the call's start (at least
   * 16), so every worker is busy and the next chunk waits at the caller for the first that frees.
   */
  const perCall = (): number => concurrency ?? Math.max(16, 2 * dispatcher.workers())
  let closing = false
  let inFlight = 0
  const counts = { completed: 0, failed: 0 }
  const drained: Array<() => void> = []
  // Failed by `terminate`: every running call fails with PoolClosed (a waiter leaves it when its call ends).
  // (A Set, not a Deferred: a Deferred's waiter leaves in O(waiters), so 20,000 calls cost O(n²) to finish.)
  let terminated = false
  const onTerminate = new Set<() => void>()
  const untilTerminated: Effect.Effect<never, PoolClosed> = Effect.callback((resume) => {
    const fail = () => resume(Effect.fail(closedError("terminated")))
    if (terminated) return fail()
    onTerminate.add(fail)
    return Effect.sync(() => onTerminate.delete(fail))
  })

  /** Runs `effect` as one call: counted for `close`, failed with `PoolClosed` by `terminate`. */
  const tracked = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | PoolClosed> =>
    Effect.suspend(() => {
      if (closing) return Effect.fail(closedError())
      inFlight++
      return Effect.raceFirst(
        effect,
        untilTerminated,
      ).pipe(Effect.ensuring(Effect.sync(() => {
        if (--inFlight === 0) drained.splice(0).forEach((f) => f())
      })))
    })

  const runChunk = (t: AnyTask, items: ReadonlyArray<unknown>, call: CallSettings) =>
    Effect.tap(dispatcher.run(t, items, forChunk(call, items.length)), (exits) =>
      Effect.sync(() => {
        for (const e of exits) Exit.isSuccess(e) ? counts.completed++ : counts.failed++
      }))

  /** The values of a chunk, or its first failure. */
  const valuesOf = (exits: Array<Exit.Exit<unknown, unknown>>): Effect.Effect<Array<unknown>, unknown> => {
    const values: Array<unknown> = []
    for (const e of exits) {
      if (Exit.isFailure(e)) return Effect.failCause(e.cause)
      values.push(e.value)
    }
    return Effect.succeed(values)
  }

  const checkTask = (task: unknown) => validateTask(task as AnyTask)

  /** chunkSize, onProgress and the call's settings of map-like options. */
  const mapSettings = (options: MapOptions | undefined) =>
    Effect.flatMap(callSettings(options, mapKeys), (call) => {
      const n = options?.chunkSize
      if (n !== undefined && !(Number.isInteger(n) && n > 0)) {
        return Effect.fail(invalid("chunkSize", "a positive integer", n))
      }
      const onProgress = options?.onProgress
      if (onProgress !== undefined && typeof onProgress !== "function") {
        return Effect.fail(invalid("onProgress", "a function", onProgress))
      }
      // `runnerTimeout` counts from the call's start, not each chunk's: chunks that waited for a free runner fail together.
      return Effect.succeed({ chunkSize: n, onProgress, call: { ...call, since: performance.now() } })
    })

  const checkIterable = (argument: string, u: unknown): Effect.Effect<Array<unknown>, InvalidArgument> =>
    typeof u === "object" && u !== null && Symbol.iterator in u
      ? Effect.sync(() => Array.from(u as Iterable<unknown>))
      : Effect.fail(invalid(argument, "an iterable", u))

  const split = (items: ReadonlyArray<unknown>, chunk: number): Array<ReadonlyArray<unknown>> => {
    const chunks: Array<ReadonlyArray<unknown>> = []
    for (let i = 0; i < items.length; i += chunk) chunks.push(items.slice(i, i + chunk))
    return chunks
  }

  const apply = <P, A, E>(task: Task.Task<P, A, E>, ...args: ApplyArgs<P>) =>
    Effect.flatMap(
      Effect.all([checkTask(task), callSettings(args[1], callKeys)]),
      ([t, call]) => tracked(Effect.flatMap(runChunk(t, [args[0]], { ...call, coalesce: true }), (exits) => exits[0])),
    ) as Effect.Effect<A, E | PoolError | InvalidArgument>

  const submit = <P, A, E>(task: Task.Task<P, A, E>, ...payload: ApplyArgs<P>) =>
    Effect.suspend(() =>
      poolScope.state._tag === "Closed"
        ? Effect.forkDetach(apply(task, ...payload), { startImmediately: true })
        : Effect.forkIn(apply(task, ...payload), poolScope, { startImmediately: true })
    ) as Effect.Effect<Fiber.Fiber<A, E | PoolError | InvalidArgument>>

  /** Checks a map-like call and splits its payloads into chunks. */
  const prepare = (task: unknown, payloads: unknown, options: MapOptions | undefined) =>
    Effect.map(
      Effect.all([checkTask(task), mapSettings(options), checkIterable("payloads", payloads)]),
      ([t, { chunkSize, onProgress, call }, items]) => ({
        task: t,
        onProgress,
        call,
        total: items.length,
        // By default four chunks per worker of the cluster, as a local pool does per worker: fewer, larger chunks
        // cost fewer round trips.
        chunks: split(items, chunkSize ?? Math.max(1, Math.ceil(items.length / (4 * size())))),
      }),
    )

  /** Runs the chunks `perCall()` at a time, reporting progress (never concurrently) as chunks settle. */
  const runAll = <R, E>(
    { task, onProgress, call, total, chunks }: Effect.Success<ReturnType<typeof prepare>>,
    each: (exits: Array<Exit.Exit<unknown, unknown>>) => Effect.Effect<Array<R>, E>,
  ): Effect.Effect<Array<R>, E> => {
    if (onProgress === undefined) {
      return Effect.map(
        Effect.forEach(chunks, (c) => Effect.flatMap(runChunk(task, c, call), each), { concurrency: perCall() }),
        (parts) => parts.flat(),
      )
    }
    const progress = Semaphore.makeUnsafe(1)
    let done = 0
    const report = (n: number) =>
      Effect.suspend(() => {
        done += n
        return progress.withPermits(1)(onProgress(done, total))
      })
    return total === 0 ? Effect.as(onProgress(0, 0), []) : Effect.map(
      Effect.forEach(
        chunks,
        (c) => Effect.flatMap(runChunk(task, c, call), (exits) => Effect.tap(each(exits), () => report(c.length))),
        { concurrency: perCall() },
      ),
      (parts) => parts.flat(),
    )
  }

  const map = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    Effect.flatMap(
      prepare(task, payloads, options),
      (prepared) => tracked(runAll(prepared, valuesOf)),
    ) as Effect.Effect<
      Array<A>,
      E | PoolError | InvalidArgument
    >

  const mapExit = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    Effect.flatMap(prepare(task, payloads, options), (prepared) =>
      tracked(runAll(prepared, Effect.succeed)).pipe(
        Effect.catchTag(
          "PoolClosed",
          (e) => Effect.succeed(Array.from({ length: prepared.total }, () => Exit.fail(e))),
        ),
      )) as Effect.Effect<Array<Exit.Exit<A, E | PoolError>>, InvalidArgument>

  const imapWith = (unordered: boolean) =>
  <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<P> | Stream.Stream<P, E2, R2>,
    options?: MapOptions,
  ): Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2> =>
    Stream.unwrap(Effect.map(
      Effect.all([
        checkTask(task),
        mapSettings(options),
        Stream.isStream(input) ? Effect.void : checkIterable("input", input),
      ]),
      ([t, { chunkSize, call }]) =>
        (Stream.isStream(input) ? input : Stream.fromIterable(input as Iterable<P>)).pipe(
          Stream.grouped(chunkSize ?? 1),
          // With no chunkSize, items are separate calls: those that wait for a free worker travel together
          // (coalesce.ts), so more are read ahead for them to gather.
          // Each chunk's outcome is kept as an Exit until its turn: a failing chunk fails the stream only after
          // every result before it is out (`imap`), not as soon as it fails while earlier chunks still run.
          Stream.mapEffect(
            (c) =>
              Effect.exit(
                tracked(
                  Effect.flatMap(
                    runChunk(t, c, chunkSize === undefined ? { ...call, coalesce: true } : call),
                    valuesOf,
                  ),
                ),
              ),
            { concurrency: chunkSize === undefined ? READ_AHEAD * perCall() : perCall(), unordered },
          ),
          Stream.mapEffect((exit) => exit),
          Stream.flattenIterable,
        ) as Stream.Stream<A, E | E2 | PoolError, R2>,
    ))

  /** One call per payload, `READ_AHEAD * perCall()` at a time (they travel together when they wait). */
  const exitsWith =
    (unordered: boolean) =>
    (task: AnyTask, input: Iterable<unknown> | Stream.Stream<unknown, unknown, unknown>, options?: MapOptions) =>
      Stream.unwrap(Effect.map(
        Effect.all([checkTask(task), mapSettings(options)]),
        ([t, { call }]) =>
          toStream(input).pipe(
            Stream.mapEffect(
              (p) =>
                Effect.map(
                  Effect.exit(
                    tracked(Effect.flatMap(runChunk(t, [p], { ...call, coalesce: true }), (exits) => exits[0])),
                  ),
                  (exit) => unordered ? [p, exit] as const : exit,
                ),
              { concurrency: READ_AHEAD * perCall(), unordered },
            ),
          ),
      ))

  const stats: Effect.Effect<PoolStats> = Effect.map(dispatcher.runnersAlive, (alive) => ({
    workersAlive: alive,
    workersBusy: dispatcher.load().running,
    queued: dispatcher.load().waiting,
    running: inFlight,
    completed: counts.completed,
    failed: counts.failed,
    workersReplaced: 0,
    interrupted: 0,
    stuckThreads: 0,
  }))

  const stop = Effect.suspend(() => {
    closing = true
    terminated = true
    const waiting = [...onTerminate]
    onTerminate.clear()
    waiting.forEach((fail) => fail())
    return Effect.void
  })
  return {
    get size() {
      return size()
    },
    apply,
    applyWithEvents: () =>
      Effect.succeed({
        events: Stream.empty,
        result: Effect.fail(
          refusal("applyWithEvents", "task events do not cross machines (use apply; the events are not sent)"),
        ),
      }),
    ready: Effect.void,
    imapExit: exitsWith(false) as unknown as Pool["imapExit"],
    imapUnorderedExit: exitsWith(true) as unknown as Pool["imapUnorderedExit"],
    statsStream: (interval) =>
      Stream.unwrap(Effect.map(
        durationMs("interval", interval, { positive: true }),
        (ms) => Stream.tick(ms ?? 1000).pipe(Stream.mapEffect(() => stats)),
      )) as ReturnType<Pool["statsStream"]>,
    resize: () =>
      Effect.fail(refusal("resize", "each runner sizes its own pool (--workers); add or stop runners instead")),
    broadcast: () =>
      Effect.fail(
        refusal("broadcast", "the cluster does not address single workers (use an initializer on the runners)"),
      ),
    submit,
    map,
    mapExit,
    starmap: map as Pool["starmap"],
    imap: imapWith(false),
    imapUnordered: imapWith(true),
    stats,
    close: Effect.suspend(() => {
      closing = true
      return inFlight === 0 ? Effect.void : Effect.callback<void>((resume) => {
        drained.push(() => resume(Effect.void))
      })
    }).pipe(Effect.andThen(stop)),
    terminate: stop,
  }
}
