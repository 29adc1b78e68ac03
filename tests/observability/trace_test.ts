import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import type * as Tracer from "effect/Tracer"
import * as Option from "effect/Option"
import { assert, assertEquals } from "@std/assert"
import * as Pool from "../../src/pool/Pool.ts"
import * as Process from "../../src/process/Process.ts"
import * as Stream from "effect/Stream"
import { recordingTracer, test } from "../support/mod.ts"
import type { Isolation } from "../support/isolation.ts"
import { plainIncrement, tracedDouble, tracedSleep } from "../fixtures/observability_tasks.ts"

const parentId = (span: Tracer.NativeSpan): string | undefined => Option.getOrUndefined(span.parent)?.spanId

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(`[${isolation}] Pool.apply is a span named after the call and task, with the worker's spans nested under it`, () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      const pool = yield* Pool.make({ size: 1, isolation, name: "traced" })
      const value = yield* pool.apply(tracedDouble, 21).pipe(Effect.withTracer(tracer))
      assertEquals(value, 42)
      const call = spans.find((s) => s.name === "Pool.apply tracedDouble")
      assert(call !== undefined, `spans: ${spans.map((s) => s.name)}`)
      assertEquals(call.attributes.get("mp.pool"), "traced")
      assertEquals(call.attributes.get("mp.task"), "tracedDouble")
      assertEquals(typeof call.attributes.get("mp.worker.id"), "number")
      const worker = spans.find((s) => s.name === "Pool.worker tracedDouble")
      assert(worker !== undefined)
      assertEquals(parentId(worker), call.spanId)
      assertEquals(worker.traceId, call.traceId)
      assertEquals(worker.attributes.get("mp.items"), 1)
      const inner = spans.find((s) => s.name === "inner")
      assert(inner !== undefined, `spans: ${spans.map((s) => s.name)}`)
      assertEquals(parentId(inner), worker.spanId)
      assertEquals(inner.attributes.get("n"), 21)
      assert(inner.status._tag === "Ended" && worker.status._tag === "Ended")
      assert(inner.status.startTime >= worker.status.startTime && inner.status.endTime <= worker.status.endTime)
    }))

  test(`[${isolation}] Pool.map is one span for the call and one worker span per chunk with its item count`, () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      const pool = yield* Pool.make({ size: 2, isolation })
      const xs = Array.from({ length: 40 }, (_, i) => i)
      const out = yield* pool.map(plainIncrement, xs, { chunkSize: 10 }).pipe(Effect.withTracer(tracer))
      assertEquals(out, xs.map((x) => x + 1))
      const calls = spans.filter((s) => s.name === "Pool.map plainIncrement")
      assertEquals(calls.length, 1)
      const chunks = spans.filter((s) => s.name === "Pool.worker plainIncrement")
      assertEquals(chunks.length, 4)
      for (const c of chunks) {
        assertEquals(parentId(c), calls[0].spanId)
        assertEquals(c.attributes.get("mp.items"), 10)
      }
    }))

  test(`[${isolation}] Effect.log in a task goes through the caller's Logger at its level, annotated`, () =>
    Effect.gen(function* () {
      const records: Array<{ level: string; message: unknown; annotations: Record<string, unknown> }> = []
      const logger = Logger.make((o) => {
        records.push({
          level: o.logLevel,
          message: o.message,
          annotations: { ...o.fiber.getRef(References.CurrentLogAnnotations) },
        })
      })
      const pool = yield* Pool.make({ size: 1, isolation, name: "logs" })
      yield* pool.apply(tracedDouble, 5).pipe(Effect.provide(Logger.layer([logger])))
      assertEquals(records.length, 1, JSON.stringify(records)) // Debug is below the default minimum level
      assertEquals(records[0].level, "Info")
      assertEquals(records[0].message, ["doubling", 5])
      assertEquals(records[0].annotations["mp.task"], "tracedDouble")
      assertEquals(records[0].annotations["mp.pool"], "logs")
      assertEquals(records[0].annotations.step, "double")
      assertEquals(typeof records[0].annotations["mp.worker.id"], "number")
      records.length = 0
      yield* pool.apply(tracedDouble, 6).pipe(
        Effect.provide(Layer.merge(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel, "Debug"))),
      )
      assertEquals(records.map((r) => r.level), ["Info", "Debug"])
    }))
}

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(`[${isolation}] Pool.imap is a span around the stream, with the worker spans of its chunks under it`, () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      const pool = yield* Pool.make({ size: 2, isolation })
      const out = yield* Stream.runCollect(pool.imap(tracedDouble, [1, 2, 3])).pipe(Effect.withTracer(tracer))
      assertEquals(out, [2, 4, 6])
      const call = spans.find((s) => s.name === "Pool.imap tracedDouble")
      assert(call !== undefined, `spans: ${spans.map((s) => s.name)}`)
      const workers = spans.filter((s) => s.name === "Pool.worker tracedDouble")
      assertEquals(workers.length, 3)
      for (const w of workers) assertEquals(parentId(w), call.spanId)
      assertEquals(spans.filter((s) => s.name === "inner").length, 3)
    }))

  test(`[${isolation}] Process.spawn is a span that ends with the process, with the worker's spans under it`, () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      const value = yield* Effect.gen(function* () {
        const p = yield* Process.spawn(tracedDouble, 4, { isolation, name: "traced-process" })
        return yield* p.join
      }).pipe(Effect.withTracer(tracer))
      assertEquals(value, 8)
      const call = spans.find((s) => s.name === "Process.spawn tracedDouble")
      assert(call !== undefined, `spans: ${spans.map((s) => s.name)}`)
      assertEquals(call.attributes.get("mp.pool"), "traced-process")
      assertEquals(call.status._tag, "Ended")
      const worker = spans.find((s) => s.name === "Pool.worker tracedDouble")
      assert(worker !== undefined)
      assertEquals(parentId(worker), call.spanId)
      assertEquals(parentId(spans.find((s) => s.name === "inner")!), worker.spanId)
    }))
}

test("spans of the items of a chunk nest under the chunk's span, even when they reach the parent before it", () =>
  Effect.gen(function* () {
    const { spans, tracer } = recordingTracer()
    const pool = yield* Pool.make({ size: 2 })
    yield* pool.map(tracedSleep, [1, 2, 3, 4, 5, 6], { chunkSize: 3 }).pipe(Effect.withTracer(tracer))
    const chunks = spans.filter((s) => s.name === "Pool.worker tracedSleep")
    assertEquals(chunks.length, 2)
    const naps = spans.filter((s) => s.name === "nap")
    assertEquals(naps.length, 6)
    for (const nap of naps) assert(chunks.some((c) => c.spanId === parentId(nap)), "a nap span is not under a chunk")
  }))

test("with Effect's default tracer, no worker spans are recorded", () =>
  Effect.gen(function* () {
    const pool = yield* Pool.make({ size: 1 })
    assertEquals(yield* pool.apply(tracedDouble, 1), 2)
  }))
