/**
 * The chunks a worker client holds: what a caller sends (`OutgoingChunk`, with
 * the `ChunkHandler` of its outcomes), how it goes on the wire, and the
 * client's record of it while it is in flight (`Inflight`).
 *
 * @internal
 * @module
 */
import type { WorkerCrashed } from "../../errors.ts"
import type * as P from "../wire/protocol.ts"

/**
 * Receives the outcomes of one chunk, by absolute index (the chunk's `offset`
 * plus the item's place in it). The client counts what was reported: the
 * handler is told when the chunk is complete, and what was lost.
 */
export interface ChunkHandler {
  /** Outcomes of items `index .. index + kinds.length - 1`; `done`: every item of the chunk is now reported. */
  readonly onResults: (
    index: number,
    kinds: ReadonlyArray<number>,
    values: ReadonlyArray<unknown>,
    done: boolean,
  ) => void
  /** The worker died before every item was reported: items `index .. index + count - 1` were not. */
  readonly onLost: (error: WorkerCrashed, index: number, count: number) => void
  /** The chunk started running in the worker (only for chunks sent with `reportStart`). */
  readonly onStarted?: (() => void) | undefined
  /** Spans and log records of the chunk, before the outcomes they precede. */
  readonly onTelemetry?: ((message: P.TelemetryMessage, workerId: number) => void) | undefined
}

/** A chunk to send. */
export interface OutgoingChunk {
  readonly moduleUrl: string
  readonly taskName: string
  readonly payloads: ReadonlyArray<unknown>
  /** The index of its first item, in the job it belongs to (0 by default). */
  readonly offset?: number | undefined
  readonly handler: ChunkHandler
  /** Ask the worker to report when the chunk starts. */
  readonly reportStart?: boolean | undefined
  /** The caller's span (trace id, span id, pool name): the worker traces the chunk under it. */
  readonly trace?: Omit<P.TraceContext, "w"> | undefined
}

/** A chunk in flight, as the client keeps it until every item is reported. */
export interface Inflight {
  readonly id: number
  readonly handler: ChunkHandler
  readonly size: number
  reported: number
  /** The number of the message that carried it (see `P.LOST`). */
  readonly seq: number
  readonly chunk: P.Chunk
  /** Set on a chunk whose message was lost and that was sent again item by item: the items' chunk ids. */
  parts: Array<number> | undefined
  /** Set on one item sent again: the chunk it belongs to. */
  readonly whole: Inflight | undefined
  /** The absolute index of its first item (see `OutgoingChunk.offset`). */
  readonly offset: number
  started: boolean
  /** An interrupt was asked for before the worker reported anything (a lost chunk is then not sent again). */
  interrupted: boolean
}

let nextChunkId = 1

/** `chunk` on the wire, with a new chunk id, for the worker `workerId`. */
export const wireChunk = (chunk: OutgoingChunk, workerId: number): P.Chunk => {
  const c = nextChunkId++
  const wire: P.Chunk = chunk.reportStart
    ? { c, m: chunk.moduleUrl, n: chunk.taskName, p: chunk.payloads, s: 1 }
    : { c, m: chunk.moduleUrl, n: chunk.taskName, p: chunk.payloads }
  return chunk.trace === undefined ? wire : { ...wire, x: { ...chunk.trace, w: workerId } }
}

/** Item `i` of a wire chunk, as a chunk of its own with a new id (a lost message is sent again item by item). */
export const itemOf = (chunk: P.Chunk, i: number): P.Chunk => {
  const c = nextChunkId++
  return chunk.s === 1
    ? { c, m: chunk.m, n: chunk.n, p: [chunk.p[i]], s: 1 }
    : { c, m: chunk.m, n: chunk.n, p: [chunk.p[i]] }
}

/** The record of a chunk just sent. */
export const makeEntry = (
  chunk: P.Chunk,
  handler: ChunkHandler,
  seq: number,
  whole: Inflight | undefined,
  offset: number,
): Inflight => ({
  id: chunk.c,
  handler,
  size: chunk.p.length,
  reported: 0,
  seq,
  chunk,
  parts: undefined,
  whole,
  offset,
  started: false,
  interrupted: false,
})
