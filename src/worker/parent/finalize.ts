/**
 * The parent's side of worker finalizers (see `runner/finalizers.ts`): the
 * orderly end of one worker. A worker that registered finalizers (it sent
 * FINALIZERS) is sent CLOSE and terminated once it answers CLOSED, or when
 * the deadline passes first; a worker that registered none is terminated at
 * once, as before. Finalizers that failed, and a deadline that passed, are
 * reported (the pool logs them through its `Logger`); neither stops the end
 * of the worker.
 *
 * What cannot be finalized, and is not: a worker that died on its own (it
 * crashed, exited, ran out of memory), and one terminated while it runs a task.
 *
 * @internal
 * @module
 */
import { clearTimer, setTimer, type Timer } from "../../internal/timer.ts"
import * as P from "../wire/protocol.ts"

/** What a closing worker can do (a `WorkerClient`). */
export interface Closable {
  readonly name: string
  readonly alive: boolean
  /** Stops the worker now (its death then calls `WorkerFinalizers.ended`). */
  readonly terminate: (reason: string) => void
}

/** Where what a worker's finalizers did wrong, or logged, goes (the pool's `Logger`). */
export interface FinalizerReport {
  /** A finalizer failed, or the deadline passed: a warning. */
  readonly problem: (message: string) => void
  /** What its Effect finalizers logged. */
  readonly logs: (records: ReadonlyArray<P.LogRecord>) => void
}

interface Pending {
  readonly reason: string
  readonly report: FinalizerReport
  readonly ended: Array<() => void>
}

/** The finalizers of one worker, seen from the parent. */
export class WorkerFinalizers {
  /** Whether the worker registered any (it sent FINALIZERS). */
  registered = false
  private pending: Pending | undefined
  private timer: Timer | undefined

  /**
   * Ends `worker`: with finalizers registered and `ms > 0`, sends CLOSE (with
   * `send`) and terminates it once it answers, or after `ms`; else terminates
   * it at once. `ended` is called once the worker is gone.
   */
  close(
    worker: Closable,
    reason: string,
    ms: number,
    report: FinalizerReport,
    ended: () => void,
    send: () => void,
  ): void {
    if (!worker.alive) return ended()
    if (this.pending !== undefined) {
      this.pending.ended.push(ended)
      return
    }
    if (this.registered && ms > 0) {
      try {
        send()
        this.pending = { reason, report, ended: [ended] }
        this.timer = setTimer(() => {
          this.timer = undefined
          report.problem(
            `the finalizers of worker ${worker.name} did not finish within finalizerTimeout (${ms} ms): ` +
              `the worker was terminated`,
          )
          worker.terminate(reason)
        }, ms)
        return
      } catch {
        // The worker cannot be reached (a child whose stdin is gone): end it as before.
      }
    }
    worker.terminate(reason)
    ended()
  }

  /** Acts on FINALIZERS or CLOSED; returns the protocol violation, if any. */
  accept(worker: Closable, message: P.FinalizersMessage | P.ClosedMessage): string | undefined {
    if (message.t === P.FINALIZERS) {
      this.registered = true
      return undefined
    }
    const pending = this.pending
    if (pending === undefined) return "CLOSED without a CLOSE"
    this.timer = clearTimer(this.timer)
    if (message.l.length > 0) pending.report.logs(message.l)
    for (const e of message.f) {
      pending.report.problem(`a finalizer of worker ${worker.name} failed: ${e.name}: ${e.message}`)
    }
    worker.terminate(pending.reason)
    return undefined
  }

  /** The worker is gone (finalized, terminated, or dead on its own): tell who waited. */
  ended(): void {
    this.timer = clearTimer(this.timer)
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) { for (const f of pending.ended) f() }
  }
}
