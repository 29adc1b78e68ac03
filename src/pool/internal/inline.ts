/**
 * `Pool.layerInline`: the `Pool` interface with handlers run in the calling
 * thread, for tests that need not start workers. The same checks and the same
 * typed errors: a payload that does not fit its schema is `SerializationError`,
 * a thrown exception is `RemoteException`, the task's own failure is its typed
 * error, a closed pool is `PoolClosed`. What cannot be the same: no isolation,
 * no `taskTimeout`, no crashes, and a synchronous handler blocks the caller.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import { poolClosed, RemoteException } from "../../errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import { isTransfer } from "../../task/transfer.ts"
import { validate as validateTask } from "../../task/internal/validate.ts"
import { preparePayload, serialization } from "../../worker/parent/outcome.ts"
import { serializeError } from "../../worker/parent/reports.ts"
import { checkKeys, durationMs, iterable, positiveInt } from "../../internal/arguments.ts"
import { mapOptionKeys, type MapOptions, type PoolStats } from "../calls.ts"
import type { Pool } from "../interface.ts"
import { type Finalizer, inlineFinalizers } from "./finalize.ts"

const remote = (task: AnyTask, e: unknown): RemoteException => {
  const s = serializeError(e)
  return new RemoteException({
    taskName: task.name,
    remoteName: s.name,
    remoteMessage: s.message,
    remoteStack: s.stack,
  })
}

const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as PromiseLike<unknown>).then === "function"

/** Runs one task in this thread, with the pool's errors; `addFinalizer` is the pool's. */
const invoke = (
  task: AnyTask,
  payload: unknown,
  addFinalizer: (finalizer: Finalizer) => void,
): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    const prepared = preparePayload(task, payload)
    if (!prepared.ok) return Effect.fail(prepared.error)
    let value = prepared.value
    if (!task.codec.payload.identity) {
      const r = task.codec.payload.decode(value)
      if (!r.ok) return Effect.fail(serialization(task, "decode-payload", r.message))
      value = r.value
    }
    const abort = new AbortController()
    let result: unknown
    try {
      result = task.handler(value, { signal: abort.signal, taskName: task.name, emit: () => {}, addFinalizer })
    } catch (e) {
      return Effect.fail(remote(task, e))
    }
    const body: Effect.Effect<unknown, unknown> = Effect.isEffect(result)
      ? Effect.catchDefect(result as Effect.Effect<unknown, unknown>, (e) => Effect.fail(remote(task, e)))
      : isThenable(result)
      ? Effect.tryPromise({ try: () => Promise.resolve(result), catch: (e) => remote(task, e) })
      : Effect.succeed(result)
    return body.pipe(
      Effect.map((v) => isTransfer(v) ? v.value : v),
      Effect.onInterrupt(() => Effect.sync(() => abort.abort())),
    )
  })

/** A Pool of `size` that runs every task in the calling thread (at most `size` at once). */
export const makeInline = (size: number, scope: Scope.Scope): Effect.Effect<Pool> =>
  Effect.gen(function* () {
    const semaphore = yield* Semaphore.make(size)
    const finalizers = inlineFinalizers()
    let closed = false
    let queued = 0
    let running = 0
    let completed = 0
    let failed = 0
    let interrupted = 0
    const stats = (): PoolStats => ({
      workersAlive: 0,
      workersBusy: 0,
      queued,
      running,
      completed,
      failed,
      workersReplaced: 0,
      interrupted,
      stuckThreads: 0,
    })
    const checked = (task: unknown) =>
      Effect.flatMap(
        validateTask(task),
        (t) => closed ? Effect.fail(poolClosed("closed")) : Effect.succeed(t as unknown as AnyTask),
      )
    const one = (task: AnyTask, payload: unknown): Effect.Effect<unknown, unknown> =>
      Effect.suspend(() => {
        if (closed) return Effect.fail(poolClosed("closed"))
        queued++
        let started = false
        return semaphore.withPermits(1)(Effect.suspend(() => {
          queued--
          running++
          started = true
          return Effect.ensuring(invoke(task, payload, finalizers.add), Effect.sync(() => running--))
        })).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              if (!started) queued--
              if (Exit.isSuccess(exit)) completed++
              else if (!Cause.hasInterruptsOnly(exit.cause)) failed++
              else if (started) interrupted++
            })
          ),
        )
      })
    const mapOptions = (options: MapOptions | undefined) =>
      Effect.all([positiveInt("chunkSize", options?.chunkSize), checkKeys("options", options, mapOptionKeys)])
    const apply = (task: AnyTask, payload?: unknown) => Effect.flatMap(checked(task), (t) => one(t, payload))
    /** Runs `run` on every payload, `size` at a time, reporting progress after each. */
    const each = <B, E>(
      task: AnyTask,
      payloads: Iterable<unknown>,
      options: MapOptions | undefined,
      run: (t: AnyTask, p: unknown) => Effect.Effect<B, E>,
    ) =>
      Effect.flatMap(
        Effect.all([checked(task), iterable("payloads", payloads), mapOptions(options)]),
        ([t]) => {
          const items = Array.from(payloads)
          let done = 0
          return Effect.forEach(
            items,
            (p) => run(t, p).pipe(Effect.tap(() => options?.onProgress?.(++done, items.length) ?? Effect.void)),
            { concurrency: size },
          )
        },
      )
    const mapExit = (task: AnyTask, payloads: Iterable<unknown>, options?: MapOptions) =>
      each(task, payloads, options, (t, p) => Effect.exit(one(t, p)))
    const map = (task: AnyTask, payloads: Iterable<unknown>, options?: MapOptions) => each(task, payloads, options, one)
    const imapWith = (unordered: boolean, exits: boolean) =>
    (
      task: AnyTask,
      input: Iterable<unknown> | Stream.Stream<unknown, unknown, unknown>,
      options?: MapOptions,
    ) =>
      Stream.unwrap(Effect.map(
        Effect.all([
          checked(task),
          Stream.isStream(input) ? Effect.void : iterable("input", input),
          mapOptions(options),
        ]),
        ([t]) => {
          const source = Stream.isStream(input) ? input : Stream.fromIterable(input)
          return Stream.mapEffect(
            source,
            (p) =>
              exits ? Effect.map(Effect.exit(one(t, p)), (exit) => unordered ? [p, exit] as const : exit) : one(t, p),
            { concurrency: size, unordered },
          )
        },
      ))
    const terminate = Effect.andThen(
      Effect.sync(() => {
        closed = true
      }),
      finalizers.run,
    )
    const pool = {
      size,
      apply,
      submit: (task: AnyTask, payload?: unknown) =>
        Effect.forkIn(apply(task, payload), scope, { startImmediately: true }),
      map,
      mapExit,
      starmap: map,
      imap: imapWith(false, false),
      imapUnordered: imapWith(true, false),
      imapExit: imapWith(false, true),
      imapUnorderedExit: imapWith(true, true),
      stats: Effect.sync(stats),
      statsStream: (interval: unknown) =>
        Stream.unwrap(Effect.map(
          durationMs("interval", interval as number, { positive: true }),
          (ms) => Stream.tick(ms ?? 1000).pipe(Stream.mapEffect(() => Effect.sync(stats))),
        )),
      // Taking every permit waits for what runs; then nothing new starts.
      close: Effect.suspend(() => {
        closed = true
        return semaphore.withPermits(size)(finalizers.run)
      }),
      terminate,
    }
    yield* Scope.addFinalizer(scope, terminate)
    return pool as unknown as Pool
  })
