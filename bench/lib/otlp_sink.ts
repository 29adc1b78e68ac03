/**
 * A stand-in OpenTelemetry collector for W1's traced rows: an OTLP/HTTP (JSON)
 * receiver on 127.0.0.1 that parses each batch and counts its spans, run as a
 * process of its own (a collector is not in the traced program's event loop).
 * It prints `OTLP_SINK <port>` once listening, answers `GET /count` with the
 * spans received so far, and ends when its stdin closes.
 *
 * `deno run -A bench/lib/otlp_sink.ts`
 *
 * @module
 */

let spans = 0

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`OTLP_SINK ${port}`),
}, async (request) => {
  if (request.method === "GET") return Response.json({ spans })
  // deno-lint-ignore no-explicit-any
  const body: any = await request.json()
  for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0
  return Response.json({})
})

for await (const _ of Deno.stdin.readable) { /* until the bench program closes stdin (or exits) */ }
await server.shutdown()
