import * as Effect from "effect/Effect"
import { assert, assertStrictEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { revive } from "../../src/internal/revive.ts"
import { test } from "../support/mod.ts"

test("revive() turns cloned shared objects back into instances, keeping identity when one is reached twice", () =>
  Effect.gen(function* () {
    const lock = yield* mp.Lock.make()
    const cloned = structuredClone({ a: lock, b: lock, list: [lock], n: 1 })
    const r = revive(cloned) as { a: unknown; b: unknown; list: Array<unknown>; n: number }
    assert(mp.Lock.isLock(r.a))
    assertStrictEquals(r.a, r.b)
    assertStrictEquals(r.list[0], r.a)
    assertStrictEquals(r.n, 1)
  }))

test("revive() leaves primitives and plain data alone", () =>
  Effect.sync(() => {
    assertStrictEquals(revive(42), 42)
    const data = { x: [1, 2, { y: "z" }], bytes: new Uint8Array(3) }
    assertStrictEquals(revive(data), data)
  }))
