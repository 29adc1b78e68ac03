/**
 * One chunk of items while the worker runs it: the state that the runtime
 * (`runtime.ts`) and its Effect side (`effects.ts`) share, and the interface
 * between them. Nothing here refers to `effect`, not even its types: a new
 * worker type-checks its entry's graph under `deno test`, and that graph
 * stays small (see `effects.ts`).
 *
 * @internal
 * @module
 */
import type { TaskShape } from "../../task/brand.ts"
import type * as P from "../wire/protocol.ts"

/** A chunk being run. */
export interface ChunkRun {
  readonly id: number
  readonly task: TaskShape
  readonly payloads: ReadonlyArray<unknown>
  next: number
  interrupted: boolean
  abort: AbortController | undefined
  fiber: { readonly interruptUnsafe: () => void } | undefined
  /** Set while an async item is pending, to settle it on interrupt. */
  pending: number
  /** The chunk's span, when the caller is traced. */
  trace: Trace | undefined
  /** The services its Effect handlers run with (made on first use; a `Context` of `effects.ts`). */
  services: unknown
  failed: boolean
}

/** The span of a traced chunk (a `ChunkTrace` of `telemetry.ts`). */
export interface Trace {
  readonly "~trace": unknown
}

/** Where a chunk's records go until the next flush. */
export interface TelemetrySink {
  readonly span: (chunk: number, record: P.SpanRecord) => void
  readonly log: (chunk: number, record: P.LogRecord) => void
  readonly event: (chunk: number, event: unknown) => void
}

/** What the runtime asks of its Effect side (`effects.ts`, loaded on first need). */
export interface EffectSupport {
  /** Runs the Effect that item `index` returned; a Promise when it does not complete at once. */
  readonly run: (run: ChunkRun, index: number, effect: unknown) => Promise<void> | undefined
  /** Opens the span of a traced chunk. */
  readonly startTrace: (chunk: number, context: P.TraceContext, taskName: string, items: number) => Trace
  /** Ends the span of a traced chunk. */
  readonly endTrace: (trace: Trace, failed: boolean) => void
}

/** Whether a handler returned an Effect (`effect`'s own test, without loading `effect`). */
export const isEffect = (u: unknown): boolean =>
  (typeof u === "object" || typeof u === "function") && u !== null && "~effect/Effect" in u

/** Whether a handler returned a Promise or another thenable. */
export const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as PromiseLike<unknown>).then === "function"
