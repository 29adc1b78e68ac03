/**
 * Parent side of observability: each pool call runs in a span named after the
 * call and the task (only when a tracer other than Effect's default is
 * installed), and what its workers send back (their spans, their `Effect.log*`
 * records) is replayed in the caller's context: through the caller's `Tracer`,
 * under the call's span, and through the caller's loggers.
 *
 * @internal
 * @module
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type * as P from "../../worker/parent/reports.ts"
import type { AnyTask } from "./model.ts"

/** What a job of an observed call carries to the worker and back. */
export interface Observer {
  /** The call's span as it crosses to the worker; `undefined` when the caller is not traced. */
  readonly trace: Omit<P.TraceContext, "w"> | undefined
  readonly onTelemetry: (message: P.TelemetryMessage, workerId: number) => void
}

const makeObserver = (
  pool: string,
  task: AnyTask,
  context: Context.Context<never>,
  span: Tracer.Span | undefined,
  onEvent: ((event: unknown) => void) | undefined,
): Observer => {
  // Made when first needed: most calls get no telemetry at all (no span, no log, no event).
  let run: ((effect: Effect.Effect<void>) => unknown) | undefined
  let waiting: Map<string, Array<P.SpanRecord>> | undefined
  return {
    trace: span === undefined ? undefined : { t: span.traceId, s: span.spanId, p: pool },
    onTelemetry: (message, workerId) => {
      if (span !== undefined) {
        span.attribute("mp.worker.id", workerId)
        if (message.s.length > 0) {
          replaySpans(Context.get(context, Tracer.Tracer), span, message.s, waiting ??= new Map())
        }
      }
      if (message.l.length > 0) {
        ;(run ??= Effect.runForkWith(context))(
          replayLogs(message.l, { "mp.task": task.name, "mp.worker.id": workerId, "mp.pool": pool }),
        )
      }
      if (onEvent !== undefined) {
        for (const e of message.e) deliverEvent(task, e, onEvent, run ??= Effect.runForkWith(context))
      }
    },
  }
}

/** The observer of a call whose caller is not traced (Effect's default tracer): logs and events only. */
export const untracedObserver = (
  pool: string,
  task: AnyTask,
  context: Context.Context<never>,
  onEvent: ((event: unknown) => void) | undefined,
): Observer => makeObserver(pool, task, context, undefined, onEvent)

/**
 * Runs `body` with an observer for its jobs; in a span `call task.name` when
 * the caller has a tracer installed. With Effect's default tracer, no span is
 * made and the workers record none.
 */
export const observed = <A, E>(
  pool: string,
  call: string,
  task: AnyTask,
  body: (observer: Observer) => Effect.Effect<A, E>,
  onEvent?: (event: unknown) => void,
): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) => {
    if (fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) {
      return body(makeObserver(pool, task, fiber.context, undefined, onEvent))
    }
    return Effect.withSpan(
      Effect.withFiber((inner) => {
        const span = Context.getOrUndefined(inner.context, Tracer.ParentSpan)
        return body(makeObserver(pool, task, inner.context, span?._tag === "Span" ? span : undefined, onEvent))
      }),
      `${call} ${task.name}`,
      // No stack trace per call: it costs a `new Error()` each time, and would point here, not at the caller.
      { attributes: { "mp.pool": pool, "mp.task": task.name, "mp.call": call }, captureStackTrace: false },
    )
  })

/** An observer for jobs started by the current fiber, under its current span (for streams: `imap`). */
export const observerHere = (pool: string, task: AnyTask): Effect.Effect<Observer> =>
  Effect.withFiber((fiber) => {
    const traced = fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer
    const span = traced ? Context.getOrUndefined(fiber.context, Tracer.ParentSpan) : undefined
    return Effect.succeed(
      makeObserver(pool, task, fiber.context, span?._tag === "Span" ? span : undefined, undefined),
    )
  })

/**
 * For a call whose span outlives the effect that starts it (`Process.spawn`):
 * an observer under a new span `call task.name` when the caller is traced,
 * and the function that ends that span.
 */
