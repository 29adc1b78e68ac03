import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import { revive } from "../../src/internal/revive.ts"
import * as tasks from "../fixtures/ipc_tasks.ts"
import * as namespaceTasks from "../fixtures/namespace_tasks.ts"
import { test } from "../support/mod.ts"

/** A copy of a proxy as another thread would get it: structured clone, then revive. */
const elsewhere = <T>(proxy: T): T => revive(structuredClone(proxy)) as T

test("Manager: a dict and a list hammered from two workers lose no update", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const list = yield* manager.list<string>()
    const dict = yield* manager.dict<number>()
    const n = 3000
    const start = new Int32Array(new SharedArrayBuffer(4))
    const workers = [
      yield* mp.Process.spawn(tasks.managerHammer, { list, dict, id: "a", n, start }),
      yield* mp.Process.spawn(tasks.managerHammer, { list, dict, id: "b", n, start }),
    ]
    // The parent hammers too, meanwhile.
    for (let i = 0; i < 300; i++) yield* dict.modify("counter", (v) => Option.getOrElse(v, () => 0) + 1)
    for (const w of workers) assertEquals(yield* w.join, n)
    assertEquals(yield* dict.get("counter"), Option.some(2 * n + 300))
    assertEquals(yield* dict.get("a-last"), Option.some(n - 1))
    assertEquals(yield* dict.get("b-last"), Option.some(n - 1))
    const items = yield* list.toArray
    assertEquals(items.length, 2 * n)
    assertEquals(new Set(items).size, 2 * n)
    for (const id of ["a", "b"]) {
      const mine = items.filter((s) => s.startsWith(`${id}-`))
      assertEquals(mine, Array.from({ length: n }, (_, i) => `${id}-${i}`), `${id}'s appends out of order`)
    }
    // The two workers really ran at the same time: their appends interleave.
    assert(
      items.indexOf("b-0") < items.lastIndexOf(`a-${n - 1}`) && items.indexOf("a-0") < items.lastIndexOf(`b-${n - 1}`),
    )
  }), { timeout: 60_000 })

test("Manager: a worker's change to a namespace and a dict is visible to the parent when the call returns", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const ns = yield* manager.namespace({ x: 41, label: "start" })
    const dict = yield* manager.dict<unknown>()
    const p = yield* mp.Process.spawn(tasks.managerTouch, { ns, dict })
    assertEquals(yield* p.join, 41)
    assertEquals(yield* ns.toObject, { x: 42, label: "from worker" })
    assertEquals(yield* dict.toRecord, { worker: true, nested: { list: [1, 2, 3] } })
  }))

test("Manager.dict: get, set, delete, has, keys, values, entries, size, update, modify, clear", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const d = yield* manager.dict<number>({ a: 1 })
    assertEquals(yield* d.get("a"), Option.some(1))
    assertEquals(yield* d.get("missing"), Option.none())
    yield* d.set("b", 2)
    yield* d.update([["c", 3], ["a", 10]])
    yield* d.update({ d: 4 })
    assertEquals(yield* d.keys, ["a", "b", "c", "d"])
    assertEquals(yield* d.values, [10, 2, 3, 4])
    assertEquals(yield* d.entries, [["a", 10], ["b", 2], ["c", 3], ["d", 4]])
    assertEquals(yield* d.size, 4)
    assert(yield* d.has("c"))
    assertEquals(yield* d.delete("c"), true)
    assertEquals(yield* d.delete("c"), false)
    assertEquals(yield* d.has("c"), false)
    assertEquals(yield* d.modify("z", (v) => Option.getOrElse(v, () => 100) + 1), 101)
    assertEquals(yield* d.toRecord, { a: 10, b: 2, d: 4, z: 101 })
    yield* d.clear
    assertEquals(yield* d.size, 0)
  }))

