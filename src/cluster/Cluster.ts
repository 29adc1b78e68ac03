/**
 * A Pool whose workers are other machines: `Cluster.pool(options)` gives the
 * library's `Pool` interface (`apply`, `submit`, `map`, `mapExit`,
 * `starmap`, `imap`, `imapUnordered`, `stats`, `close`, `terminate`), backed
 * by `effect/cluster`. Runners (`deno task runner`) coordinate through
 * PostgreSQL and run each chunk on their own local pool; tasks travel over
 * TCP as `node:v8` bytes, found on the runner by module URL and name, as a
 * local worker finds them (the same code must sit at the same path on every
 * machine).
 *
 * Delivery is at least once: a chunk whose runner dies is run again by the
 * runner that takes its shards over, so tasks should be idempotent.
 *
 * @module
 */
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { InvalidArgument, PoolClosed, type PoolError } from "../errors.ts"
import { durationMs, invalid, timeoutMs } from "../internal/arguments.ts"
import { type ApplyArgs, type MapOptions, type Pool, type PoolStats, Service as PoolService } from "../pool/Pool.ts"
import type * as Task from "../task/Task.ts"
import { validate as validateTask } from "../task/internal/validate.ts"
import type { Transfer } from "../task/transfer.ts"
import type { ClusterUnavailable } from "./errors.ts"
import { type Dispatcher, makeDispatcher } from "./internal/client.ts"

type AnyTask = Task.AnyTask

/**
 * Options of `Cluster.pool`.
 *
 * @example
 * ```ts
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * const options: Cluster.ClusterPoolOptions = {
 *   url: "postgres://postgres@db:5432/mp",
 *   taskTimeout: "1 minute",
 *   runnerTimeout: "30 seconds",
 * }
 * ```
 */
export interface ClusterPoolOptions {
  /** The PostgreSQL URL the runners use. */
  readonly url: string
  /**
   * Required: the longest one chunk (one `apply`, or one chunk of a `map`)
   * may take from sending to its reply, including a runner's failover; past
   * it every payload of the chunk fails with `TaskTimeout`.
   */
  readonly taskTimeout: Duration.Input
  /**
   * How long a call waits for a runner to be alive before it fails with
   * `WorkerCrashed` (default 30 seconds).
   */
  readonly runnerTimeout?: Duration.Input | undefined
  /**
   * Chunks in flight at once per call (default 16). It is also the pool's
   * `size`, from which `map` picks its default chunk size,
   * `ceil(n / (4 × size))`.
   */
  readonly concurrency?: number | undefined
  /**
   * How a chunk reaches its runner; both are at least once (tasks should be
   * idempotent). `"stored"` (default): written to PostgreSQL first, and read
   * from there again by the runner that takes the shards of a dead runner
   * over (~10 ms per round trip measured here). `"direct"`: sent straight
   * over TCP and never stored; the caller sends it again to the runner that
   * takes over (~2.5 ms per round trip).
   */
  readonly delivery?: "stored" | "direct" | undefined
}

const toStream = (input: Iterable<unknown> | Stream.Stream<unknown, unknown, unknown>) =>
  Stream.isStream(input) ? input : Stream.fromIterable(input)

const closedError = (reason: PoolClosed["reason"] = "closed") =>
  new PoolClosed({ reason, message: `The cluster pool is ${reason}: it takes no more work` })

/**
 * Connects to a cluster and returns a `Pool` whose tasks run on its runners.
 * The connection closes with the Scope; calls still running then fail with
 * `PoolClosed`. Fails with `ClusterUnavailable` when the cluster's
 * PostgreSQL cannot be reached, and `InvalidArgument` for bad options.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * declare const square: mp.Task.Task<number, number> // exported by a module every runner has at the same path
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* Cluster.pool({ url: "postgres://postgres@db:5432/mp", taskTimeout: "1 minute" })
 *   console.log(yield* pool.map(square, [1, 2, 3])) // [1, 4, 9]
 * }))
 * ```
 */
