import { assert, assertEquals } from "@std/assert"
import * as P from "../../src/worker/wire/protocol.ts"
import { checkMessage } from "../../src/worker/wire/validate.ts"

const span: P.SpanRecord = {
  n: "inner",
  i: "a1",
  p: "b2",
  s: "1700000000000000000",
  e: "1700000000000000100",
  a: {},
  v: [],
}
const log: P.LogRecord = { l: "Info", m: ["hello"], a: {}, d: 1 }

Deno.test("a well-formed TELEMETRY message from a worker is accepted", () => {
  assertEquals(checkMessage({ t: P.TELEMETRY, c: 3, s: [span], l: [log], e: [1, { x: 2 }] }), undefined)
})

Deno.test("a malformed TELEMETRY message is a protocol violation (the worker that sent it is stopped)", () => {
  const bad: ReadonlyArray<unknown> = [
    { t: P.TELEMETRY, c: -1, s: [], l: [], e: [] },
    { t: P.TELEMETRY, c: 1, s: [{ ...span, s: "soon" }], l: [], e: [] },
    { t: P.TELEMETRY, c: 1, s: [{ ...span, v: [["ev", 5, {}]] }], l: [], e: [] },
    { t: P.TELEMETRY, c: 1, s: [], l: [{ ...log, l: "Loud" }], e: [] },
    { t: P.TELEMETRY, c: 1, s: [], l: [], e: "events" },
    { t: P.TELEMETRY, c: 1, s: [], l: [] },
  ]
  for (const message of bad) assert(checkMessage(message) !== undefined, JSON.stringify(message))
})