test("Manager.list: append, extend, get, set, pop, length, toArray, negative indices", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const l = yield* manager.list<string>(["a"])
    yield* l.append("b")
    yield* l.extend(["c", "d"])
    assertEquals(yield* l.length, 4)
    assertEquals(yield* l.get(0), Option.some("a"))
    assertEquals(yield* l.get(-1), Option.some("d"))
    assertEquals(yield* l.get(9), Option.none())
    yield* l.set(1, "B")
    yield* l.set(-1, "D")
    const error = yield* Effect.flip(l.set(4, "x"))
    assertInstanceOf(error, mp.IndexOutOfRange)
    assertEquals([error.index, error.length], [4, 4])
    assertEquals(yield* l.pop(), Option.some("D"))
    assertEquals(yield* l.pop(0), Option.some("a"))
    assertEquals(yield* l.toArray, ["B", "c"])
    yield* l.clear
    assertEquals(yield* l.pop(), Option.none())
  }))

test("Manager: reads return copies; changing a returned object changes nothing shared", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const d = yield* manager.dict<{ tags: Array<string> }>({ k: { tags: ["x"] } })
    const got = Option.getOrThrow(yield* d.get("k"))
    got.tags.push("mutated")
    assertEquals(yield* d.get("k"), Option.some({ tags: ["x"] }))
  }))

test("Manager: a value that cannot be encoded fails that call and changes nothing", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const d = yield* manager.dict<unknown>({ keep: 1 })
    assertInstanceOf(yield* Effect.flip(d.set("f", () => 1)), mp.EncodeError)
    assertInstanceOf(yield* Effect.flip(d.update({ ok: 2, bad: Symbol("s") })), mp.EncodeError)
    assertInstanceOf(yield* Effect.flip(d.modify("keep", () => () => 2)), mp.EncodeError)
    assertEquals(yield* d.toRecord, { keep: 1 })
    const l = yield* manager.list<unknown>()
    assertInstanceOf(yield* Effect.flip(l.extend([1, () => 2])), mp.EncodeError)
    assertEquals(yield* l.length, 0)
  }))

test("Manager: another thread's replica catches up across log compactions", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const d = yield* manager.dict<string>()
    const other = elsewhere(d)
    assertEquals(yield* other.size, 0)
    // Far more log than the compaction threshold (64 KiB), with overwrites.
    for (let i = 0; i < 4000; i++) yield* d.set(`k${i % 500}`, `value ${i} `.padEnd(40, "."))
    assertEquals(yield* other.size, 500)
    assertEquals(yield* other.get("k499"), Option.some("value 3999 ".padEnd(40, ".")))
    yield* other.delete("k0")
    assertEquals(yield* d.has("k0"), false)
    const late = elsewhere(d)
    assertEquals(yield* late.size, 499)
    const list = yield* manager.list<number>()
    const otherList = elsewhere(list)
    for (let i = 0; i < 20_000; i++) yield* list.append(i)
    for (let i = 0; i < 10_000; i++) yield* otherList.pop()
    assertEquals(yield* list.length, 10_000)
    assertEquals(yield* list.get(-1), Option.some(9_999))
  }), { timeout: 30_000 })

test("Manager: an object past its maxBytes fails the call with EncodeError and keeps its state", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make({ maxBytes: 64 * 1024 })
    const l = yield* manager.list<string>()
    const item = "x".repeat(10_000)
    let stored = 0
    for (let i = 0; i < 10; i++) {
      const r = yield* Effect.result(l.append(item))
      if (r._tag === "Success") stored++
      else assertInstanceOf(r.failure, mp.EncodeError)
    }
    assert(stored >= 5 && stored < 10, `stored ${stored}`)
    assertEquals(yield* l.length, stored)
    assertEquals(yield* elsewhere(l).length, stored)
  }))

test("Manager: closing its Scope shuts it down; proxies then fail with ManagerShutdown", () =>
  Effect.gen(function* () {
    const [dict, list, manager] = yield* Effect.scoped(Effect.gen(function* () {
      const m = yield* mp.Manager.make()
      return [yield* m.dict<number>({ a: 1 }), yield* m.list<number>(), m] as const
    }))
    assert(yield* manager.isShutdown)
    assertInstanceOf(yield* Effect.flip(dict.get("a")), mp.ManagerShutdown)
    assertInstanceOf(yield* Effect.flip(dict.set("a", 2)), mp.ManagerShutdown)
    assertInstanceOf(yield* Effect.flip(list.append(1)), mp.ManagerShutdown)
    assertInstanceOf(yield* Effect.flip(elsewhere(list).length), mp.ManagerShutdown)
    assertInstanceOf(yield* Effect.flip(manager.dict()), mp.ManagerShutdown)
  }))

