import * as Exit from "effect/Exit"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import { toExit } from "../../src/worker/parent/outcome.ts"
import * as P from "../../src/worker/wire/protocol.ts"
import * as tasks from "../fixtures/tasks.ts"

const task = tasks.double as unknown as mp.Task.Task<unknown, unknown, unknown>

Deno.test("toExit() turns an outcome it cannot read into SerializationError (decode-result) instead of throwing", () => {
  const unreadable: Array<[number, unknown]> = [
    [P.FAILURE, { __mpError: null }],
    [P.FAILURE, {
      __mpError: {
        name: "E",
        message: "m",
        stack: "",
        fields: {
          get x() {
            throw new Error("no")
          },
        },
      },
    }],
  ]
  for (const [kind, value] of unreadable) {
    const exit = toExit(task, kind, value)
    const e = Exit.findErrorOption(exit)
    assert(e._tag === "Some")
    assertInstanceOf(e.value, mp.SerializationError)
    assertEquals(e.value.stage, "decode-result")
  }
  assertEquals(toExit(task, P.SUCCESS, 4), Exit.succeed(4))
})
