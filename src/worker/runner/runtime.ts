/**
 * The worker side of the protocol: loads task modules on demand, runs chunks
 * of payloads through their tasks, and sends outcomes back in batches.
 *
 * Items of one chunk run one after another (as in Python's pool); several
 * chunks may be in flight at once, and async handlers of different chunks
 * overlap. Synchronous handlers cost no Effect machinery; an Effect handler
 * runs in a fiber of its own so that it can be interrupted.
 *
 * It loads only what the tasks need: `effect` when a handler first returns an
 * Effect or a traced chunk arrives (`effects.ts`), `effect/Schema` before a
 * task with schemas runs (`loader.ts`), the shared classes when a payload
 * carries one that the task module did not load. A worker running plain
 * handlers from a module that imports only `@mp/multiprocessing/task` starts
 * about as fast as a bare Deno worker.
 *
 * @internal
 * @module
 */
import { errorMessage } from "../../internal/error_message.ts"
import { invalidArgument } from "../../internal/invalid_argument.ts"
import { revive, takeUnknownBrand } from "../../internal/revive.ts"
import { loadRevivers, reviversLoaded } from "../../internal/revivers.ts"
import { interruptRequested, isInterrupted, state as checkpointState } from "../wire/checkpoint.ts"
import * as P from "../wire/protocol.ts"
import { type ChunkRun, type EffectSupport, isEffect, isThenable } from "./chunk.ts"
import { type Found, makeLoader } from "./loader.ts"
import { makeOutbox, type Outbox, type Port } from "./outbox.ts"
import { makeResults, type Results } from "./results.ts"
import { hasSchemaCompiler } from "../../task/codec.ts"

const FLUSH_MS = 4

// Imported by URL: a literal specifier would make `effects.ts` (and all of `effect`) part of the graph
// that every new worker type-checks under `deno test` (see `worker/parent/compiled.ts`, which names it).
const EFFECTS = new URL("./effects.ts", import.meta.url).href

// What `preload` loads for tasks with schemas (the loader's own import of it is by the same URL).
const ERRORS_URL = new URL("../../errors.ts", import.meta.url).href

// Also by URL (see EFFECTS): it runs Effect finalizers.
const FINALIZERS = new URL("./finalizers.ts", import.meta.url).href

interface FinalizersModule {
  readonly makeFinalizers: (
    port: Port,
    flush: () => void,
    announced: boolean,
  ) => { readonly add: (finalizer: unknown) => void; readonly close: () => Promise<void> }
}

