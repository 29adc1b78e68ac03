/**
 * The parent's side of the wire, with a fake host: every message from a
 * worker is checked before it is acted on (a malformed one ends that worker,
 * whose chunks fail with `WorkerCrashed` naming the protocol violation), a
 * handler that throws does not take the parent down, and a RUN message the
 * worker could not read is sent again item by item.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert"
import type { WorkerCrashed } from "../../src/errors.ts"
import { type ChunkHandler, WorkerClient } from "../../src/worker/parent/client.ts"
import type { HostEvents, HostFactory } from "../../src/worker/parent/host.ts"
import * as P from "../../src/worker/wire/protocol.ts"

interface Recorded {
  readonly results: Array<[number, ReadonlyArray<number>, ReadonlyArray<unknown>]>
  lost: WorkerCrashed | undefined
  losses: number
  started: number
}

const setup = () => {
  const posted: Array<P.ToWorker> = []
  let events: HostEvents | undefined
  let terminated = false
  const host: HostFactory = (options) => {
    events = options.events
    return {
      isolation: "process",
      post: (message) => void posted.push(message),
      terminate: () => void (terminated = true),
    }
  }
  const client = new WorkerClient({ id: 990_000 + Math.floor(Math.random() * 1000), name: "fake", host })
  const record = (): Recorded & { handler: ChunkHandler } => {
    const r: Recorded = { results: [], lost: undefined, losses: 0, started: 0 }
    return Object.assign(r, {
      handler: {
        onResults: (start: number, kinds: ReadonlyArray<number>, values: ReadonlyArray<unknown>) =>
          void r.results.push([start, [...kinds], [...values]]),
        onLost: (e: WorkerCrashed) => {
          r.lost = e
          r.losses++
        },
        onStarted: () => void r.started++,
      },
    })
  }
  const send = (message: unknown) => events!.onMessage(message as P.FromWorker)
  return { client, posted, send, record, isTerminated: () => terminated }
}

const violations: Record<string, (c: number) => unknown> = {
  "an outcome reported twice": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [0], v: [1] }, { c, i: 0, k: [0], v: [1] }] }),
  "outcomes past the end of the chunk": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [0, 0, 0, 0], v: [1, 2, 3, 4] }] }),
  "a negative index": (c) => ({ t: P.RESULTS, r: [{ c, i: -1, k: [0], v: [1] }] }),
  "a fractional index": (c) => ({ t: P.RESULTS, r: [{ c, i: 0.5, k: [0], v: [1] }] }),
  "a skipped outcome": (c) => ({ t: P.RESULTS, r: [{ c, i: 1, k: [0], v: [1] }] }),
  "kinds and values of different lengths": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [0, 0], v: [1] }] }),
  "kinds that are not an array": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: "00", v: [1, 2] }] }),
  "an empty run": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [], v: [] }] }),
  "an unknown outcome kind": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [9], v: [1] }] }),
  "an exception that is a number": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [P.EXCEPTION], v: [5] }] }),
  "a serialization failure with an unknown stage": (c) => ({
    t: P.RESULTS,
    r: [{ c, i: 0, k: [P.SERIALIZATION], v: [{ stage: "nowhere", message: "x" }] }],
  }),
  "a missing task without a reason": (c) => ({ t: P.RESULTS, r: [{ c, i: 0, k: [P.NOT_FOUND], v: [{}] }] }),
  "results for an unknown chunk": (c) => ({ t: P.RESULTS, r: [{ c: c + 1000, i: 0, k: [0], v: [1] }] }),
  "STARTED for an unknown chunk": (c) => ({ t: P.STARTED, c: c + 1000 }),
  "EXIT with a code that is not a number": () => ({ t: P.EXIT, code: null, reason: "x" }),
  "FATAL with an error that is a string": () => ({ t: P.FATAL, error: "boom" }),
  "LOST for a message never sent": () => ({ t: P.LOST, s: 99, reason: "x" }),
  "an unknown message type": () => ({ t: 42 }),
  "an array": () => [P.RESULTS],
  "undefined": () => undefined,
}

for (const [what, forge] of Object.entries(violations)) {
  Deno.test(`WorkerClient: ${what} from the worker ends it; its chunks fail with WorkerCrashed (protocol violation)`, () => {
    const { client, send, record, isTerminated } = setup()
    const a = record()
    const c = client.run("file:///t.ts", "t", [1, 2, 3], a.handler)
    send(forge(c))
    assert(isTerminated(), "the worker was not terminated")
    assertEquals(client.alive, false)
    assert(a.lost !== undefined, "the chunk was not settled")
    assertStringIncludes(a.lost.reason, "protocol violation")
    // Nothing the worker sends afterwards is acted on.
    const delivered = a.results.length
    send({ t: P.RESULTS, r: [{ c, i: 0, k: [0, 0, 0], v: [1, 2, 3] }] })
    assertEquals(a.results.length, delivered)
  })
}

Deno.test("WorkerClient: well-formed runs, in order and across messages, are delivered", () => {
  const { client, send, record, isTerminated } = setup()
  const a = record()
  const c = client.run("file:///t.ts", "t", [1, 2, 3], a.handler)
  send({ t: P.RESULTS, r: [{ c, i: 0, k: [0, P.EXCEPTION], v: [1, { name: "E", message: "m", stack: "" }] }] })
  send({ t: P.RESULTS, r: [{ c, i: 2, k: [P.SERIALIZATION], v: [{ stage: "encode-result", message: "x" }] }] })
  assertEquals(isTerminated(), false)
  assertEquals(a.results.map(([start, kinds]) => [start, kinds]), [[0, [0, P.EXCEPTION]], [2, [P.SERIALIZATION]]])
  assertEquals(client.holds(c), false)
  assertEquals(client.inflightItems, 0)
})

Deno.test("WorkerClient: a handler that throws does not take the parent down; other chunks go on", () => {
  const { client, send, record, isTerminated } = setup()
  const b = record()
  const c1 = client.run("file:///t.ts", "t", [1], {
    onResults: () => {
      throw new Error("a bug in the handler")
    },
    onLost: () => {},
    onStarted: () => {
      throw new Error("a bug in onStarted")
    },
  })
  const c2 = client.run("file:///t.ts", "t", [2], b.handler)
  const error = console.error
  console.error = () => {}
  try {
    send({ t: P.STARTED, c: c1 })
    send({ t: P.RESULTS, r: [{ c: c1, i: 0, k: [0], v: [2] }, { c: c2, i: 0, k: [0], v: [4] }] })
  } finally {
    console.error = error
  }
  assertEquals(isTerminated(), false)
  assertEquals(b.results, [[0, [0], [4]]])
})

Deno.test("WorkerClient: a RUN message the worker could not read is sent again item by item; only that item fails", () => {
  const { client, posted, send, record, isTerminated } = setup()
  const a = record()
  const b = record()
  const [ca, cb] = client.runMany([
    { moduleUrl: "file:///t.ts", taskName: "t", payloads: ["x", "deep", "y"], handler: a.handler, reportStart: true },
    { moduleUrl: "file:///t.ts", taskName: "t", payloads: ["z"], handler: b.handler },
  ])
  assertEquals(posted.length, 2) // INIT, RUN
  send({ t: P.LOST, s: 2, reason: "too deep" })
  assertEquals(isTerminated(), false)
  // One RUN per item, each a chunk of its own.
  const resent = posted.slice(2) as Array<P.RunMessage>
  assertEquals(resent.map((m) => [m.t, m.j.length, m.j[0].p]), [[1, 1, ["x"]], [1, 1, ["deep"]], [1, 1, ["y"]], [
    1,
    1,
    ["z"],
  ]])
  assertEquals(resent[0].j[0].s, 1)
  const ids = resent.map((m) => m.j[0].c)
  assert(!ids.includes(ca) && !ids.includes(cb))
  assert(client.holds(ca) && client.holds(cb))
  // The item that cannot be read is lost again: it alone fails.
  send({ t: P.STARTED, c: ids[0] })
  send({ t: P.RESULTS, r: [{ c: ids[0], i: 0, k: [0], v: ["X"] }] })
  send({ t: P.LOST, s: 4, reason: "too deep" })
  send({ t: P.STARTED, c: ids[2] })
  send({ t: P.RESULTS, r: [{ c: ids[2], i: 0, k: [0], v: ["Y"] }, { c: ids[3], i: 0, k: [0], v: ["Z"] }] })
  assertEquals(isTerminated(), false)
  assertEquals(a.started, 1)
  assertEquals(a.results.map(([start, kinds, values]) => [start, kinds[0], values[0]]), [
    [0, 0, "X"],
    [1, P.SERIALIZATION, { stage: "decode-payload", message: "the payload cannot be read in the worker: too deep" }],
    [2, 0, "Y"],
  ])
  assertEquals(b.results, [[0, [0], ["Z"]]])
  assertEquals(client.holds(ca), false)
  assertEquals(client.holds(cb), false)
  assertEquals(client.inflightItems, 0)
  // Results for the chunk ids the worker never received are a violation.
  send({ t: P.RESULTS, r: [{ c: ca, i: 0, k: [0], v: [1] }] })
  assert(isTerminated())
})

Deno.test("WorkerClient: interrupting a chunk sent again item by item interrupts its items; a death settles it once", () => {
  const { client, posted, send, record } = setup()
  const a = record()
  const c = client.run("file:///t.ts", "t", [1, 2, 3], a.handler)
  send({ t: P.LOST, s: 2, reason: "too deep" })
  const ids = (posted.slice(2) as Array<P.RunMessage>).map((m) => m.j[0].c)
  send({ t: P.RESULTS, r: [{ c: ids[0], i: 0, k: [0], v: [1] }] })
  client.interrupt(c)
  assertEquals(posted.slice(5).map((m) => m.t === P.INTERRUPT ? m.c : -1), [ids[1], ids[2]])
  client.terminate("test")
  assertEquals(a.losses, 1)
  assertStringIncludes(a.lost?.reason ?? "", "test")
})

Deno.test("WorkerClient: a single-item RUN message the worker could not read fails that item at once", () => {
  const { client, posted, send, record } = setup()
  const a = record()
  client.run("file:///t.ts", "t", ["deep"], a.handler)
  send({ t: P.LOST, s: 2, reason: "too deep" })
  assertEquals(posted.length, 2)
  assertEquals(a.results.map(([, kinds]) => kinds[0]), [P.SERIALIZATION])
  assertEquals(client.inflightItems, 0)
})

Deno.test("WorkerClient: a chunk interrupted before the worker reported it lost is settled interrupted, not sent again", () => {
  const { client, posted, send, record } = setup()
  const a = record()
  const c = client.run("file:///t.ts", "t", [1, 2], a.handler)
  client.interrupt(c)
  const before = posted.length
  send({ t: P.LOST, s: 2, reason: "too deep" })
  assertEquals(posted.length, before)
  assertEquals(a.results, [[0, [P.INTERRUPTED, P.INTERRUPTED], [undefined, undefined]]])
  assertEquals(client.holds(c), false)
})
