import { assert, assertEquals, assertThrows } from "@std/assert"
import { nestsDeeperThan } from "../../src/worker/wire/depth.ts"

const list = (n: number, wrap: (v: unknown) => unknown): unknown => {
  let v: unknown = 1
  for (let i = 0; i < n; i++) v = wrap(v)
  return v
}

Deno.test("nestsDeeperThan counts objects, arrays, Map keys and values, Set members and an error's cause", () => {
  const wraps: Record<string, (v: unknown) => unknown> = {
    object: (v) => ({ v }),
    array: (v) => [0, v],
    "map value": (v) => new Map([["k", v]]),
    "map key": (v) => new Map([[v, 1]]),
    set: (v) => new Set([v]),
    "error cause": (v) => new Error("e", { cause: v }),
  }
  for (const [what, wrap] of Object.entries(wraps)) {
    assertEquals(nestsDeeperThan(list(100, wrap), 100), false, what)
    assertEquals(nestsDeeperThan(list(101, wrap), 100), true, what)
    assertEquals(nestsDeeperThan(list(5_000, wrap), 2_000), true, what)
  }
})

Deno.test("nestsDeeperThan: primitives, typed arrays and wide values are shallow; cycles are not deep", () => {
  for (const v of [1, "s", null, undefined, new Uint8Array(10), new ArrayBuffer(4), new Date()]) {
    assertEquals(nestsDeeperThan(v, 1), false)
  }
  assertEquals(nestsDeeperThan(Array.from({ length: 100_000 }, (_, i) => ({ i })), 2), false)
  const a: Record<string, unknown> = { x: 1 }
  a.self = a
  a.list = [a, { back: a }]
  assertEquals(nestsDeeperThan(a, 10), false)
  // A value whose sharing would make a naive walk exponential: each object is visited once.
  let shared: unknown = 1
  for (let i = 0; i < 60; i++) shared = [shared, shared]
  assertEquals(nestsDeeperThan(shared, 100), false)
  assertEquals(nestsDeeperThan(shared, 50), true)
})

Deno.test("nestsDeeperThan lets a throwing Proxy trap throw, as the serializer would", () => {
  const hostile = new Proxy({}, {
    ownKeys() {
      throw new Error("trap")
    },
  })
  assertThrows(() => nestsDeeperThan({ a: hostile }, 10))
  assert(!nestsDeeperThan({ a: new Proxy({}, {}) }, 10))
})
