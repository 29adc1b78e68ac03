/**
 * Worker side of observability: the Effect handlers of a chunk run with a
 * logger that batches log records for the parent, and (when the caller is
 * traced) a tracer that records the chunk's span and the spans the handler
 * opens under it. The parent replays both (see `pool/internal/observe.ts`):
 * the worker's own tracer and loggers export nothing.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import type * as P from "../wire/protocol.ts"
import type { TelemetrySink } from "./chunk.ts"

export type { TelemetrySink }

/** The chunk id a handler's fiber runs for, read by the batching logger. */
const ChunkRef = Context.Reference<number>("@mp/multiprocessing/worker/Chunk", { defaultValue: () => -1 })

/** A value as it can cross: primitives as they are, anything else as a string. */
export const plainValue = (u: unknown): unknown => {
  if (u === null || u === undefined) return u
  switch (typeof u) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return u
  }
  if (u instanceof Error) return `${u.name}: ${u.message}`
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}

const plainRecord = (entries: Iterable<[string, unknown]>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of entries) out[k] = plainValue(v)
  return out
}

/** The batching logger of a worker: one per runtime. */
export const makeLogger = (sink: TelemetrySink): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    const chunk = options.fiber.getRef(ChunkRef)
    if (chunk < 0) return
    const message = Array.isArray(options.message) ? options.message : [options.message]
    const parts = message.map(plainValue)
    if (options.cause.reasons.length > 0) parts.push(Cause.pretty(options.cause))
    sink.log(chunk, {
      l: options.logLevel === "All" || options.logLevel === "None" ? "Info" : options.logLevel,
      m: parts,
      a: plainRecord(Object.entries(options.fiber.getRef(References.CurrentLogAnnotations))),
      d: options.date.getTime(),
    })
  })

class RecordingSpan extends Tracer.NativeSpan {
  constructor(
    options: ConstructorParameters<typeof Tracer.NativeSpan>[0],
    private readonly onEnd: (span: RecordingSpan, exit: Exit.Exit<unknown, unknown>) => void,
  ) {
    super(options)
  }
  override end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.status._tag === "Ended") return
    super.end(endTime, exit)
    this.onEnd(this, exit)
  }
}

const failureOf = (exit: Exit.Exit<unknown, unknown>): string | undefined =>
  Exit.isSuccess(exit) ? undefined : Cause.pretty(exit.cause)

/** The spans of one traced chunk: its own span, and a tracer whose spans nest under it. */
export interface ChunkTrace {
  readonly span: Tracer.Span
  readonly tracer: Tracer.Tracer
}

/** Opens the span of a traced chunk (`Pool.worker <task>`), under the caller's span. */
export const startChunkTrace = (
  sink: TelemetrySink,
  chunk: number,
  context: P.TraceContext,
  taskName: string,
  items: number,
): ChunkTrace => {
  const record = (span: RecordingSpan, exit: Exit.Exit<unknown, unknown>): void => {
    const status = span.status
    if (status._tag !== "Ended") return
    const parent = Option.getOrUndefined(span.parent)
    sink.span(chunk, {
      n: span.name,
      i: span.spanId,
      p: parent?.spanId ?? context.s,
      s: String(status.startTime),
      e: String(status.endTime),
      a: plainRecord(span.attributes),
      v: span.events.map(([name, time, attributes]) => [name, String(time), plainRecord(Object.entries(attributes))]),
      f: failureOf(exit),
    })
  }
  const tracer = Tracer.make({ span: (options) => new RecordingSpan(options, record) })
  const parent = Tracer.externalSpan({ traceId: context.t, spanId: context.s })
  const span = tracer.span({
    name: `Pool.worker ${taskName}`,
    parent: Option.some(parent),
    annotations: Context.empty(),
    links: [],
    startTime: now(),
    kind: "internal",
    root: false,
    sampled: true,
  })
  span.attribute("mp.pool", context.p)
  span.attribute("mp.task", taskName)
  span.attribute("mp.worker.id", context.w)
  span.attribute("mp.items", items)
  return { span, tracer }
}

/** Nanoseconds since the epoch, as Effect's clock counts them. */
export const now = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1_000_000))

/** The services an Effect handler of chunk `chunk` runs with. */
export const chunkContext = (
  logger: Logger.Logger<unknown, void>,
  chunk: number,
  trace: ChunkTrace | undefined,
): Context.Context<never> => {
  let context = Context.make(Logger.CurrentLoggers, new Set([logger]) as ReadonlySet<Logger.Logger<unknown, unknown>>)
  context = Context.add(context, References.MinimumLogLevel, "All")
  context = Context.add(context, ChunkRef, chunk)
  if (trace !== undefined) {
    context = Context.add(context, Tracer.Tracer, trace.tracer)
    context = Context.add(context, Tracer.ParentSpan, trace.span)
  }
  return context as Context.Context<never>
}
