import * as Effect from "effect/Effect"
import { assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { test } from "../support/mod.ts"

test("A library error failing a task without a failure schema arrives as its own class", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const error = yield* Effect.flip(pool.apply(tasks.failsWithLibraryError, 0))
    assertInstanceOf(error, mp.PoolClosed)
    assertEquals(error.message, "from the worker")
  }))

test("A tagged error without a failure schema keeps its _tag and fields, so catchTag works", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const error = (yield* Effect.flip(pool.apply(tasks.failsWithUnregistered, 7))) as unknown as {
      _tag: string
      value: number
    }
    assertEquals(error._tag, "ZeroInput")
    assertEquals(error.value, 7)
    const caught = yield* pool.apply(tasks.failsWithUnregistered, 7).pipe(
      Effect.catchTag("ZeroInput", (e) => Effect.succeed(`caught ${e.value}`)),
    )
    assertEquals(caught, "caught 7")
  }))
