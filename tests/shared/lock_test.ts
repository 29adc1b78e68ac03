import { assertEquals } from "@std/assert"
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { Lock, Value } from "../../src/shared/mod.ts"
import * as tasks from "../fixtures/shared_tasks.ts"
import { test } from "../support/mod.ts"

const N = 100_000

test("Lock.withLock() loses no increment across two workers (2 x 100,000)", () =>
  Effect.gen(function* () {
    const lock = yield* Lock.make()
    const data = new Int32Array(new SharedArrayBuffer(4))
    const a = yield* mp.Process.spawn(tasks.incrementUnderLock, { lock, data, n: N })
    const b = yield* mp.Process.spawn(tasks.incrementUnderLock, { lock, data, n: N })
    yield* Effect.all([a.join, b.join], { concurrency: 2 })
    assertEquals(data[0], 2 * N)
  }), { timeout: 60_000 })

test("Value.update() loses no increment across two workers (2 x 100,000)", () =>
  Effect.gen(function* () {
    const counter = yield* Value.make("i", 0)
    const a = yield* mp.Process.spawn(tasks.incrementValue, { counter, n: N })
    const b = yield* mp.Process.spawn(tasks.incrementValue, { counter, n: N })
    yield* Effect.all([a.join, b.join], { concurrency: 2 })
    assertEquals(yield* counter.get(), 2 * N)
  }), { timeout: 60_000 })
