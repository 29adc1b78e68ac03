/**
 * The wire protocol between the parent and a worker. Small and batched: one
 * RUN message carries a whole chunk of payloads, one RESULTS message carries a
 * contiguous run of outcomes. No Effect machinery on this path.
 *
 * @internal
 * @module
 */

/** parent -> worker: first message; who the worker is and its shared words. */
export const INIT = 0
/** parent -> worker: run a chunk of payloads through one task. */
export const RUN = 1
/** parent -> worker: interrupt what is left of a chunk. */
export const INTERRUPT = 2
/** parent -> worker: run the worker's finalizers, then answer CLOSED (see `runner/finalizers.ts`). */
export const CLOSE = 3

/** worker -> parent: outcomes of items `i .. i + k.length - 1` of chunk `c`. */
export const RESULTS = 10
/** worker -> parent: the worker is about to exit (it called `close` or `Deno.exit`). */
export const EXIT = 11
/** worker -> parent: an error escaped every handler; the worker is unusable. */
export const FATAL = 12
/** worker -> parent: chunk `c` (sent with `s: 1`) started running (its module is loaded). */
export const STARTED = 13
/** worker -> parent: INIT was applied; the worker is up and takes work. */
export const READY = 14
/** worker -> parent: spans, log records and events of chunk `c`, sent before the chunk's outcomes that follow them. */
export const TELEMETRY = 15
/** worker -> parent: the first finalizer was registered; the worker is to be ended with CLOSE, not a plain terminate. */
export const FINALIZERS = 16
/** worker -> parent: the finalizers ran (after CLOSE); `f` holds those that failed. The worker may be terminated. */
export const CLOSED = 17
/**
 * worker -> parent: message number `s` (counting every message the parent
 * posted to this worker, INIT included, from 1) arrived but could not be
 * deserialized (a payload nested too deep for the worker's stack). The parent
 * resends its payloads one by one and fails only those that cannot cross.
 */
export const LOST = 20

/** Outcome kinds in a RESULTS message. */
export const SUCCESS = 0
/** The task failed with its typed error (encoded by its failure schema). */
export const FAILURE = 1
/** The handler threw: value is a `SerializedError`. */
export const EXCEPTION = 2
/** The task was interrupted. */
export const INTERRUPTED = 3
/** A crossing failed in the worker: value is `{ stage, message }`. */
export const SERIALIZATION = 4
/** The task could not be loaded: value is the reason. */
export const NOT_FOUND = 5

/** An error as it crosses the boundary. */
export interface SerializedError {
  readonly name: string
  readonly message: string
  readonly stack: string
}

/** The INIT message. */
export interface InitMessage {
  readonly t: typeof INIT
  readonly workerId: number
  readonly name: string
  /**
   * `[requests, ring of 16 chunk ids, busy chunk]`: read by `checkpoint()` without an event-loop turn.
   * Absent for a child process (memory cannot be shared with it).
   */
  readonly interrupts?: SharedArrayBuffer | undefined
  /** Extra shared state installed by other modules (lock ownership), keyed by name. */
  readonly extras: Readonly<Record<string, unknown>>
}

/** One chunk: run payloads `p` through task `n` of module `m`. */
export interface Chunk {
  readonly c: number
  readonly m: string
  readonly n: string
  readonly p: ReadonlyArray<unknown>
  /** When set, the worker reports STARTED before the first item runs (for timeouts). */
  readonly s?: 1 | undefined
  /** When set, the caller's span: the worker runs the chunk in a span under it and sends its spans back. */
  readonly x?: TraceContext | undefined
}

/** The caller's span, as it crosses to a worker. */
export interface TraceContext {
  /** Trace id. */
  readonly t: string
  /** Span id. */
  readonly s: string
  /** Pool name and worker id, recorded on the worker's span. */
  readonly p: string
  readonly w: number
}

/** A span that ended in a worker; times are nanoseconds since the epoch, as decimal strings. */
export interface SpanRecord {
  readonly n: string
  /** Its span id, and its parent's (the caller's span id for the chunk's span). */
  readonly i: string
  readonly p: string
  readonly s: string
  readonly e: string
  /** Attributes; events as `[name, time, attributes]`. */
  readonly a: Record<string, unknown>
  readonly v: Array<[string, string, Record<string, unknown>]>
  /** The error message when the span ended in failure. */
  readonly f?: string | undefined
}

/** A log record written by `Effect.log*` in a task. */
export interface LogRecord {
  /** Level (a `LogLevel.Severity`), message parts, annotations, time in ms since the epoch. */
  readonly l: string
  readonly m: Array<unknown>
  readonly a: Record<string, unknown>
  readonly d: number
}

/** The TELEMETRY message. */
export interface TelemetryMessage {
  readonly t: typeof TELEMETRY
  readonly c: number
  readonly s: Array<SpanRecord>
  readonly l: Array<LogRecord>
  /** Events sent by the handler with `context.emit`, encoded by the task's events schema. */
  readonly e: Array<unknown>
}