test("Manager.make rejects a tiny maxBytes with InvalidArgument", () =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(mp.Manager.make({ maxBytes: 10 }))
    assertInstanceOf(error, mp.InvalidArgument)
  }))

test("Manager schemas accept their proxies and reject others", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const d = yield* manager.dict()
    const l = yield* manager.list()
    assertEquals(Schema.decodeUnknownResult(mp.Manager.dictSchema())(d)._tag, "Success")
    assertEquals(Schema.decodeUnknownResult(mp.Manager.dictSchema())(l)._tag, "Failure")
    assertEquals(Schema.decodeUnknownResult(mp.Manager.listSchema())(l)._tag, "Success")
    assertEquals(Schema.decodeUnknownResult(mp.Manager.namespaceSchema())(d)._tag, "Failure")
  }))

test(
  "Manager proxies in pool.map payloads: every task's change is there when map returns",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      const manager = yield* mp.Manager.make()
      const list = yield* manager.list<string>()
      const dict = yield* manager.dict<number>()
      const start = new Int32Array(new SharedArrayBuffer(4))
      const n = 500
      yield* pool.map(tasks.managerHammer, ["p", "q"].map((id) => ({ list, dict, id, n, start })))
      assertEquals(yield* list.length, 2 * n)
      assertEquals(yield* dict.get("counter"), Option.some(2 * n))
    }),
  { timeout: 30_000 },
)

test("Manager proxies declared in a task's payload schema work in the worker", () =>
  Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const results = yield* manager.dict<number>()
    const log = yield* manager.list<string>()
    const p = yield* mp.Process.spawn(tasks.managerSchema, { results, log, key: "hello" })
    yield* p.join
    assertEquals(yield* results.toRecord, { hello: 5 })
    assertEquals(yield* log.toArray, ["recorded hello"])
    const wrong = yield* Effect.flip(
      mp.Process.spawn(tasks.managerSchema, { results: log as unknown as typeof results, log, key: "x" }),
    )
    assertInstanceOf(wrong, mp.SerializationError)
  }))

test(
  "Manager namespace: an optional field can be deleted (Python's del ns.x) by any worker: has is false, it reads undefined, toObject leaves it out",
  () =>
    Effect.scoped(Effect.gen(function* () {
      const manager = yield* mp.Manager.make()
      const ns = yield* manager.namespace<{ count: number; note?: string }>({ count: 1, note: "hi" })
      assertEquals(yield* ns.has("note"), true)
      const worker = yield* mp.Process.spawn(namespaceTasks.deleteNote, { ns })
      assertEquals(yield* worker.join, { had: true, hasAfter: false, object: { count: 1 } })
      assertEquals(yield* ns.has("note"), false)
      assertEquals(yield* ns.get("note"), undefined)
      assertEquals(yield* ns.toObject, { count: 1 })
      assertEquals(yield* ns.delete("note"), false) // deleting twice: nothing was there
      assertEquals(yield* ns.modify("note", (n) => `${n ?? "none"}!`), "none!")
      assertEquals(yield* ns.get("note"), "none!")
    })),
  { timeout: 30_000 },
)

test("Manager: a proxy nested in a managed dict or list is refused with an EncodeError that says nesting is not supported; nothing is stored", () =>
  Effect.scoped(Effect.gen(function* () {
    const manager = yield* mp.Manager.make()
    const inner = yield* manager.list<number>([1, 2])
    const dict = yield* manager.dict<unknown>()
    const outer = yield* manager.list<unknown>()
    for (const attempt of [dict.set("xs", inner), dict.update({ xs: [inner] }), outer.append({ inner })]) {
      const e = yield* Effect.flip(attempt)
      assertInstanceOf(e, mp.EncodeError)
      assert(e.message.includes("cannot be nested"), e.message)
    }
    assertEquals(yield* dict.size, 0)
    assertEquals(yield* outer.length, 0)
    // The way that works: plain values inside, proxies in the payload.
    yield* dict.set("xs", yield* inner.toArray)
    assertEquals(yield* dict.get("xs"), Option.some([1, 2]))
  })))
