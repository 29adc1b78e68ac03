import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { test } from "../support/mod.ts"

for (const chunkSize of [1, 3]) {
  test(`Pool.mapExit() with a payload that cannot be cloned fails only that payload (chunk size ${chunkSize})`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      const exits = yield* pool.mapExit(tasks.double, [1, (() => 1) as unknown as number, 3], { chunkSize })
      assertEquals(exits[0], Exit.succeed(2))
      const e = Exit.findErrorOption(exits[1])
      assert(e._tag === "Some" && e.value instanceof mp.SerializationError && e.value.stage === "encode-payload")
      assertEquals(exits[2], Exit.succeed(6))
      assertEquals(yield* pool.map(tasks.double, [4]), [8])
    }))
}