/** The RUN message: one or more chunks, sent together to save messages. */
export interface RunMessage {
  readonly t: typeof RUN
  readonly j: ReadonlyArray<Chunk>
}

/** The INTERRUPT message. */
export interface InterruptMessage {
  readonly t: typeof INTERRUPT
  readonly c: number
}

/** The CLOSE message. */
export interface CloseMessage {
  readonly t: typeof CLOSE
}

/** Messages to a worker. */
export type ToWorker = InitMessage | RunMessage | InterruptMessage | CloseMessage

/** A contiguous run of outcomes: items `i .. i + k.length - 1` of chunk `c`. */
export interface ResultRun {
  readonly c: number
  readonly i: number
  readonly k: Array<number>
  readonly v: Array<unknown>
}

/** The RESULTS message: runs of outcomes, possibly of several chunks. */
export interface ResultsMessage {
  readonly t: typeof RESULTS
  readonly r: ReadonlyArray<ResultRun>
}

/** The EXIT message. */
export interface ExitMessage {
  readonly t: typeof EXIT
  readonly code: number
  readonly reason: string
}

/** The FATAL message. */
export interface FatalMessage {
  readonly t: typeof FATAL
  readonly error: SerializedError
}

/** The STARTED message. */
export interface StartedMessage {
  readonly t: typeof STARTED
  readonly c: number
}

/** The READY message. */
export interface ReadyMessage {
  readonly t: typeof READY
}

/** The LOST message. */
export interface LostMessage {
  readonly t: typeof LOST
  /** The number of the message that was lost. */
  readonly s: number
  /** Why it could not be read. */
  readonly reason: string
}

/** The FINALIZERS message. */
export interface FinalizersMessage {
  readonly t: typeof FINALIZERS
}

/** The CLOSED message. */
export interface ClosedMessage {
  readonly t: typeof CLOSED
  /** The finalizers that failed (threw, rejected, or failed as Effects), in the order they ran. */
  readonly f: ReadonlyArray<SerializedError>
  /** What Effect finalizers logged (`Effect.log*`), for the pool's Logger. */
  readonly l: ReadonlyArray<LogRecord>
}

/** Messages from a worker. */
export type FromWorker =
  | ResultsMessage
  | ExitMessage
  | FatalMessage
  | StartedMessage
  | ReadyMessage
  | LostMessage
  | TelemetryMessage
  | FinalizersMessage
  | ClosedMessage

/**
 * How deep a result may nest (objects, arrays, Maps, Sets, errors inside one
 * another) to leave a worker. Structured clone and `node:v8` serialize deeper
 * values, but deserializing them overflows the receiver's stack, on the main
 * thread as on a worker thread (Deno 2.9.6, measured: sparse arrays from
 * ~2,150 levels, plain objects from ~2,680, Maps ~4,600). A result is checked
 * against this limit before it is sent; a payload is not (the worker reports
 * one it could not read, see `LOST`). Python's pickle stops near 1,000.
 */
export const MAX_DEPTH = 1_500

/** The number of chunk ids the interrupt ring remembers. */
export const INTERRUPT_RING = 16

/**
 * The word of the shared interrupt buffer where the worker keeps the id of the
 * chunk whose synchronous task code runs (0 when none): read by the parent
 * after a terminate, see `stuck.ts`.
 */
export const BUSY_WORD: number = 1 + INTERRUPT_RING

/**
 * The word the parent sets to 1 before it terminates the worker. Deno 2.9.6 still runs the continuation of a
 * dynamic `import()` that was pending when the worker was terminated (measured under load): the runtime reads this
 * word before it starts a chunk, so a terminated worker never starts a task.
 */
export const TERMINATED_WORD: number = 2 + INTERRUPT_RING

/** The value of `BUSY_WORD` while a finalizer's synchronous code runs (chunk ids are positive). */
export const FINALIZER_BUSY = -2

/** Int32 words in the shared interrupt buffer: `[requests, ring of chunk ids, busy chunk, terminated]`. */
export const SHARED_WORDS: number = 3 + INTERRUPT_RING

/** Turns anything thrown into a `SerializedError`, whatever it is (cyclic, `undefined`, a string). */
export const serializeError = (e: unknown): SerializedError => {
  if (e instanceof Error) {
    return {
      name: typeof e.name === "string" ? e.name : "Error",
      message: typeof e.message === "string" ? e.message : safeString(e.message),
      stack: typeof e.stack === "string" ? e.stack : "",
    }
  }
  return { name: e === null ? "null" : typeof e, message: safeString(e), stack: "" }
}

const safeString = (u: unknown): string => {
  if (typeof u === "string") return u
  if (u === undefined) return "undefined"
  if (typeof u === "object" && u !== null) {
    try {
      return JSON.stringify(u)
    } catch {
      return Object.prototype.toString.call(u)
    }
  }
  try {
    return String(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}