interface EffectsModule {
  readonly makeEffectSupport: (outbox: Outbox, results: Results) => EffectSupport
}

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
    effects?.endTrace(run.trace, run.failed || run.interrupted)
    run.trace = undefined
  }
  const outbox = makeOutbox(port, traceOutcome)
  const { push, flush, sink, lastFlush } = outbox
  const results = makeResults(push)
  const { succeed, cannotSend } = results

  // The Effect side, loaded on first need.
  let effects: EffectSupport | undefined
  let effectsLoading: Promise<EffectSupport> | undefined
  const loadEffects = (): Promise<EffectSupport> =>
    effectsLoading ??= import(EFFECTS).then((m: EffectsModule) => effects = m.makeEffectSupport(outbox, results))
  // A task module that brought `effect` with it (it loaded the library's Schema-backed errors, as any module
  // importing the whole library does) most likely has Effect handlers: load the Effect side with the module,
  // in its load phase, rather than in its first task's run time.
  const loadTask = makeLoader(() => effects === undefined && hasSchemaCompiler() ? loadEffects() : undefined)

  /**
   * Runs `f` for item `index` once `load` is done (an item that waits for a module): reported
   * interrupted meanwhile, the item is dropped; a module that cannot load fails the item.
   */
  const after = <A>(
    run: ChunkRun,
    index: number,
    load: Promise<A>,
    f: (a: A) => Promise<void> | undefined,
  ): Promise<void> => {
    run.pending = index
    return load.then(
      (a) => {
        if (run.pending !== index) return
        run.pending = -1
        return busy(run, () => f(a))
      },
      (e) => {
        if (run.pending !== index) return
        run.pending = -1
        push(run.id, index, P.EXCEPTION, P.serializeError(e))
      },
    )
  }

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
    let payload: unknown
    try {
      payload = revive(run.payloads[index])
    } catch (e) {
      push(run.id, index, P.SERIALIZATION, { stage: "decode-payload", message: errorMessage(e) })
      return
    }
    if (takeUnknownBrand() && !reviversLoaded()) {
      // A shared object whose class the task module did not load: load them all, then revive again.
      return after(run, index, loadRevivers(), () => runPayload(run, index, revive(payload)))
    }
    return runPayload(run, index, payload)
  }

  const runPayload = (run: ChunkRun, index: number, payload: unknown): Promise<void> | undefined => {
    const task = run.task
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
      shape = isEffect(result) ? "effect" : isThenable(result) ? "thenable" : "value"
    } catch (e) {
      cannotSend(run, index, e)
      return
    }
    if (shape === "effect") {
      return effects !== undefined
        ? effects.run(run, index, result)
        : after(run, index, loadEffects(), (fx) => fx.run(run, index, result))
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
      addFinalizer,
    }
  }

  // Finalizers (`context.addFinalizer`) are kept here; `finalizers.ts`, which runs them with Effect, is
  // loaded only when a worker that has some is closed.
  const finalizerList: Array<unknown> = []
  let closing = false
  const addFinalizer = (finalizer: unknown): void => {
    if (!isEffect(finalizer) && typeof finalizer !== "function") {
      throw invalidArgument(
        "finalizer",
        `Cannot add a finalizer as 'finalizer' must be a function or an Effect: current value is ${typeof finalizer}`,
      )
    }
    finalizerList.push(finalizer)
    // Posted at once, ahead of the outcome of the task that registered it: the parent knows before it sees the task end.
    if (finalizerList.length === 1) port.post({ t: P.FINALIZERS }, [])
  }
  const close = async (): Promise<void> => {
    if (closing) return
    closing = true
    if (finalizerList.length === 0) {
      flush()
      return port.post({ t: P.CLOSED, f: [], l: [] }, [])
    }
    const m = await import(FINALIZERS) as FinalizersModule
    const finalizers = m.makeFinalizers(port, flush, true)
    for (const f of finalizerList) finalizers.add(f)
    return finalizers.close()
  }

  const emit = (run: ChunkRun, event: unknown): void => {
    const codec = run.task.codec.events
    if (codec === undefined || codec.identity) return sink.event(run.id, event)
    const r = codec.encode(event)
    if (!r.ok) {
      throw invalidArgument(
        "event",
        `the event does not fit the events schema of task "${run.task.name}": ${r.message}`,
      )
    }
    sink.event(run.id, r.value)
  }

  // While synchronous task code runs, the shared busy word holds its chunk id (0 otherwise).
  const step = (run: ChunkRun): void => busy(run, () => stepItems(run))

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
    let found = loadTask(message.m, message.n)
    if (message.x !== undefined && effects === undefined) {
      // A traced chunk: its span is recorded by the Effect side.
      const task = found
      found = loadEffects().then(
        () => task,
        (e) => `the worker could not load its Effect runtime: ${errorMessage(e)}`,
      )
    }
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
        trace: message.x === undefined || effects === undefined
          ? undefined
          : effects.startTrace(message.c, message.x, task.name, message.p.length),
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
          return void close()
      }
    },
    flush,
    /**
     * Loads everything a task may need (the Effect side, effect/Schema, the shared classes) now rather
     * than with the first task that needs it: a child process warms up before it reports READY.
     */
    preload: (): Promise<unknown> => Promise.all([loadEffects(), import(ERRORS_URL), loadRevivers()]),
  }
}

/**
 * Runs `f` with the shared busy word holding the chunk's id: a thread terminated while synchronous
 * task code runs cannot stop, and the parent warns about it (see stuck.ts).
 */
const busy = <A>(run: ChunkRun, f: () => A): A => {
  const words = checkpointState.words
  if (words === undefined) return f()
  Atomics.store(words, P.BUSY_WORD, run.id)
  try {
    return f()
  } finally {
    Atomics.store(words, P.BUSY_WORD, 0)
  }
}

/** Whether the parent has terminated this worker (it sets the word before it calls `terminate`). */
const terminated = (): boolean => {
  const words = checkpointState.words
  return words !== undefined && Atomics.load(words, P.TERMINATED_WORD) === 1
}

const isAbortError = (e: unknown): boolean => e instanceof DOMException && e.name === "AbortError"
