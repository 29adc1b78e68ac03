/**
 * Shared memory overwritten with garbage by a peer: every wait still honours
 * its deadline (also while acquiring the structure's lock), and every index
 * read from shared memory is range-checked, so corrupted state is the typed
 * `SharedStateCorrupted`, never a `RangeError` defect or a hang.
 */
import { assert, assertEquals, assertInstanceOf, assertLess } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as mp from "../../mod.ts"
import { COUNT, HEAD, LOCK, SIZE, TAIL } from "../../src/ipc/internal/ring.ts"
import { test } from "../support/mod.ts"

/** The control words of a queue (or of one direction of a pipe). */
const ctlOf = (q: unknown): Int32Array => new Int32Array((q as { ctl: SharedArrayBuffer }).ctl)

/** Runs `effect`, expecting it to fail with an instance of `E` within `ms`. */
const failsWith = <E>(
  effect: Effect.Effect<unknown, unknown>,
  E: abstract new (...args: Array<never>) => E,
  ms = 3_000,
) =>
  Effect.gen(function* () {
    const start = performance.now()
    const exit = yield* Effect.exit(effect.pipe(Effect.timeout(10_000)))
    assertLess(performance.now() - start, ms, `took too long: ${String(exit)}`)
    assert(Exit.isFailure(exit), `expected a failure, got ${String(exit)}`)
    const e = Exit.findErrorOption(exit)
    assert(Option.isSome(e), `expected a typed failure (not a defect), got ${String(exit)}`)
    assertInstanceOf(e.value, E, String(exit))
    return e.value
  })

test("Queue: a lock word held by garbage does not make take/put with a timeout hang; try* return at once", () =>
  Effect.gen(function* () {
    const q = yield* mp.Queue.make<number>({ capacity: 4 })
    yield* q.put(1)
    const ctl = ctlOf(q)
    Atomics.store(ctl, LOCK, 0x12345) // looks held by a thread that never releases
    yield* failsWith(q.take({ timeout: "200 millis" }), mp.QueueEmpty)
    yield* failsWith(q.put(2, { timeout: "200 millis" }), mp.QueueFull)
    assertEquals(yield* q.tryTake.pipe(Effect.timeout(2_000)), Option.none())
    assertEquals(yield* q.tryPut(3).pipe(Effect.timeout(2_000)), false)
    Atomics.store(ctl, LOCK, 0)
    assertEquals(yield* q.take({ timeout: "1 second" }), 1, "usable again once the word is sane")
  }))

test("Queue: a lock word no writer produces (bit 31) is SharedStateCorrupted, also without a timeout", () =>
  Effect.gen(function* () {
    const q = yield* mp.Queue.make<number>()
    yield* q.put(1)
    Atomics.store(ctlOf(q), LOCK, -1)
    yield* failsWith(q.take(), mp.SharedStateCorrupted)
    yield* failsWith(q.put(2), mp.SharedStateCorrupted)
    yield* failsWith(q.takeUpTo(5), mp.SharedStateCorrupted)
  }))

test("Queue: a bad head, tail, count or record length is SharedStateCorrupted, not a RangeError or a hang", () =>
  Effect.gen(function* () {
    const cases: ReadonlyArray<readonly [string, (ctl: Int32Array) => void]> = [
      ["head past the end", (c) => c[HEAD] = 0x7fffffff],
      ["negative head", (c) => c[HEAD] = -8],
      ["tail past the size", (c) => c[TAIL] = c[SIZE] + 100],
      ["count without bytes", (c) => {
        c[HEAD] = 0
        c[TAIL] = 0
        c[COUNT] = 5
      }],
      ["size past the buffer", (c) => c[SIZE] = 0x7fffffff],
    ]
    for (const [what, corrupt] of cases) {
      const q = yield* mp.Queue.make<number>()
      yield* q.putAll([1, 2, 3])
      corrupt(ctlOf(q))
      const e = yield* failsWith(q.take({ timeout: "1 second" }), mp.SharedStateCorrupted)
      assertEquals(e.structure, "queue", what)
      yield* failsWith(q.put(4), mp.SharedStateCorrupted)
    }
    // A record whose length runs past the queued bytes.
    const q = yield* mp.Queue.make<number>()
    yield* q.put(1)
    new DataView((q as unknown as { data: SharedArrayBuffer }).data).setUint32(0, 0x7fff0000, true)
    yield* failsWith(q.take(), mp.SharedStateCorrupted)
  }))

test("Pipe: garbage in a direction's lock word or ring is SharedStateCorrupted for send and recv", () =>
  Effect.gen(function* () {
    const [a, b] = yield* mp.Pipe.make<number>()
    yield* a.send(1)
    const ring = (b as unknown as { rx: { ctl: SharedArrayBuffer } }).rx
    const ctl = new Int32Array(ring.ctl)
    ctl[HEAD] = 0x7fffffff
    yield* failsWith(b.recv, mp.SharedStateCorrupted)
    yield* failsWith(a.send(2), mp.SharedStateCorrupted)
    ctl[HEAD] = 0
    Atomics.store(ctl, LOCK, -5)
    yield* failsWith(b.recv, mp.SharedStateCorrupted)
  }))

test("Manager: a log offset or length no writer produced is SharedStateCorrupted", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const d = yield* manager.dict<number>()
    yield* d.set("a", 1)
    const ctl = new Int32Array((d as unknown as { ctl: SharedArrayBuffer }).ctl)
    const d2 = yield* manager.dict<number>() // an unrelated proxy keeps working
    // END (word 2) past the log: a reader that is not current must refuse it.
    ctl[2] = 0x7ffffff0
    ctl[1]++ // a new epoch, so the replica re-reads
    yield* failsWith(d.get("a"), mp.SharedStateCorrupted)
    yield* failsWith(d.set("b", 2), mp.SharedStateCorrupted)
    yield* d2.set("x", 1)
    assertEquals(yield* d2.get("x"), Option.some(1))
  }))

test("Queue: a put nested 2,000 levels deep is EncodeError at once, not a RangeError defect", () =>
  Effect.gen(function* () {
    const q = yield* mp.Queue.make<unknown>()
    let deep: unknown = 0
    for (let i = 0; i < 2_000; i++) deep = [deep]
    const e = yield* failsWith(q.put(deep), mp.EncodeError)
    assert(e.message.includes("nested"), e.message)
    let deeper: Record<string, unknown> = {}
    for (let i = 0; i < 100_000; i++) deeper = { x: deeper }
    yield* failsWith(q.put(deeper), mp.EncodeError)
    assertEquals(yield* q.size, 0)
    yield* q.put([[[1]]])
    assertEquals(yield* q.take(), [[[1]]])
  }))
