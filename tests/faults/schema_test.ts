/**
 * A value that does not fit its schema fails, at every one of the four
 * crossings, as a `SerializationError` whose `stage` names the crossing: the
 * parent encoding the payload, the worker decoding it, the worker encoding the
 * result (or typed failure), the parent decoding it. Only that task fails,
 * also inside a chunk of others; no worker is replaced; nothing hangs.
 *
 * The worker-side and parent-side failures use schemas that disagree between
 * the two sides (the fixtures reject negative numbers on one side only), as
 * happens when a task module changes on disk while a pool runs.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as faults from "../fixtures/fault_tasks.ts"
import * as tasks from "../fixtures/tasks.ts"
import { errorOf, test } from "../support/mod.ts"
import { serves, settledWithoutReplacement } from "./_helpers.ts"

type AnyTask = mp.Task.Task<number, unknown, unknown>

const cases: ReadonlyArray<readonly [mp.SerializationStage, string, AnyTask, string]> = [
  ["encode-payload", "the parent encodes the payload", tasks.doubleChecked as AnyTask, "Expected number"],
  ["decode-payload", "the worker decodes the payload", faults.workerRejectsPayload, "this worker's schema rejects -1"],
  ["encode-result", "the worker encodes the result", faults.wrongResult, "Expected number"],
  ["encode-result", "the worker encodes the typed failure", faults.wrongFailure, "failure schema"],
  ["decode-result", "the parent decodes the result", faults.parentRejectsResult, "this parent's schema rejects -1"],
  ["decode-result", "the parent decodes the typed failure", faults.parentRejectsFailure, "failure schema"],
]

for (const [stage, where, task, says] of cases) {
  test(`A value that does not fit when ${where} fails that task alone with SerializationError (${stage}), also inside a chunk`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      const bad = stage === "encode-payload" ? "x" as unknown as number : -1
      const error = yield* Effect.flip(pool.apply(task, bad))
      assertInstanceOf(error, mp.SerializationError)
      assertEquals(error.stage, stage)
      assertEquals(error.taskName, task.name)
      assertStringIncludes(error.message, says)
      // In a chunk of five, the neighbours keep their own outcome.
      const exits = yield* pool.mapExit(task, [1, 2, bad, 3, 4], { chunkSize: 5 })
      const failed = errorOf(exits[2])
      assert(failed instanceof mp.SerializationError && failed.stage === stage, String(exits[2]))
      for (const i of [0, 1, 3, 4]) {
        const e = errorOf(exits[i])
        assert(!(e instanceof mp.SerializationError), `item ${i}: ${String(exits[i])}`)
      }
      yield* serves(pool)
      assertEquals((yield* pool.stats).workersReplaced, 0)
    }))
}

test("Process.spawn reports the worker-side and parent-side schema failures with their stage too", () =>
  Effect.gen(function* () {
    for (
      const [task, stage] of [[faults.workerRejectsPayload, "decode-payload"], [
        faults.parentRejectsResult,
        "decode-result",
      ]] as const
    ) {
      const p = yield* mp.Process.spawn(task as AnyTask, -1)
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.SerializationError)
      assertEquals(error.stage, stage)
      assertEquals(yield* p.exitCode, 1)
    }
    const ok = yield* mp.Process.spawn(faults.parentRejectsResult, 5)
    assertEquals(yield* ok.await, Exit.succeed(5))
  }))

test("imap and imapUnordered fail the stream with SerializationError naming the crossing, and stop the rest", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, interruptGrace: 10_000 })
    for (const imap of [pool.imap, pool.imapUnordered]) {
      const encode = yield* Effect.flip(
        Stream.runCollect(imap(tasks.doubleChecked, [1, 2, "x" as unknown as number, 4])),
      )
      assert(encode instanceof mp.SerializationError && encode.stage === "encode-payload", String(encode))
      const decode = yield* Effect.flip(Stream.runCollect(imap(faults.parentRejectsResult, [1, 2, -3, 4])))
      assert(decode instanceof mp.SerializationError && decode.stage === "decode-result", String(decode))
    }
    yield* settledWithoutReplacement(pool)
    yield* serves(pool)
  }))
