/**
 * The worker's outbox: outcomes and telemetry wait here until the next flush
 * (a microtask later, or sooner in a long synchronous chunk), then go to the
 * parent in one message. Outcomes of one chunk are kept as one contiguous run;
 * a batch that cannot be cloned is resent item by item, so only the item that
 * cannot cross fails.
 *
 * @internal
 * @module
 */
import { notCloneable } from "../../internal/messages.ts"
import * as P from "../wire/protocol.ts"
import type { TelemetrySink } from "./chunk.ts"

/** How the runtime talks to its parent. */
export interface Port {
  readonly post: (message: P.FromWorker, transfer: Array<Transferable>) => void
}

/** Outcomes and telemetry on their way to the parent. */
export interface Outbox {
  /** Queues the outcome `kind`/`value` of item `index` of `chunk`. */
  readonly push: (chunk: number, index: number, kind: number, value: unknown, transfer?: Array<Transferable>) => void
  /** Sends everything queued now. */
  readonly flush: () => void
  /** Where spans, logs and events of a chunk are queued. */
  readonly sink: TelemetrySink
  /** When the outbox was last flushed (`performance.now()`). */
  readonly lastFlush: () => number
}

type Run = P.ResultRun & { transfer: Array<Transferable> }

/**
 * Makes the outbox of one runtime. `beforePush` sees every outcome before it
 * is queued (the runtime ends a traced chunk's span there, so that the span
 * reaches the parent before the outcome that settles the caller).
 */
export const makeOutbox = (port: Port, beforePush: (chunk: number, index: number, kind: number) => void): Outbox => {
  // One contiguous run per chunk.
  const outbox = new Map<number, Run>()
  let flushScheduled = false
  let lastFlush = performance.now()
  let last: Run | undefined
  // Spans and logs per chunk, posted before the outcomes in the same flush.
  const telemetry = new Map<number, P.TelemetryMessage>()

  const schedule = (): void => {
    if (!flushScheduled) {
      flushScheduled = true
      queueMicrotask(flush)
    }
  }

  const telemetryOf = (chunk: number): P.TelemetryMessage => {
    let t = telemetry.get(chunk)
    if (t === undefined) {
      t = { t: P.TELEMETRY, c: chunk, s: [], l: [], e: [] }
      telemetry.set(chunk, t)
    }
    schedule()
    return t
  }
  const sink: TelemetrySink = {
    span: (chunk, record) => telemetryOf(chunk).s.push(record),
    log: (chunk, record) => telemetryOf(chunk).l.push(record),
    event: (chunk, event) => telemetryOf(chunk).e.push(event),
  }

  const flushTelemetry = (): void => {
    const messages = Array.from(telemetry.values())
    telemetry.clear()
    for (const message of messages) {
      try {
        port.post(message, [])
      } catch {
        // A record that cannot cross is dropped with its batch; the outcomes still go.
      }
    }
  }

  const flush = (): void => {
    flushScheduled = false
    lastFlush = performance.now()
    if (telemetry.size > 0) flushTelemetry()
    if (outbox.size === 0) return
    const runs = Array.from(outbox.values())
    outbox.clear()
    last = undefined
    const transfer: Array<Transferable> = []
    for (const run of runs) for (const t of run.transfer) transfer.push(t)
    try {
      port.post({ t: P.RESULTS, r: runs.map(plain) }, transfer)
    } catch {
      for (const run of runs) sendItems(run)
    }
  }

  const plain = (run: P.ResultRun): P.ResultRun => ({ c: run.c, i: run.i, k: run.k, v: run.v })

  // One value of the batch cannot be cloned: resend item by item so only that task fails.
  const sendItems = (run: Run): void => {
    for (let j = 0; j < run.k.length; j++) {
      try {
        port.post({ t: P.RESULTS, r: [{ c: run.c, i: run.i + j, k: [run.k[j]], v: [run.v[j]] }] }, run.transfer)
      } catch (e) {
        port.post({
          t: P.RESULTS,
          r: [{
            c: run.c,
            i: run.i + j,
            k: [P.SERIALIZATION],
            v: [{ stage: "encode-result", message: notCloneable("result", e) }],
          }],
        }, [])
      }
    }
  }

  const push = (chunk: number, index: number, kind: number, value: unknown, transfer?: Array<Transferable>): void => {
    let run = last !== undefined && last.c === chunk ? last : outbox.get(chunk)
    if (run !== undefined && run.i + run.k.length !== index) {
      flush()
      run = undefined
    }
    if (run === undefined) {
      run = { c: chunk, i: index, k: [], v: [], transfer: [] }
      outbox.set(chunk, run)
    }
    last = run
    beforePush(chunk, index, kind)
    run.k.push(kind)
    run.v.push(value)
    if (transfer !== undefined) { for (const t of transfer) run.transfer.push(t) }
    schedule()
  }

  return { push, flush, sink, lastFlush: () => lastFlush }
}
