import * as Effect from "effect/Effect"
import { assert, assertEquals, assertInstanceOf, assertStrictEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { decode, encode, EncodeFailure, Reader, Writer } from "../../src/ipc/internal/value_bytes.ts"
import { test } from "../support/mod.ts"

const roundTrip = (v: unknown): unknown => {
  const w = new Writer()
  encode(w, v)
  const r = new Reader(w.u8.subarray(0, w.pos))
  const out = decode(r)
  assertEquals(r.pos, w.pos, "the decoder did not consume exactly what was encoded")
  return out
}

class Point {
  constructor(readonly x: number, readonly y: number) {}
}

const catalogue: Array<[string, unknown]> = [
  ["integers", [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53]],
  ["floats", [1.5, -0.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]],
  ["short and long latin1 strings", ["", "a", "héllo", "x".repeat(5000)]],
  ["non-latin1 strings", ["日本語", "emoji 😀 here", "ü".repeat(100) + "😀".repeat(100)]],
  ["booleans, null, undefined", [true, false, null, undefined]],
  ["bigints", [0n, 1n, -1n, 2n ** 100n, -(2n ** 70n)]],
  ["nested plain data", { id: 1, name: "n", tags: ["a", "b"], deep: { deeper: { list: [[1], [2, [3]]] } } }],
  ["empty containers", [[], {}, new Map(), new Set()]],
  ["dates", [new Date(0), new Date(1_700_000_000_123)]],
  ["typed arrays", [
    new Uint8Array([1, 2, 255]),
    new Float64Array([1.5, -2]),
    new BigInt64Array([-5n]),
    new Int16Array(0),
  ]],
  ["an ArrayBuffer", new Uint8Array([9, 8, 7]).buffer],
  ["maps and sets", [new Map<unknown, unknown>([["a", 1], [2, { b: [3] }]]), new Set([1, "two", null])]],
  ["objects with odd keys", { "": 1, "with space": 2, "1": 3, "ünï": 4 }],
]

for (const [name, value] of catalogue) {
  test(`codec: ${name} round-trip like structuredClone`, () =>
    Effect.sync(() => {
      assertEquals(roundTrip(value), structuredClone(value))
    }))
}

test("codec: -0 and NaN survive", () =>
  Effect.sync(() => {
    assert(Object.is(roundTrip(-0), -0))
    assert(Number.isNaN(roundTrip(NaN)))
  }))

test("codec: lone surrogates survive (no UTF-8 replacement character)", () =>
  Effect.sync(() => {
    for (const s of ["\ud800", "a\udfffb", "x".repeat(40) + "\ud83d"]) {
      const out = roundTrip(s) as string
      assertEquals(out.length, s.length)
      for (let i = 0; i < s.length; i++) assertEquals(out.charCodeAt(i), s.charCodeAt(i))
    }
  }))

test("codec: a typed array view keeps only its bytes, in a fresh buffer", () =>
  Effect.sync(() => {
    const buffer = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer
    const view = new Uint16Array(buffer, 2, 2)
    const out = roundTrip(view) as Uint16Array
    assertInstanceOf(out, Uint16Array)
    assertEquals(Array.from(out), Array.from(view))
  }))

test("codec: shared references and cycles are kept (through the general format)", () =>
  Effect.sync(() => {
    const shared = { n: 1 }
    const out = roundTrip({ a: shared, b: shared }) as { a: object; b: object }
    assertStrictEquals(out.a, out.b)
    const cyclic: Record<string, unknown> = { name: "loop" }
    cyclic.self = cyclic
    const back = roundTrip(cyclic) as Record<string, unknown>
    assertStrictEquals(back.self, back)
  }))

test("codec: Errors, RegExps, class instances and sparse arrays go through the general format", () =>
  Effect.sync(() => {
    const error = roundTrip(new RangeError("bad")) as Error
    assertInstanceOf(error, RangeError)
    assertEquals(error.message, "bad")
    const re = roundTrip(/a+b/gi) as RegExp
    assertEquals([re.source, re.flags], ["a+b", "gi"])
    assertEquals(roundTrip(new Point(1, 2)), { x: 1, y: 2 })
    // deno-lint-ignore no-sparse-arrays
    const sparse = [1, , 3]
    const out = roundTrip(sparse) as Array<number>
    assertEquals(out.length, 3)
    assert(!(1 in out))
  }))

test("codec: a __proto__ key stays an own property and does not change the prototype", () =>
  Effect.sync(() => {
    const o = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}')
    const out = roundTrip(o) as Record<string, unknown>
    assertStrictEquals(Object.getPrototypeOf(out), Object.prototype)
    assertEquals(Object.keys(out), ["__proto__", "x"])
    assertEquals(({} as Record<string, unknown>).polluted, undefined)
  }))

test("codec: functions, symbols, SharedArrayBuffers and shared objects are refused with a reason", () =>
  Effect.gen(function* () {
    const queue = yield* mp.Queue.make()
    const refused: Array<[unknown, string]> = [
      [() => 1, "function"],
      [Symbol("s"), "symbol"],
      [{ deep: [{ f() {} }] }, "function"],
      [new SharedArrayBuffer(4), "SharedArrayBuffer"],
      [new Int32Array(new SharedArrayBuffer(4)), "SharedArrayBuffer"],
      [queue, "shared object (Queue)"],
      [new WeakMap(), "could not be cloned"],
    ]
    for (const [value, reason] of refused) {
      const w = new Writer()
      w.pos = 3
      let thrown: unknown
      try {
        encode(w, value)
      } catch (e) {
        thrown = e
      }
      assertInstanceOf(thrown, EncodeFailure)
      assert(thrown.message.includes(reason), `${thrown.message} should mention ${reason}`)
      assertEquals(w.pos, 3, "a refused value must leave the writer where it was")
    }
  }))
