/**
 * W1 on this library: `pool.map` over 100,000 integers (default chunking),
 * 10,000 `pool.submit`s all in flight, 10,000 sequential `pool.apply`s; then
 * the map and the applies again with tracing on, and what tracing added to
 * each call against the untraced run of the same repetition: with spans made
 * but not exported (the library's own cost), and with Effect's `OtlpTracer`
 * exporting to a receiver in a child process (see `tracing.ts`).
 *
 * `deno run -A bench/lib/w1_tiny.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as mp from "../../mod.ts"
import { check, doubledSum, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { double } from "./tasks.ts"
import { otlpTracer, type Sink, sink } from "./tracing.ts"

const rep = (pool: mp.Pool.Pool, s: Samples, traces: Sink) =>
  Effect.gen(function* () {
    const xs = Array.from({ length: SIZES.mapItems }, (_, i) => i)
    let t = performance.now()
    const ys = yield* pool.map(double, xs)
    ;(s.map100k_ms ??= []).push(since(t))
    check(ys.length === SIZES.mapItems && ys[SIZES.mapItems - 1] === 2 * (SIZES.mapItems - 1), "W1 map")

    t = performance.now()
    const fibers = []
    for (let i = 0; i < SIZES.separateTasks; i++) fibers.push(yield* pool.submit(double, i))
    const rs = yield* Fiber.joinAll(fibers)
    ;(s.tasks10k_ms ??= []).push(since(t))
    check(rs.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks")

    t = performance.now()
    const ys1 = yield* pool.map(double, xs.slice(0, SIZES.separateTasks), { chunkSize: 1 })
    ;(s.tasks10k_chunk1_ms ??= []).push(since(t))
    check(ys1.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks, chunk size 1")

    t = performance.now()
    let sum = 0
    for (let i = 0; i < SIZES.applyCalls; i++) sum += yield* pool.apply(double, i)
    const applyUs = since(t) * 1000 / SIZES.applyCalls
    ;(s.apply_us ??= []).push(applyUs)
    check(sum === doubledSum(SIZES.applyCalls), "W1 apply")

    // The same map and applies traced, first with spans made but not exported (the library's own cost), then
    // exported with OTLP (a real set-up). Each call is a span, each chunk a worker span replayed in the parent.
    const spans = yield* tracedRun(pool, xs, Effect.succeed(localTracer))
    ;(s.map100k_spans_cost_ms ??= []).push(spans.mapMs - s.map100k_ms[s.map100k_ms.length - 1])
    ;(s.apply_spans_cost_us ??= []).push(spans.applyUs - applyUs)

    const spansBefore = yield* traces.count
    const otlp = yield* tracedRun(pool, xs, otlpTracer(traces.url))
    ;(s.map100k_traced_ms ??= []).push(otlp.mapMs)
    ;(s.map100k_trace_cost_ms ??= []).push(otlp.mapMs - s.map100k_ms[s.map100k_ms.length - 1])
    ;(s.apply_traced_us ??= []).push(otlp.applyUs)
    ;(s.apply_trace_cost_us ??= []).push(otlp.applyUs - applyUs)
    // Two spans per apply (the call's, the worker's), then the map's, its chunks' and the two around them.
    const exported = (yield* traces.count) - spansBefore
    check(exported >= 2 * SIZES.applyCalls + 2, `W1 traced: the receiver got ${exported} spans`)
  })

/** A tracer whose spans are made and ended but go nowhere: what the library's tracing costs without an exporter. */
const localTracer = Tracer.make({ span: (options) => new Tracer.NativeSpan(options) })

/**
 * The map and the applies of W1 with `tracer` installed, each under a span;
 * the tracer's Scope closes (an exporter sends what is left) outside the timed parts.
 */
const tracedRun = (
  pool: mp.Pool.Pool,
  xs: ReadonlyArray<number>,
  makeTracer: Effect.Effect<Tracer.Tracer, never, Scope.Scope>,
) =>
  Effect.scoped(Effect.gen(function* () {
    const tracer = yield* makeTracer
    const traced = <A, E>(effect: Effect.Effect<A, E>) =>
      effect.pipe(Effect.withSpan("W1 traced"), Effect.withTracer(tracer))
    let t = performance.now()
    const zs = yield* traced(pool.map(double, xs))
    const mapMs = since(t)
    check(zs[SIZES.mapItems - 1] === 2 * (SIZES.mapItems - 1), "W1 map, traced")

    t = performance.now()
    const sum = yield* traced(Effect.gen(function* () {
      let sum = 0
      for (let i = 0; i < SIZES.applyCalls; i++) sum += yield* pool.apply(double, i)
      return sum
    }))
    const applyUs = since(t) * 1000 / SIZES.applyCalls
    check(sum === doubledSum(SIZES.applyCalls), "W1 apply, traced")
    return { mapMs, applyUs }
  }))

if (import.meta.main) {
  const { reps } = parseArgs(Deno.args)
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const traces = yield* sink
    const pool = yield* mp.Pool.make({ size: SIZES.workers })
    yield* rep(pool, {}, traces) // warm-up
    const samples: Samples = {}
    for (let i = 0; i < reps; i++) yield* rep(pool, samples, traces)
    emit(samples)
  })))
}