export const pool: (
  options: ClusterPoolOptions,
) => Effect.Effect<Pool, InvalidArgument | ClusterUnavailable, Scope.Scope> = Effect.fn(
  "Cluster.pool",
)(function* (options: ClusterPoolOptions) {
  if (typeof options !== "object" || options === null) return yield* invalid("options", "an object", options)
  if (typeof options.url !== "string" || !/^postgres(ql)?:\/\//.test(options.url)) {
    return yield* invalid("url", "a postgres:// URL", options.url)
  }
  if (options.taskTimeout === undefined) {
    return yield* invalid("taskTimeout", "given (a cluster call needs a deadline)", options.taskTimeout)
  }
  const taskTimeout = timeoutMs("taskTimeout", options.taskTimeout)
  if (taskTimeout instanceof InvalidArgument) return yield* taskTimeout
  if (taskTimeout === undefined || taskTimeout <= 0 || taskTimeout === Infinity) {
    return yield* invalid("taskTimeout", "a positive, finite duration", options.taskTimeout)
  }
  const runnerTimeout = timeoutMs("runnerTimeout", options.runnerTimeout)
  if (runnerTimeout instanceof InvalidArgument) return yield* runnerTimeout
  const concurrency = options.concurrency ?? 16
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    return yield* invalid("concurrency", "a positive integer", options.concurrency)
  }
  const delivery = options.delivery ?? "stored"
  if (delivery !== "stored" && delivery !== "direct") {
    return yield* invalid("delivery", `"stored" or "direct"`, options.delivery)
  }
  const dispatcher = yield* makeDispatcher({
    url: options.url,
    delivery,
    taskTimeoutMs: taskTimeout,
    runnerTimeoutMs: runnerTimeout ?? 30_000,
  })
  const scope = yield* Effect.scope
  const poolScope = yield* Scope.fork(scope)
  const clusterPool = makePool(dispatcher, concurrency, poolScope)
  // Calls still running when the Scope closes fail with PoolClosed rather than hang.
  yield* Scope.addFinalizer(scope, clusterPool.terminate)
  return clusterPool
})

/**
 * A Layer that connects to a cluster and provides its pool as the library's
 * `Pool.Service`, so code written against a local pool runs on the cluster
 * unchanged.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * const PoolLive = Cluster.layer({ url: "postgres://postgres@db:5432/mp", taskTimeout: "1 minute" })
 * // program.pipe(Effect.provide(PoolLive)) where program uses `yield* mp.Pool.Service`
 * ```
 */
export const layer = (options: ClusterPoolOptions): Layer.Layer<PoolService, InvalidArgument | ClusterUnavailable> =>
  Layer.effect(PoolService, pool(options))

