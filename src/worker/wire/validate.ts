/**
 * Shape checks for what a worker sends to the parent. A worker runs task
 * code, and task code can post anything (`self.postMessage` in a thread,
 * forged frames on a child's stdout): the parent checks every message before
 * it acts on it, and a malformed one ends only that worker.
 *
 * The checks are plain code and cheap: the envelope of each message, the
 * structure of each run of outcomes (one `typeof` or `switch` per outcome),
 * never the values themselves (those are the task's; the schemas decode them).
 *
 * @internal
 * @module
 */
import * as P from "./protocol.ts"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** A non-negative safe integer (a chunk id, an index, a message number). */
export const isIndex = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0

const isSerializedError = (u: unknown): boolean =>
  isRecord(u) && typeof u.name === "string" && typeof u.message === "string" && typeof u.stack === "string"

const isStringRecord = (u: unknown): boolean => isRecord(u) && !Array.isArray(u)
const isTime = (u: unknown): boolean => typeof u === "string" && /^[0-9]{1,25}$/.test(u)

const isSpanRecord = (u: unknown): boolean =>
  isRecord(u) && typeof u.n === "string" && typeof u.i === "string" && typeof u.p === "string" &&
  isTime(u.s) && isTime(u.e) && isStringRecord(u.a) && Array.isArray(u.v) &&
  u.v.every((e) => Array.isArray(e) && typeof e[0] === "string" && isTime(e[1]) && isStringRecord(e[2])) &&
  (u.f === undefined || typeof u.f === "string")

const LEVELS: ReadonlyArray<unknown> = ["Fatal", "Error", "Warn", "Info", "Debug", "Trace"]

const isLogRecord = (u: unknown): boolean =>
  isRecord(u) && LEVELS.includes(u.l) && Array.isArray(u.m) && isStringRecord(u.a) && typeof u.d === "number"

const STAGES: ReadonlyArray<unknown> = ["encode-payload", "decode-payload", "encode-result", "decode-result"]

const describe = (u: unknown): string => {
  if (typeof u === "string") return JSON.stringify(u.length > 40 ? `${u.slice(0, 40)}…` : u)
  if (u === null || typeof u !== "object") return String(u)
  return Array.isArray(u) ? "an array" : "an object"
}

/**
 * Why `message` is not a well-formed message from a worker, or `undefined`
 * when it is. Checks the envelope; the runs of a RESULTS message are checked
 * by `checkRun` against the chunk they name.
 */
export const checkMessage = (message: unknown): string | undefined => {
  if (!isRecord(message)) return `a message is ${describe(message)}, not an object`
  switch (message.t) {
    case P.RESULTS:
      return Array.isArray(message.r) && message.r.length > 0 ? undefined : "a RESULTS message without runs"
    case P.STARTED:
      return isIndex(message.c) ? undefined : `a STARTED message with chunk id ${describe(message.c)}`
    case P.EXIT:
      return typeof message.code === "number" && typeof message.reason === "string"
        ? undefined
        : `an EXIT message with code ${describe(message.code)} and reason ${describe(message.reason)}`
    case P.FATAL:
      return isSerializedError(message.error) ? undefined : "a FATAL message without an error"
    case P.READY:
    case P.FINALIZERS:
      return undefined
    case P.CLOSED:
      return Array.isArray(message.f) && message.f.every(isSerializedError) && Array.isArray(message.l) &&
          message.l.every(isLogRecord)
        ? undefined
        : "a CLOSED message with malformed errors or logs"
    case P.TELEMETRY:
      return isIndex(message.c) && Array.isArray(message.s) && Array.isArray(message.l) && Array.isArray(message.e) &&
          message.s.every(isSpanRecord) && message.l.every(isLogRecord)
        ? undefined
        : `a TELEMETRY message for chunk ${describe(message.c)} with malformed spans or logs`
    case P.LOST:
      return isIndex(message.s) && typeof message.reason === "string"
        ? undefined
        : `a LOST message with number ${describe(message.s)}`
    default:
      return `a message of unknown type ${describe(message.t)}`
  }
}

/**
 * Why a run of outcomes is malformed, or `undefined`. `next` is the index
 * the chunk expects next (a worker reports the items of a chunk once each,
 * in order) and `size` the chunk's number of items.
 */
export const checkRun = (run: Record<string, unknown>, next: number, size: number): string | undefined => {
  const { i, k, v } = run
  if (!isIndex(i)) return `the start index is ${describe(i)}`
  if (!Array.isArray(k) || !Array.isArray(v) || k.length === 0 || k.length !== v.length) {
    return "its kinds and values are not two arrays of the same non-zero length"
  }
  if (i !== next) {
    return i < next ? `item ${i} of a chunk was reported twice` : `items ${next} to ${i - 1} of a chunk were skipped`
  }
  if (i + k.length > size) return `items up to ${i + k.length - 1} of a chunk of ${size} were reported`
  for (let j = 0; j < k.length; j++) {
    switch (k[j]) {
      case P.SUCCESS:
      case P.FAILURE:
      case P.INTERRUPTED:
        continue
      case P.EXCEPTION:
        if (!isSerializedError(v[j])) return `outcome ${i + j} is an exception without a name, message and stack`
        continue
      case P.SERIALIZATION: {
        const s = v[j]
        if (!isRecord(s) || !STAGES.includes(s.stage) || typeof s.message !== "string") {
          return `outcome ${i + j} is a serialization failure without a stage and a message`
        }
        continue
      }
      case P.NOT_FOUND:
        if (typeof v[j] !== "string") return `outcome ${i + j} is a missing task without a reason`
        continue
      default:
        return `outcome ${i + j} has unknown kind ${describe(k[j])}`
    }
  }
  return undefined
}
