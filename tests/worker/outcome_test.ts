import * as Exit from "effect/Exit"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import { decodeItems, prepareItems, type Receiver, toExit } from "../../src/worker/parent/outcome.ts"
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

Deno.test("prepareItems() encodes payloads up to the first that does not fit, with each payload's own transferables", () => {
  const checked = tasks.doubleChecked as unknown as mp.Task.Task<unknown, unknown, unknown>
  const buffer = new ArrayBuffer(8)
  const items = [0, 1, mp.transfer(2, [buffer]), 3, "x", 5]
  const prepared = prepareItems(checked, items, 1, 6)
  assertEquals(prepared.payloads, [1, 2, 3])
  assertEquals(prepared.transfer, [buffer])
  assertEquals(prepared.transfers, [[], [buffer], []])
  assertInstanceOf(prepared.error, mp.SerializationError)
  assertEquals(prepared.error.stage, "encode-payload")
  // No schema and no marker: one slice, nothing to move.
  const plain = prepareItems(task, [1, 2, 3], 1)
  assertEquals([plain.payloads, plain.transfer, plain.transfers, plain.error], [[2, 3], [], undefined, undefined])
})

Deno.test("decodeItems() hands each outcome to the receiver at its absolute index: values, failures as Exits", () => {
  const got: Array<[number, unknown]> = []
  const receiver: Receiver = {
    onSuccess: (i, value) => got.push([i, value]),
    onFailure: (i, exit) => got.push([i, Exit.isFailure(exit) ? "failure" : "?"]),
    onError: () => got.push([-1, "error"]),
  }
  decodeItems(task, 10, [P.SUCCESS, P.EXCEPTION, P.SUCCESS], [4, { name: "E", message: "m" }, 6], receiver)
  assertEquals(got, [[10, 4], [11, "failure"], [12, 6]])
})
