/**
 * Tracing for W1's traced rows: a real `Tracer`, Effect's `OtlpTracer`
 * (`effect/observability`, OTLP over HTTP as JSON, default batching: 1,000
 * spans or 5 seconds), exporting to `otlp_sink.ts` in a child process.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Context from "effect/Context"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"

/** A running OTLP receiver. */
export interface Sink {
  /** Where to export traces. */
  readonly url: string
  /** How many spans it received so far. */
  readonly count: Effect.Effect<number>
}

/** Starts `otlp_sink.ts` as a child process for the life of the Scope. */
export const sink: Effect.Effect<Sink, Error, Scope.Scope> = Effect.acquireRelease(
  Effect.tryPromise({
    try: async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("./otlp_sink.ts", import.meta.url).pathname],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn()
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
      let text = ""
      while (!text.includes("\n")) {
        const { value, done } = await reader.read()
        if (done) throw new Error("the OTLP sink ended before it listened")
        text += value
      }
      const port = Number(/OTLP_SINK (\d+)/.exec(text)?.[1])
      return { child, reader, port }
    },
    catch: (e) => e instanceof Error ? e : new Error(String(e)),
  }),
  ({ child, reader }) =>
    Effect.promise(async () => {
      await child.stdin.close()
      await reader.cancel()
      await child.status
    }),
).pipe(Effect.map(({ port }) => ({
  url: `http://127.0.0.1:${port}/v1/traces`,
  count: Effect.promise(async () => (await (await fetch(`http://127.0.0.1:${port}/count`)).json()).spans as number),
})))

/**
 * An `OtlpTracer` exporting to `url`, for the life of the Scope; closing the
 * Scope exports what is left.
 */
export const otlpTracer = (url: string): Effect.Effect<Tracer.Tracer, never, Scope.Scope> =>
  Effect.map(
    Layer.build(
      Layer.effect(Tracer.Tracer, OtlpTracer.make({ url, resource: { serviceName: "mp-bench" } })).pipe(
        Layer.provide([OtlpSerialization.layerJson, FetchHttpClient.layer, OtlpExporter.layerFlusher]),
      ),
    ),
    (context) => Context.get(context, Tracer.Tracer),
  )
