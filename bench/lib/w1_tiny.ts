/**
 * W1 on this library: `pool.map` over 100,000 integers (default chunking),
 * 10,000 `pool.submit`s all in flight, the same 10,000 as the Effect idiom
 * (`Effect.forEach` of `pool.apply`, unbounded), 10,000 sequential `pool.apply`s; then
 * the map and the applies again with tracing on, and what tracing added to
 * each call against untraced ones run beside them: with spans made but not
 * exported (the library's own cost), and with Effect's `OtlpTracer` exporting
 * to a receiver in a child process (see `tracing.ts`).
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
    const rs1 = yield* Effect.forEach(
      xs.slice(0, SIZES.separateTasks),
      (x) => pool.apply(double, x),
      { concurrency: "unbounded" },
    )
    ;(s.tasks10k_foreach_ms ??= []).push(since(t))
    check(rs1.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks, Effect idiom")

    t = performance.now()
    const ys1 = yield* pool.map(double, xs.slice(0, SIZES.separateTasks), { chunkSize: 1 })
    ;(s.tasks10k_chunk1_ms ??= []).push(since(t))
    check(ys1.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks, chunk size 1")

    t = performance.now()
    let sum = 0
    for (let i = 0; i < SIZES.applyCalls; i++) sum += yield* pool.apply(double, i)
    ;(s.apply_us ??= []).push(since(t) * 1000 / SIZES.applyCalls)
    check(sum === doubledSum(SIZES.applyCalls), "W1 apply")

    // The map and the applies traced, each against untraced ones run right beside it: first with spans made but not
    // exported (the library's own cost), then exported with OTLP (a real set-up).
    const spans = yield* tracedRun(pool, xs, Effect.succeed(localTracer))
    ;(s.map100k_spans_cost_ms ??= []).push(spans.mapMs - spans.baseMapMs)
    ;(s.apply_spans_cost_us ??= []).push(spans.applyUs - spans.baseApplyUs)

    const spansBefore = yield* traces.count
    const otlp = yield* tracedRun(pool, xs, otlpTracer(traces.url))
    ;(s.map100k_traced_ms ??= []).push(otlp.mapMs)
    ;(s.map100k_trace_cost_ms ??= []).push(otlp.mapMs - otlp.baseMapMs)
    ;(s.apply_traced_us ??= []).push(otlp.applyUs)
    ;(s.apply_trace_cost_us ??= []).push(otlp.applyUs - otlp.baseApplyUs)
    // Two spans per apply (the call's, the worker's), and more for the maps.
    const exported = (yield* traces.count) - spansBefore
    check(exported >= SIZES.applyCalls + 2, `W1 traced: the receiver got ${exported} spans`)
  })

/** A tracer whose spans are made and ended but go nowhere: what the library's tracing costs without an exporter. */
const localTracer = Tracer.make({ span: (options) => new Tracer.NativeSpan(options) })

/** Sequential applies per block; traced and untraced blocks take turns, so that load from elsewhere hits both. */
const BLOCK = 1000

/**
 * With `tracer` installed (each call under one span): two maps, and half of
 * W1's sequential applies in blocks; between them the same untraced, in turns
 * (for the maps: untraced, traced, traced, untraced). Per map and per call, the
 * traced and the untraced means. The tracer's Scope closes (an exporter sends
 * what is left) after the timed parts.
 */
const tracedRun = (
  pool: mp.Pool.Pool,
  xs: ReadonlyArray<number>,
  makeTracer: Effect.Effect<Tracer.Tracer, never, Scope.Scope>,
) =>
  Effect.scoped(Effect.gen(function* () {
    const tracer = yield* makeTracer
    const timed = <A, E>(traced: boolean, effect: Effect.Effect<A, E>) =>
      Effect.gen(function* () {
        const t = performance.now()
        const a = yield* traced ? effect.pipe(Effect.withSpan("W1 traced"), Effect.withTracer(tracer)) : effect
        return [a, since(t)] as const
      })
    const ms = { traced: 0, untraced: 0 }
    for (const traced of [false, true, true, false]) {
      const [zs, t] = yield* timed(traced, pool.map(double, xs))
      check(zs[SIZES.mapItems - 1] === 2 * (SIZES.mapItems - 1), "W1 map, traced or not")
      ms[traced ? "traced" : "untraced"] += t / 2
    }
    const us = { traced: 0, untraced: 0 }
    const blocks = SIZES.applyCalls / 2 / BLOCK
    for (let b = 0; b < 2 * blocks; b++) {
      const traced = (b % 4 === 1) || (b % 4 === 2)
      const [sum, t] = yield* timed(
        traced,
        Effect.gen(function* () {
          let sum = 0
          for (let i = 0; i < BLOCK; i++) sum += yield* pool.apply(double, i)
          return sum
        }),
      )
      check(sum === doubledSum(BLOCK), "W1 apply, traced or not")
      us[traced ? "traced" : "untraced"] += t * 1000 / (blocks * BLOCK)
    }
    return { mapMs: ms.traced, baseMapMs: ms.untraced, applyUs: us.traced, baseApplyUs: us.untraced }
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
