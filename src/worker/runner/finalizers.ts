/**
 * Worker-side finalizers: the cleanups that task code registers with
 * `context.addFinalizer` (typically the pool's initializer, closing what it
 * opened for this worker: a database connection, a file, a socket).
 *
 * - The first registration is announced to the parent (FINALIZERS), so that
 *   the parent ends this worker with CLOSE instead of a plain terminate; a
 *   worker that registered none is terminated as before, at no extra cost.
 * - On CLOSE they run one after another, the last registered first (as a
 *   `Scope` runs its finalizers), each awaited (a Promise, an Effect); one
 *   that fails does not stop the others. Then the worker answers CLOSED with
 *   those that failed, and the parent terminates it.
 * - What an Effect finalizer logs (`Effect.log*`) is sent with CLOSED, for
 *   the pool's `Logger`, as a task's logs are.
 * - The deadline is the parent's (`finalizerTimeout`): it terminates the worker
 *   when CLOSED does not come in time. While a finalizer's synchronous code
 *   runs, the shared busy word says so, so that a thread terminated in a busy
 *   loop there is warned about as one stuck in task code is (see `stuck.ts`).
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { checkFinalizer, type Finalizer } from "../../task/internal/finalizer.ts"
import { state as checkpointState } from "../wire/checkpoint.ts"
import * as P from "../wire/protocol.ts"
import type { Port } from "./outbox.ts"
import { chunkContext, makeLogger } from "./telemetry.ts"

/** The finalizers of this worker. */
export interface Finalizers {
  /** Registers a finalizer (throws `InvalidArgument` when it is neither a function nor an Effect). */
  readonly add: (finalizer: Finalizer) => void
  /** Runs them all (once), then posts CLOSED. */
  readonly close: () => Promise<void>
}

/**
 * The finalizers of the worker that talks through `port`; `flush` sends what the runtime still holds.
 * `announced`: the runtime, which keeps the finalizers until the worker is closed, already posted FINALIZERS.
 */
export const makeFinalizers = (port: Port, flush: () => void, announced = false): Finalizers => {
  const list: Array<Finalizer> = []
  let closing = false
  return {
    add: (finalizer) => {
      list.push(checkFinalizer(finalizer))
      if (announced) return
      announced = true
      // Posted at once, ahead of the outcome of the task that registered it: the parent knows before it sees the task end.
      port.post({ t: P.FINALIZERS }, [])
    },
    close: async () => {
      if (closing) return
      closing = true
      const failures: Array<P.SerializedError> = []
      const logs: Array<P.LogRecord> = []
      const services = chunkContext(
        makeLogger({ span: () => {}, log: (_c, r) => logs.push(r), event: () => {} }),
        0,
        undefined,
      )
      // One registered while the others run (by a finalizer) runs too.
      while (list.length > 0) {
        const failure = await runOne(list.pop()!, services)
        if (failure !== undefined) failures.push(failure)
      }
      flush()
      try {
        port.post({ t: P.CLOSED, f: failures, l: logs }, [])
      } catch {
        // A log record that cannot cross: the outcome still goes.
        port.post({ t: P.CLOSED, f: failures, l: [] }, [])
      }
    },
  }
}

/** Runs one finalizer; returns how it failed, if it did. */
const runOne = async (
  finalizer: Finalizer,
  services: Context.Context<never>,
): Promise<P.SerializedError | undefined> => {
  try {
    let pending: Promise<unknown> | undefined
    busy(P.FINALIZER_BUSY)
    try {
      const r = Effect.isEffect(finalizer) ? finalizer : (finalizer as () => unknown)()
      if (Effect.isEffect(r)) {
        pending = Effect.runPromiseExitWith(services)(r as Effect.Effect<unknown, unknown>).then((exit) => {
          if (exit._tag === "Failure") throw Cause.squash(exit.cause)
        })
      } else if (isThenable(r)) pending = Promise.resolve(r)
    } finally {
      busy(0)
    }
    if (pending !== undefined) await pending
    return undefined
  } catch (e) {
    return P.serializeError(e)
  }
}

const busy = (value: number): void => {
  const words = checkpointState.words
  if (words !== undefined) Atomics.store(words, P.BUSY_WORD, value)
}

const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as PromiseLike<unknown>).then === "function"
