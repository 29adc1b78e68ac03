import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import { allocateOwnerId, markOwnerDead } from "../../src/internal/owner.ts"
import * as tasks from "../fixtures/ipc_tasks.ts"
import { exited, test } from "../support/mod.ts"

/** The reason of a `PipeClosed`, failing on any other error. */
const reasonOf = (error: unknown): string => {
  assertInstanceOf(error, mp.PipeClosed)
  return error.reason
}

test("Pipe: the parent and a worker talk in both directions over one duplex pipe", () =>
  Effect.gen(function* () {
    const [parent, child] = yield* mp.Pipe.make<number>()
    const echo = yield* mp.Process.spawn(tasks.pipeEcho, { conn: child })
    for (let i = 1; i <= 100; i++) {
      yield* parent.send(i)
      assertEquals(yield* parent.recv, 2 * i)
    }
    // Many in flight at once: order is kept.
    for (let i = 0; i < 1000; i++) yield* parent.send(i)
    for (let i = 0; i < 1000; i++) assertEquals(yield* parent.recv, 2 * i)
    yield* parent.close
    assertEquals(yield* echo.join, { n: 1100, reason: "eof" })
  }))

test("Pipe: a one-way pipe carries a worker's messages; recv then fails with PipeClosed eof, never hangs", () =>
  Effect.gen(function* () {
    const [reader, writer] = yield* mp.Pipe.make<string>({ duplex: false })
    const sender = yield* mp.Process.spawn(tasks.pipeSender, { conn: writer, n: 50 })
    for (let i = 0; i < 50; i++) assertEquals(yield* reader.recv, `message ${i}`)
    const error = yield* Effect.flip(reader.recv)
    assertInstanceOf(error, mp.PipeClosed)
    assertEquals(error.reason, "eof")
    assertEquals(yield* sender.join, 50)
  }))

test("Pipe: recv waiting on an empty pipe is woken by the other end closing", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<number>()
    const waiting = yield* Effect.forkChild(Effect.flip(a.recv))
    yield* Effect.sleep(50)
    assert(waiting.pollUnsafe() === undefined)
    yield* b.close
    const error = yield* Fiber.join(waiting)
    assertInstanceOf(error, mp.PipeClosed)
    assertEquals(error.reason, "eof")
  }))

test("Pipe: messages sent before close are still received, then EOF", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<string>()
    yield* b.send("last words")
    yield* b.close
    assertEquals(yield* a.recv, "last words")
    assertEquals(reasonOf(yield* Effect.flip(a.recv)), "eof")
  }))

test("Pipe: send to a closed end is broken, and a closed connection refuses both ways", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<number>()
    yield* b.close
    const broken = yield* Effect.flip(a.send(1))
    assertInstanceOf(broken, mp.PipeClosed)
    assertEquals(broken.reason, "broken")
    assertStringIncludes(broken.message, "other end")
    assertEquals(reasonOf(yield* Effect.flip(b.send(1))), "closed")
    assertEquals(reasonOf(yield* Effect.flip(b.recv)), "closed")
  }))

test("Pipe.poll: false on an empty pipe, true once a message is there, waits up to its timeout", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<string>()
    assertEquals(yield* a.poll(), false)
    const started = performance.now()
    assertEquals(yield* a.poll("60 millis"), false)
    assert(performance.now() - started >= 50, "poll returned before its timeout")
    const poller = yield* Effect.forkChild(a.poll(Duration.infinity))
    yield* Effect.sleep(30)
    assert(poller.pollUnsafe() === undefined)
    yield* b.send("here")
    assertEquals(yield* Fiber.join(poller), true)
    assertEquals(yield* a.poll(), true)
    assertEquals(yield* a.recv, "here")
    yield* b.close
    assertEquals(yield* a.poll(), true, "poll is true at EOF: recv would not wait")
  }))

test("Pipe.poll in the parent sees a message a worker sends", () =>
  Effect.gen(function* () {
    const [reader, writer] = yield* mp.Pipe.make<string>({ duplex: false })
    assertEquals(yield* reader.poll(), false)
    yield* mp.Process.spawn(tasks.pipeSender, { conn: writer, n: 1 })
    assertEquals(yield* reader.poll("10 seconds"), true)
    assertEquals(yield* reader.recv, "message 0")
  }))

test("Pipe: a message that cannot be encoded fails that send; the pipe goes on", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<unknown>()
    const error = yield* Effect.flip(a.send({ callback: () => 1 }))
    assertInstanceOf(error, mp.EncodeError)
    yield* a.send({ fine: [1, 2] })
    assertEquals(yield* b.recv, { fine: [1, 2] })
  }))

test("Pipe.schema in a task payload gives the worker its end with the message schema", () =>
  Effect.gen(function* () {
    const [parent, child] = yield* mp.Pipe.make({ schema: Schema.DateFromString })
    const p = yield* mp.Process.spawn(tasks.pipeSchema, { conn: child })
    yield* parent.send(new Date(0))
    const back = yield* parent.recv
    assertInstanceOf(back, Date)
    assertEquals(back.getTime(), 1000)
    yield* p.join
  }))

test("Pipe: a waiting recv sees eof when every thread that used the other end is dead", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<number>()
    const waiting = yield* Effect.forkChild(Effect.flip(a.recv))
    yield* Effect.sleep(150)
    assert(waiting.pollUnsafe() === undefined, "recv gave up while the other end had no users at all")
    // Simulate a worker that used end b and died (what the runtime records when a worker is gone).
    const dead = allocateOwnerId()
    Atomics.store(new Int32Array((b as unknown as { users: SharedArrayBuffer }).users), 1, dead)
    yield* Effect.sleep(150)
    assert(waiting.pollUnsafe() === undefined, "recv gave up while the other end's user was alive")
    markOwnerDead(dead)
    assertEquals(reasonOf(yield* Fiber.join(waiting)), "eof")
    assertEquals(reasonOf(yield* Effect.flip(a.send(1))), "broken")
  }))

test(
  "Pipe: a worker that exits without closing its end gives the parent its messages, then eof",
  () =>
    Effect.gen(function* () {
      const [parent, child] = yield* mp.Pipe.make<number>()
      const p = yield* mp.Process.spawn(tasks.pipeSendThenExit, { conn: child, n: 5 })
      for (let i = 0; i < 5; i++) assertEquals(yield* parent.recv, i)
      yield* exited(p)
      assertEquals(reasonOf(yield* Effect.flip(parent.recv)), "eof")
      assertEquals(reasonOf(yield* Effect.flip(parent.send(1))), "broken")
    }),
  { timeout: 10_000 },
)

test("Pipe: send to a worker that died without closing fails with broken at once", () =>
  Effect.gen(function* () {
    const [parent, child] = yield* mp.Pipe.make<number>()
    const p = yield* mp.Process.spawn(tasks.pipeSendThenExit, { conn: child, n: 1 })
    assertEquals(yield* parent.recv, 0)
    yield* exited(p)
    assertEquals(reasonOf(yield* Effect.flip(parent.send(1))), "broken")
  }), { timeout: 10_000 })

test("Pipe.isConnection recognizes both ends", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make()
    assert(mp.Pipe.isConnection(a) && mp.Pipe.isConnection(b))
    assert(!mp.Pipe.isConnection({ send: () => {} }))
  }))
