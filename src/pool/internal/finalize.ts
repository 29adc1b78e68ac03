/**
 * The pool's side of worker finalizers (`context.addFinalizer`): the workers
 * it ends in an orderly way (recycled, idle, resized away, or at the end of
 * the pool) run their finalizers first, within `finalizerTimeout` (see
 * `worker/parent/finalize.ts`); the pool's end waits for them. And the same
 * contract for `Pool.layerInline`, whose finalizers run in the calling thread
 * when its pool ends.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { checkFinalizer, type Finalizer } from "../../task/internal/finalizer.ts"
import type * as Context from "effect/Context"
import type { WorkerClient } from "../../worker/parent/client.ts"
import type { FinalizerReport } from "../../worker/parent/finalize.ts"
import { replayLogs } from "./observe.ts"
import type { PoolCore } from "./core.ts"

export type { Finalizer }

/** How long a worker's finalizers may run when the pool's `finalizerTimeout` is not given. */
export const DEFAULT_FINALIZER_TIMEOUT_MS = 5_000

/** The workers being ended in an orderly way, and who waits until they are all gone. */
export class WorkerEndings {
  private readonly ending = new Set<WorkerClient>()
  private waiters: Array<() => void> = []

  /**
   * @param ms the deadline of each worker's finalizers (`finalizerTimeout`)
   * @param report where a finalizer that failed or overran is told, and what finalizers logged (the pool's `Logger`)
   */
  constructor(private readonly ms: number, private readonly report: (client: WorkerClient) => FinalizerReport) {}

  /** Ends `client`: its finalizers first, if it registered any (at once otherwise). */
  end(client: WorkerClient, reason: string): void {
    if (this.ending.has(client)) return
    this.ending.add(client)
    client.close(reason, this.ms, this.report(client), () => {
      this.ending.delete(client)
      if (this.ending.size > 0 || this.waiters.length === 0) return
      const waiters = this.waiters
      this.waiters = []
      for (const f of waiters) f()
    })
  }

  /** Whether `client` is being ended. */
  has(client: WorkerClient): boolean {
    return this.ending.has(client)
  }

  /** Resumes once no worker is being ended (at once if none is). */
  readonly done: Effect.Effect<void> = Effect.callback<void>((resume) => {
    if (this.ending.size === 0) return resume(Effect.void)
    const f = () => resume(Effect.void)
    this.waiters.push(f)
    return Effect.sync(() => {
      this.waiters = this.waiters.filter((w) => w !== f)
    })
  })
}

/**
 * The pool's end (`close` after the drain, `terminate`, its Scope): what is queued or
 * running fails with `PoolClosed` and busy workers are terminated, as before; idle
 * ones run their finalizers, waited for here (each within `finalizerTimeout`).
 */
export const terminateAndFinalize = (core: PoolCore): Effect.Effect<void> =>
  Effect.andThen(Effect.sync(() => core.terminate()), core.workers.endings.done)

/**
 * Reports the finalizers of a worker through the loggers of `context` (the pool maker's): a problem as a
 * warning, and what they logged, annotated with the pool and the worker as a task's logs are.
 */
export const reportThrough = (
  context: Context.Context<never>,
  pool: string,
): (worker: { readonly id: number }) => FinalizerReport => {
  const run = Effect.runForkWith(context)
  return (worker) => {
    const annotations = { "mp.pool": pool, "mp.worker.id": worker.id }
    return {
      problem: (message) => {
        run(Effect.logWarning(message).pipe(Effect.annotateLogs(annotations)))
      },
      logs: (records) => {
        run(replayLogs(records, annotations))
      },
    }
  }
}

/** One finalizer as an Effect that never fails: a failure is logged. */
const runLogged = (finalizer: Finalizer): Effect.Effect<void> =>
  Effect.suspend(() => {
    const r = Effect.isEffect(finalizer) ? finalizer : (finalizer as () => unknown)()
    if (Effect.isEffect(r)) return r as Effect.Effect<unknown, unknown>
    if (typeof r === "object" && r !== null && typeof (r as PromiseLike<unknown>).then === "function") {
      return Effect.tryPromise(() => Promise.resolve(r))
    }
    return Effect.void
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning(`a finalizer failed: ${String(Cause.squash(cause))}`)),
    Effect.asVoid,
  )

/** The finalizers of `Pool.layerInline`: run once, last registered first, when its pool ends. */
export const inlineFinalizers = (): {
  readonly add: (finalizer: Finalizer) => void
  readonly run: Effect.Effect<void>
} => {
  const list: Array<Finalizer> = []
  return {
    add: (finalizer) => {
      list.push(checkFinalizer(finalizer))
    },
    run: Effect.suspend(() => Effect.forEach(list.splice(0).reverse(), runLogged, { discard: true })),
  }
}
