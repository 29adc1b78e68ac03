/**
 * The worker side of the protocol: loads task modules on demand, runs chunks
 * of payloads through their tasks, and sends outcomes back in batches.
 *
 * Items of one chunk run one after another (as in Python's pool); several
 * chunks may be in flight at once, and async handlers of different chunks
 * overlap. Synchronous handlers cost no Effect machinery; an Effect handler
 * runs in a fiber of its own so that it can be interrupted.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Context from "effect/Context"
import * as Exit_ from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { markTaskFiber } from "../../internal/bootstrap.ts"
import { errorMessage } from "../../internal/error_message.ts"
import { InvalidArgument } from "../../errors.ts"
import { revive } from "../../internal/revive.ts"
import type { AnyTask } from "../../task/Task.ts"
import { interruptRequested, isInterrupted, state as checkpointState } from "../wire/checkpoint.ts"
import * as P from "../wire/protocol.ts"
import { type Found, makeLoader } from "./loader.ts"
import { makeOutbox, type Port } from "./outbox.ts"
import { makeResults } from "./results.ts"
import { chunkContext, type ChunkTrace, makeLogger, now, startChunkTrace } from "./telemetry.ts"
import { makeFinalizers } from "./finalizers.ts"

interface ChunkRun {
  readonly id: number
  readonly task: AnyTask
  readonly payloads: ReadonlyArray<unknown>
  next: number
  interrupted: boolean
  abort: AbortController | undefined
  fiber: Fiber.Fiber<unknown, unknown> | undefined
  /** Set while an async item is pending, to settle it on interrupt. */
  pending: number
  /** The chunk's span, when the caller is traced. */
  trace: ChunkTrace | undefined
  /** The services its Effect handlers run with (made on first use). */
  services: Context.Context<never> | undefined
  failed: boolean
}

const FLUSH_MS = 4

export type { Port } from "./outbox.ts"

