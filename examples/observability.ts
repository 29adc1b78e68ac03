/**
 * One trace tree per call, across workers: the program exports its spans with
 * Effect's `OtlpTracer` (OTLP over HTTP, JSON) to a small receiver it starts
 * itself on 127.0.0.1, then prints the tree the receiver got. The spans opened
 * inside the workers (`Pool.worker ...`, and the handler's own `score`) are
 * nested under the pool calls of the parent.
 *
 * Run: `deno task example:observability`
 */
import { Effect, Layer, Schema } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpSerialization, OtlpTracer } from "effect/observability"
import * as mp from "@mp/multiprocessing"

export const score = mp.Task.make(import.meta.url, "score", {
  payload: Schema.Number,
  handler: (n: number) =>
    Effect.gen(function* () {
      yield* Effect.logInfo(`scoring ${n}`)
      return n * n
    }).pipe(Effect.withSpan("score", { attributes: { n } })),
})

interface ReceivedSpan {
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

/** The OTLP/HTTP receiver: keeps every span of every request it gets. */
const receiver = Effect.acquireRelease(
  Effect.sync(() => {
    const spans: Array<ReceivedSpan> = []
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
      // deno-lint-ignore no-explicit-any
      const body: any = await request.json()
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push(span)
      }
      return Response.json({})
    })
    return { spans, server, url: `http://127.0.0.1:${server.addr.port}/v1/traces` }
  }),
  ({ server }) => Effect.promise(() => server.shutdown()),
)

const work = Effect.gen(function* () {
  const pool = yield* mp.Pool.make({ size: 2, name: "scoring" })
  yield* pool.apply(score, 3)
  yield* pool.map(score, [1, 2, 3, 4], { chunkSize: 2 })
}).pipe(Effect.scoped, Effect.withSpan("main"))

const printTree = (spans: ReadonlyArray<ReceivedSpan>): void => {
  const ids = new Set(spans.map((s) => s.spanId))
  const print = (parent: string | undefined, depth: number): void => {
    for (const s of spans) {
      const isRoot = parent === undefined && (s.parentSpanId === "" || !ids.has(s.parentSpanId))
      if (!(isRoot || (parent !== undefined && s.parentSpanId === parent))) continue
      const worker = s.attributes.find((a) => a.key === "mp.worker.id")?.value
      const items = s.attributes.find((a) => a.key === "mp.items")?.value
      const extra = [
        worker === undefined ? "" : `worker ${Object.values(worker)[0]}`,
        items === undefined ? "" : `${Object.values(items)[0]} items`,
      ].filter((x) => x !== "").join(", ")
      console.log(`${"  ".repeat(depth)}${s.name}${extra === "" ? "" : ` (${extra})`}`)
      print(s.spanId, depth + 1)
    }
  }
  print(undefined, 0)
}

const program = Effect.gen(function* () {
  const { spans, url } = yield* receiver
  const tracing = OtlpTracer.layer({ url, resource: { serviceName: "mp-observability-example" } }).pipe(
    Layer.provide([OtlpSerialization.layerJson, FetchHttpClient.layer]),
  )
  // Closing the tracer's Layer flushes what it has not exported yet.
  yield* work.pipe(Effect.provide(tracing))
  console.log(`the receiver got ${spans.length} spans:`)
  printTree(spans)
})

if (import.meta.main) mp.runMain(Effect.scoped(program))