export const observedStart = (
  pool: string,
  call: string,
  task: AnyTask,
): Effect.Effect<{ readonly obs: Observer; readonly end: (exit: Exit.Exit<unknown, unknown>) => void }> =>
  Effect.withFiber((fiber) => {
    if (fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) {
      return Effect.succeed({ obs: makeObserver(pool, task, fiber.context, undefined, undefined), end: () => {} })
    }
    return Effect.map(
      Effect.makeSpan(`${call} ${task.name}`, {
        attributes: { "mp.pool": pool, "mp.task": task.name, "mp.call": call },
      }),
      (span) => ({
        obs: makeObserver(pool, task, Context.add(fiber.context, Tracer.ParentSpan, span), span, undefined),
        end: (exit: Exit.Exit<unknown, unknown>) => span.end(fiber.getRef(Clock.Clock).currentTimeNanosUnsafe(), exit),
      }),
    )
  })

/**
 * `stream` in a span `call task.name` when the caller has a tracer installed;
 * `stream` itself otherwise.
 */
export const observedStream = <A, E, R>(
  pool: string,
  call: string,
  task: AnyTask,
  stream: Stream.Stream<A, E, R>,
): Stream.Stream<A, E, R> =>
  Stream.unwrap(Effect.withFiber((fiber) =>
    Effect.succeed(
      fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer ? stream : Stream.withSpan(stream, `${call} ${task.name}`, {
        attributes: { "mp.pool": pool, "mp.task": task.name, "mp.call": call },
      }),
    )
  ))

/**
 * Records the worker's spans through `tracer`, nested as they were, under
 * `root` (the call's span). A span ends after its children, so it is sent with
 * them or after them (a chunk's span comes last, before the chunk's last
 * outcome): children wait in `waiting` until the chunk's span arrives, and the
 * whole subtree is then replayed from the top.
 */
const replaySpans = (
  tracer: Tracer.Tracer,
  root: Tracer.Span,
  records: ReadonlyArray<P.SpanRecord>,
  waiting: Map<string, Array<P.SpanRecord>>,
): void => {
  for (const r of records) {
    if (r.p === root.spanId) replayTree(tracer, root, r, waiting)
    else {
      const siblings = waiting.get(r.p)
      if (siblings === undefined) waiting.set(r.p, [r])
      else siblings.push(r)
    }
  }
}

const replayTree = (
  tracer: Tracer.Tracer,
  parent: Tracer.Span,
  r: P.SpanRecord,
  waiting: Map<string, Array<P.SpanRecord>>,
): void => {
  const span = replaySpan(tracer, parent, r)
  const children = waiting.get(r.i)
  if (children === undefined) return
  waiting.delete(r.i)
  for (const child of children) replayTree(tracer, span, child, waiting)
}

const replaySpan = (tracer: Tracer.Tracer, parent: Tracer.Span, r: P.SpanRecord): Tracer.Span => {
  const span = tracer.span({
    name: r.n,
    parent: Option.some(parent),
    annotations: Context.empty(),
    links: [],
    startTime: BigInt(r.s),
    kind: "internal",
    root: false,
    sampled: parent.sampled,
  })
  for (const k in r.a) span.attribute(k, r.a[k])
  for (const [name, time, attributes] of r.v) span.event(name, BigInt(time), attributes)
  span.end(BigInt(r.e), r.f === undefined ? Exit.void : Exit.die(new Error(r.f)))
  return span
}

export const replayLogs = (
  records: ReadonlyArray<P.LogRecord>,
  annotations: Record<string, unknown>,
): Effect.Effect<void> =>
  Effect.forEach(
    records,
    (r) =>
      Effect.logWithLevel(r.l as LogLevel.Severity)(...r.m).pipe(
        Effect.annotateLogs({ ...r.a, ...annotations }),
      ),
    { discard: true },
  )

/** Decodes one event of `task` and hands it over; one that does not decode is logged and dropped. */
const deliverEvent = (
  task: AnyTask,
  encoded: unknown,
  onEvent: (event: unknown) => void,
  run: (effect: Effect.Effect<void>) => unknown,
): void => {
  const codec = task.codec.events
  if (codec === undefined || codec.identity) return onEvent(encoded)
  const r = codec.decode(encoded)
  if (r.ok) onEvent(r.value)
  else run(Effect.logWarning(`an event of task "${task.name}" does not fit its events schema: ${r.message}`))
}
