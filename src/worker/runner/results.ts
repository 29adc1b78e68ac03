/**
 * Turns what a handler produced into outcomes on the wire: its value encoded
 * by the success schema, its typed failure by the failure schema (or the
 * registry of known errors). A value that cannot be read or sent fails only
 * its own task. (The outcome of an Effect is read in `effects.ts`.)
 *
 * @internal
 * @module
 */
import { encodeFailure } from "../../internal/known_errors_wire.ts"
import { errorMessage } from "../../internal/error_message.ts"
import type { TaskShape } from "../../task/brand.ts"
import { isTransfer, type Transfer } from "../../task/transfer.ts"
import { nestsDeeperThan } from "../wire/depth.ts"
import * as P from "../wire/protocol.ts"
import type { Outbox } from "./outbox.ts"

/** The chunk an outcome belongs to. */
export interface RunRef {
  readonly id: number
  readonly task: TaskShape
}

/** How one runtime reports the outcomes of its items. */
export interface Results {
  /** The handler returned `value`. */
  readonly succeed: (run: RunRef, index: number, value: unknown) => void
  /** The handler failed with the typed error `error`. */
  readonly fail: (run: RunRef, index: number, error: unknown) => void
  /** The handler's result could not be inspected. */
  readonly cannotSend: (run: RunRef, index: number, e: unknown) => void
}

/** Makes the reporting functions of one runtime, over its outbox. */
export const makeResults = (push: Outbox["push"]): Results => {
  // A result that throws while it is read (a getter, a Proxy) or nests too deep to be read on the
  // other side fails only its own task: it never reaches `flush`, which would lose the batch.
  const cannotSend = (run: RunRef, index: number, e: unknown): void =>
    push(run.id, index, P.SERIALIZATION, {
      stage: "encode-result",
      message: `the result cannot be sent: ${errorMessage(e)}`,
    })

  const pushChecked = (
    run: RunRef,
    index: number,
    kind: number,
    value: unknown,
    transfer?: Array<Transferable>,
  ): void => {
    if (typeof value === "object" && value !== null && nestsDeeperThan(value, P.MAX_DEPTH)) {
      return push(run.id, index, P.SERIALIZATION, {
        stage: "encode-result",
        message: `the result nests more than ${P.MAX_DEPTH} levels deep: it could not be read on the other side`,
      })
    }
    push(run.id, index, kind, value, transfer)
  }

  const succeed = (run: RunRef, index: number, value: unknown): void => {
    try {
      let transfer: Array<Transferable> | undefined
      if (isTransfer(value)) {
        transfer = (value as Transfer<unknown>).transfer as Array<Transferable>
        value = (value as Transfer<unknown>).value
      }
      const codec = run.task.codec.success
      if (codec.identity) return pushChecked(run, index, P.SUCCESS, value, transfer)
      const r = codec.encode(value)
      if (r.ok) pushChecked(run, index, P.SUCCESS, r.value, transfer)
      else push(run.id, index, P.SERIALIZATION, { stage: "encode-result", message: r.message })
    } catch (e) {
      cannotSend(run, index, e)
    }
  }

  const fail = (run: RunRef, index: number, error: unknown): void => {
    try {
      const codec = run.task.codec.failure
      if (codec.identity) return pushChecked(run, index, P.FAILURE, encodeFailure(error))
      const r = codec.encode(error)
      if (r.ok) pushChecked(run, index, P.FAILURE, r.value)
      else {
        push(run.id, index, P.SERIALIZATION, {
          stage: "encode-result",
          message: `the task's failure does not fit its failure schema: ${r.message}`,
        })
      }
    } catch (e) {
      cannotSend(run, index, e)
    }
  }

  return { succeed, fail, cannotSend }
}