export const makeRuntime = (port: Port) => {
  const chunks = new Map<number, ChunkRun>()
  // Chunks whose span is open: a traced chunk's span ends before its last outcome is queued, so
  // that the spans reach the parent before the outcome that settles the caller.
  let tracedChunks = 0
  const traceOutcome = (chunk: number, index: number, kind: number): void => {
    if (tracedChunks === 0) return
    const run = chunks.get(chunk)
    if (run?.trace === undefined) return
    if (kind !== P.SUCCESS) run.failed = true
    if (index === run.payloads.length - 1) endTrace(run)
  }
  const endTrace = (run: ChunkRun): void => {
    if (run.trace === undefined) return
    tracedChunks--
    run.trace.span.end(now(), run.failed || run.interrupted ? Exit_.fail("failed") : Exit_.void)
    run.trace = undefined
  }
  const { push, flush, sink, lastFlush } = makeOutbox(port, traceOutcome)
  const finalizers = makeFinalizers(port, flush)
  const { succeed, onExit, cannotSend } = makeResults(push)
  const loadTask = makeLoader()
  const logger = makeLogger(sink)

  const settleRemaining = (run: ChunkRun, kind: number, value: unknown): void => {
    while (run.next < run.payloads.length) push(run.id, run.next++, kind, value)
    finish(run)
  }

  /** The chunk has no item left to run: forget it and end its span. */
  const finish = (run: ChunkRun): void => {
    chunks.delete(run.id)
    endTrace(run)
  }

  /** Runs one item; returns a Promise when the item completes asynchronously. */
  const runItem = (run: ChunkRun, index: number): Promise<void> | undefined => {
    const task = run.task
    let payload: unknown
    try {
      payload = revive(run.payloads[index])
    } catch (e) {
      push(run.id, index, P.SERIALIZATION, { stage: "decode-payload", message: errorMessage(e) })
      return
    }
    if (!task.codec.payload.identity) {
      const r = task.codec.payload.decode(payload)
      if (!r.ok) {
        push(run.id, index, P.SERIALIZATION, { stage: "decode-payload", message: r.message })
        return
      }
      payload = r.value
    }
    if (checkpointState.current !== run.id) {
      checkpointState.current = run.id
      checkpointState.interrupted = false
    }
    let result: unknown
    try {
      result = task.handler.length >= 2
        ? task.handler(payload, context(run))
        : (task.handler as (p: unknown) => unknown)(payload)
    } catch (e) {
      if (isInterrupted(e)) {
        run.interrupted = true
        push(run.id, index, P.INTERRUPTED, undefined)
      } else push(run.id, index, P.EXCEPTION, P.serializeError(e))
      return
    }
    let shape: "effect" | "thenable" | "value"
    try {
      shape = Effect.isEffect(result) ? "effect" : isThenable(result) ? "thenable" : "value"
    } catch (e) {
      cannotSend(run, index, e)
      return
    }
    if (shape === "effect") {
      run.services ??= chunkContext(logger, run.id, run.trace)
      const fiber = Effect.runForkWith(run.services)(result as Effect.Effect<unknown, unknown>)
      markTaskFiber(fiber)
      const done = fiber.pollUnsafe()
      if (done !== undefined) {
        onExit(run, index, done)
        return
      }
      run.fiber = fiber
      run.pending = index
      return new Promise((resolve) => {
        fiber.addObserver((exit) => {
          run.fiber = undefined
          if (run.pending === index) {
            run.pending = -1
            onExit(run, index, exit)
          }
          resolve()
        })
      })
    }
    if (shape === "thenable") {
      run.pending = index
      return Promise.resolve(result).then(
        (value) => {
          if (run.pending !== index) return
          run.pending = -1
          succeed(run, index, value)
        },
        (e) => {
          if (run.pending !== index) return
          run.pending = -1
          if (isInterrupted(e) || (run.interrupted && isAbortError(e))) push(run.id, index, P.INTERRUPTED, undefined)
          else push(run.id, index, P.EXCEPTION, P.serializeError(e))
        },
      )
    }
    succeed(run, index, result)
  }

  const context = (run: ChunkRun) => {
    if (run.abort === undefined) run.abort = new AbortController()
    return {
      signal: run.abort.signal,
      taskName: run.task.name,
      emit: (event: unknown) => emit(run, event),
      addFinalizer: finalizers.add,
    }
  }

  const emit = (run: ChunkRun, event: unknown): void => {
    const codec = run.task.codec.events
    if (codec === undefined || codec.identity) return sink.event(run.id, event)
    const r = codec.encode(event)
    if (!r.ok) {
      throw new InvalidArgument({
        argument: "event",
        message: `the event does not fit the events schema of task "${run.task.name}": ${r.message}`,
      })
    }
    sink.event(run.id, r.value)
  }

  // While synchronous task code runs, the shared busy word holds its chunk id (0 otherwise): a
  // thread terminated in that state cannot stop, and the parent warns about it (see stuck.ts).
  const step = (run: ChunkRun): void => {
    const words = checkpointState.words
    if (words === undefined) return stepItems(run)
    Atomics.store(words, P.BUSY_WORD, run.id)
    try {
      stepItems(run)
    } finally {
      Atomics.store(words, P.BUSY_WORD, 0)
    }
  }

  const stepItems = (run: ChunkRun): void => {
    while (run.next < run.payloads.length) {
      if (run.interrupted) return settleRemaining(run, P.INTERRUPTED, undefined)
      const index = run.next++
      const pending = runItem(run, index)
      if (pending !== undefined) {
        pending.then(() => step(run))
        return
      }
      if ((index & 31) === 0) {
        // A chunk of synchronous items blocks the INTERRUPT message: read the shared ring instead
        // (also written by a terminate, which cannot stop this thread before it returns).
        if (interruptRequested()) run.interrupted = true
        // Let the parent see progress in long synchronous chunks.
        if (performance.now() - lastFlush() > FLUSH_MS) flush()
      }
    }
    finish(run)
  }

  const start = (message: P.Chunk): void => {
    const found = loadTask(message.m, message.n)
    const go = (task: Found): void => {
      // The parent terminated this worker while the module loaded: Deno may still run this continuation.
      if (terminated()) return
      if (typeof task === "string") {
        for (let i = 0; i < message.p.length; i++) push(message.c, i, P.NOT_FOUND, task)
        return
      }
      const run: ChunkRun = {
        id: message.c,
        task,
        payloads: message.p,
        next: 0,
        interrupted: false,
        abort: undefined,
        fiber: undefined,
        pending: -1,
        trace: message.x === undefined
          ? undefined
          : startChunkTrace(sink, message.c, message.x, task.name, message.p.length),
        services: undefined,
        failed: false,
      }
      chunks.set(run.id, run)
      if (run.trace !== undefined) tracedChunks++
      if (message.s === 1) port.post({ t: P.STARTED, c: message.c }, [])
      step(run)
    }
    if (found instanceof Promise) {
      // Remember the chunk so an interrupt that arrives while the module loads is not lost.
      const placeholder = { interrupted: false, size: message.p.length }
      loading.set(message.c, placeholder)
      found.then((task) => {
        loading.delete(message.c)
        if (!placeholder.interrupted) go(task)
      })
    } else go(found)
  }
  const loading = new Map<number, { interrupted: boolean; size: number }>()

  const interrupt = (chunkId: number): void => {
    const placeholder = loading.get(chunkId)
    if (placeholder !== undefined && !placeholder.interrupted) {
      // Still loading its module: report it interrupted now rather than after the import.
      placeholder.interrupted = true
      for (let i = 0; i < placeholder.size; i++) push(chunkId, i, P.INTERRUPTED, undefined)
      return
    }
    const run = chunks.get(chunkId)
    if (run === undefined) return
    run.interrupted = true
    run.abort?.abort()
    if (run.fiber !== undefined) {
      run.fiber.interruptUnsafe()
      return
    }
    if (run.pending >= 0) {
      // A Promise handler cannot be stopped from here: report it interrupted now and drop its late outcome.
      push(run.id, run.pending, P.INTERRUPTED, undefined)
      run.pending = -1
      settleRemaining(run, P.INTERRUPTED, undefined)
    }
  }

  return {
    handle(message: P.ToWorker): void {
      switch (message.t) {
        case P.RUN:
          for (const chunk of message.j) start(chunk)
          return
        case P.INTERRUPT:
          return interrupt(message.c)
        case P.CLOSE:
          return void finalizers.close()
      }
    },
    flush,
  }
}

/** Whether the parent has terminated this worker (it sets the word before it calls `terminate`). */
const terminated = (): boolean => {
  const words = checkpointState.words
  return words !== undefined && Atomics.load(words, P.TERMINATED_WORD) === 1
}

const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as PromiseLike<unknown>).then === "function"

const isAbortError = (e: unknown): boolean => e instanceof DOMException && e.name === "AbortError"