const makePool = (dispatcher: Dispatcher, size: number, poolScope: Scope.Scope): Pool => {
  let closing = false
  let inFlight = 0
  const counts = { completed: 0, failed: 0 }
  const drained: Array<() => void> = []
  // Failed by `terminate`: every running call fails with PoolClosed (a waiter leaves it when its call ends).
  const terminated = Deferred.makeUnsafe<never, PoolClosed>()

  /** Runs `effect` as one call: counted for `close`, failed with `PoolClosed` by `terminate`. */
  const tracked = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | PoolClosed> =>
    Effect.suspend(() => {
      if (closing) return Effect.fail(closedError())
      inFlight++
      return Effect.raceFirst(
        effect,
        Deferred.await(terminated),
      ).pipe(Effect.ensuring(Effect.sync(() => {
        if (--inFlight === 0) drained.splice(0).forEach((f) => f())
      })))
    })

  const runChunk = (t: AnyTask, items: ReadonlyArray<unknown>) =>
    Effect.tap(dispatcher.run(t, items), (exits) =>
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

  const checkChunkSize = (options: MapOptions | undefined): Effect.Effect<number | undefined, InvalidArgument> => {
    const n = options?.chunkSize
    return n === undefined || (Number.isInteger(n) && n > 0)
      ? Effect.succeed(n)
      : Effect.fail(invalid("chunkSize", "a positive integer", n))
  }

  const checkIterable = (argument: string, u: unknown): Effect.Effect<Array<unknown>, InvalidArgument> =>
    typeof u === "object" && u !== null && Symbol.iterator in u
      ? Effect.sync(() => Array.from(u as Iterable<unknown>))
      : Effect.fail(invalid(argument, "an iterable", u))

  const split = (items: ReadonlyArray<unknown>, chunk: number): Array<ReadonlyArray<unknown>> => {
    const chunks: Array<ReadonlyArray<unknown>> = []
    for (let i = 0; i < items.length; i += chunk) chunks.push(items.slice(i, i + chunk))
    return chunks
  }

  const apply = <P, A, E>(task: Task.Task<P, A, E>, ...payload: ApplyArgs<P>) =>
    Effect.flatMap(
      checkTask(task),
      (t) => tracked(Effect.flatMap(runChunk(t, [payload[0]]), (exits) => exits[0])),
    ) as Effect.Effect<
      A,
      E | PoolError | InvalidArgument
    >

  const submit = <P, A, E>(task: Task.Task<P, A, E>, ...payload: ApplyArgs<P>) =>
    Effect.suspend(() =>
      poolScope.state._tag === "Closed"
        ? Effect.forkDetach(apply(task, ...payload), { startImmediately: true })
        : Effect.forkIn(apply(task, ...payload), poolScope, { startImmediately: true })
    ) as Effect.Effect<Fiber.Fiber<A, E | PoolError | InvalidArgument>>

  const chunksOf = (payloads: unknown, options: MapOptions | undefined) =>
    Effect.flatMap(
      Effect.all([checkChunkSize(options), checkIterable("payloads", payloads)]),
      ([chunkSize, items]) =>
        Effect.succeed(split(items, chunkSize ?? Math.max(1, Math.ceil(items.length / (4 * size))))),
    )

  const map = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    Effect.flatMap(Effect.all([checkTask(task), chunksOf(payloads, options)]), ([t, chunks]) =>
      tracked(
        Effect.map(
          Effect.forEach(chunks, (c) => Effect.flatMap(runChunk(t, c), valuesOf), { concurrency: size }),
          (parts) => parts.flat(),
        ),
      )) as Effect.Effect<Array<A>, E | PoolError | InvalidArgument>

  const mapExit = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    Effect.flatMap(Effect.all([checkTask(task), chunksOf(payloads, options)]), ([t, chunks]) =>
      tracked(
        Effect.map(Effect.forEach(chunks, (c) => runChunk(t, c), { concurrency: size }), (parts) => parts.flat()),
      ).pipe(
        Effect.catchTag("PoolClosed", (e) => Effect.succeed(chunks.flat().map(() => Exit.fail(e)))),
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
        checkChunkSize(options),
        Stream.isStream(input) ? Effect.void : checkIterable("input", input),
      ]),
      ([t, chunkSize]) =>
        (Stream.isStream(input) ? input : Stream.fromIterable(input as Iterable<P>)).pipe(
          Stream.grouped(chunkSize ?? 1),
          Stream.mapEffect((c) => tracked(Effect.flatMap(runChunk(t, c), valuesOf)), {
            concurrency: size,
            unordered,
          }),
          Stream.flattenIterable,
        ) as Stream.Stream<A, E | E2 | PoolError, R2>,
    ))

  const stats: Effect.Effect<PoolStats> = Effect.map(dispatcher.runnersAlive, (alive) => ({
    workersAlive: alive,
    workersBusy: 0,
    queued: 0,
    running: inFlight,
    completed: counts.completed,
    failed: counts.failed,
    workersReplaced: 0,
    interrupted: 0,
    stuckThreads: 0,
  }))

  const stop = Effect.suspend(() => {
    closing = true
    return Effect.asVoid(Deferred.fail(terminated, closedError("terminated")))
  })
  // Events do not cross machines yet: the stream is empty and the result is `apply`'s.
  const applyWithEvents: Pool["applyWithEvents"] = (task, ...payload) =>
    Effect.succeed({ events: Stream.empty, result: apply(task, ...payload) })
  // Not across machines yet: the runners own their workers.
  const unsupported = (what: string) =>
    Effect.fail(
      new InvalidArgument({
        argument: what,
        message: `${what} is not supported by a cluster pool yet (see the README)`,
      }),
    )
  return {
    size,
    apply,
    applyWithEvents,
    ready: Effect.void,
    // Per-item outcomes: each payload is its own call, `size` of them in flight.
    imapExit:
      ((task: AnyTask, input: Iterable<unknown> | Stream.Stream<unknown, unknown, unknown>) =>
        toStream(input).pipe(
          Stream.mapEffect((p) => Effect.exit(apply(task, p)), { concurrency: size }),
        )) as unknown as Pool["imapExit"],
    imapUnorderedExit:
      ((task: AnyTask, input: Iterable<unknown> | Stream.Stream<unknown, unknown, unknown>) =>
        toStream(input).pipe(
          Stream.mapEffect((p) => Effect.map(Effect.exit(apply(task, p)), (exit) => [p, exit] as const), {
            concurrency: size,
            unordered: true,
          }),
        )) as unknown as Pool["imapUnorderedExit"],
    statsStream: (interval) =>
      Stream.unwrap(Effect.map(
        durationMs("interval", interval, { positive: true }),
        (ms) => Stream.tick(ms ?? 1000).pipe(Stream.mapEffect(() => stats)),
      )) as ReturnType<Pool["statsStream"]>,
    resize: () => unsupported("resize"),
    broadcast: () => unsupported("broadcast"),
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
