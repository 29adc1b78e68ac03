/**
 * The parent's handle on one worker: sends chunks, routes their outcomes to
 * the handler of each chunk, interrupts them, and notices the worker's death
 * (an EXIT or FATAL message, an error event, or our own terminate) so that
 * every chunk it held is settled: nothing waits forever.
 *
 * Every message from the worker is checked first (`validate.ts`): a worker
 * runs task code, which can post anything. A malformed message ends that
 * worker (its chunks fail with `WorkerCrashed` naming the protocol
 * violation); a handler that throws does not take the parent down.
 *
 * A RUN message the worker could not deserialize (a payload nested too deep
 * for its stack) comes back as LOST: its payloads are sent again one per
 * message, so that only the one that cannot cross fails, with
 * `SerializationError` (stage `decode-payload`).
 *
 * @internal
 * @module
 */
import { WorkerCrashed } from "../../errors.ts"
import { markWorkerDead } from "../../internal/owner.ts"
import { collectExtras } from "../../internal/worker_init.ts"
import { requestInterrupt } from "../wire/checkpoint.ts"
import type { Host, HostExit, HostFactory, WorkerPermissions } from "./host.ts"
import * as P from "../wire/protocol.ts"
import { type StuckThreads, watchTerminated } from "./stuck.ts"
import { checkMessage, checkRun } from "../wire/validate.ts"
import { type FinalizerReport, WorkerFinalizers } from "./finalize.ts"
import { type ChunkHandler, type Inflight, itemOf, makeEntry, type OutgoingChunk, wireChunk } from "./inflight.ts"

export type { ChunkHandler, OutgoingChunk }

/** Options of a worker client. */
export interface ClientOptions {
  readonly id: number
  readonly name: string
  readonly host: HostFactory
  readonly permissions?: WorkerPermissions | undefined
  /** Called once when the worker is gone, after its chunks were settled. */
  readonly onDeath?: ((client: WorkerClient, error: WorkerCrashed) => void) | undefined
  /** Called once when the worker reports READY (it started and applied INIT). */
  readonly onReady?: ((client: WorkerClient) => void) | undefined
  /** Where a Worker thread terminated in task code is counted (the pool's `stuckThreads`). */
  readonly stuck?: StuckThreads | undefined
}

/** One worker, seen from the parent. */
export class WorkerClient {
  readonly id: number
  readonly name: string
  readonly host: Host
  /** Items sent and not yet reported. */
  inflightItems = 0
  /** Items reported, over the worker's life. */
  completed = 0
  alive = true
  /** Whether the worker reported READY: it started and applied INIT. */
  ready = false
  /** Set when the worker ended; its exit code when it announced one. */
  exitCode: number | undefined
  private readonly inflight = new Map<number, Inflight>()
  /** Messages posted to the worker so far (the worker counts what it receives the same way). */
  private sent = 0
  private readonly interrupts: Int32Array
  private readonly onDeath: ((client: WorkerClient, error: WorkerCrashed) => void) | undefined
  private readonly onReady: ((client: WorkerClient) => void) | undefined

  private readonly stuck: StuckThreads | undefined
  /** The worker's finalizers: whether it registered any, and its orderly end (see `finalize.ts`). */
  readonly finalizers: WorkerFinalizers = new WorkerFinalizers()

  constructor(options: ClientOptions) {
    this.id = options.id
    this.name = options.name
    this.onDeath = options.onDeath
    this.onReady = options.onReady
    this.stuck = options.stuck
    const sab = new SharedArrayBuffer(4 * P.SHARED_WORDS)
    this.interrupts = new Int32Array(sab)
    this.interrupts.fill(-1, 1, P.BUSY_WORD)
    // BUSY_WORD and TERMINATED_WORD start at 0.
    this.host = options.host({
      id: options.id,
      name: options.name,
      permissions: options.permissions,
      events: {
        onMessage: (message) => this.onMessage(message),
        onExit: (exit) => this.died(exit),
      },
    })
    // Memory cannot be shared with a child process: it gets no interrupt words (its
    // `checkpoint()` sees INTERRUPT messages instead) and no shared extras.
    const shared = this.host.isolation === "worker"
    this.post({
      t: P.INIT,
      workerId: options.id,
      name: options.name,
      interrupts: shared ? sab : undefined,
      extras: shared ? collectExtras(options.id) : {},
    }, [])
  }

  /** Posts and counts a message (throws, and counts nothing, when it cannot be cloned). */
  private post(message: P.ToWorker, transfer: Array<Transferable>): number {
    this.host.post(message, transfer)
    return ++this.sent
  }

  /** Number of chunks in flight. */
  get inflightChunks(): number {
    return this.inflight.size
  }

  /**
   * Sends a chunk; returns its id. Throws (a `DataCloneError`) when a payload
   * cannot be cloned; then nothing was sent.
   */
  run(
    moduleUrl: string,
    taskName: string,
    payloads: ReadonlyArray<unknown>,
    handler: ChunkHandler,
    transfer: Array<Transferable> = [],
  ): number {
    return this.runMany([{ moduleUrl, taskName, payloads, handler }], transfer)[0]
  }

  /**
   * Sends several chunks in one message; returns their ids. Throws (a
   * `DataCloneError`) when a payload cannot be cloned; then nothing was sent.
   */
  runMany(chunks: ReadonlyArray<OutgoingChunk>, transfer: Array<Transferable> = []): Array<number> {
    const j: Array<P.Chunk> = []
    for (const chunk of chunks) {
      j.push(wireChunk(chunk, this.id))
    }
    const seq = this.post({ t: P.RUN, j }, transfer)
    const ids: Array<number> = []
    for (let i = 0; i < chunks.length; i++) {
      const size = chunks[i].payloads.length
      this.inflight.set(j[i].c, makeEntry(j[i], chunks[i].handler, seq, undefined, chunks[i].offset ?? 0))
      this.inflightItems += size
      ids.push(j[i].c)
    }
    return ids
  }

  /** Asks the worker to stop what is left of a chunk (also seen by `checkpoint()`). */
  interrupt(chunkId: number): void {
    const entry = this.inflight.get(chunkId)
    if (!this.alive || entry === undefined) return
    entry.interrupted = true
    for (const c of entry.parts ?? [chunkId]) {
      if (!this.inflight.has(c)) continue
      requestInterrupt(this.interrupts, c)
      this.post({ t: P.INTERRUPT, c }, [])
    }
  }

  /** Whether the chunk still has unreported items. */
  holds(chunkId: number): boolean {
    return this.inflight.has(chunkId)
  }

  /** Stops the worker now; every chunk it still holds is lost with `reason`. */
  terminate(reason: string): void {
    if (!this.alive) return
    // A loop that calls checkpoint() then ends, so the thread really stops; a chunk whose module is still
    // loading never starts (see TERMINATED_WORD).
    for (const c of this.inflight.keys()) requestInterrupt(this.interrupts, c)
    Atomics.store(this.interrupts, P.TERMINATED_WORD, 1)
    this.host.terminate()
    // A thread in synchronous task code does not stop: warn if it is still there after a grace period.
    if (this.host.isolation === "worker") {
      watchTerminated(
        this.interrupts,
        this.name,
        (c) => c === P.FINALIZER_BUSY ? "(a finalizer)" : this.inflight.get(c)?.chunk.n,
      )
      this.stuck?.add(this.interrupts)
    }
    this.died({ reason })
  }

  /**
   * Ends the worker in an orderly way: one that registered finalizers runs them first
   * (terminated once they ran, or after `ms`); `ended` is called once it is gone.
   */
  close(reason: string, ms: number, report: FinalizerReport, ended: () => void): void {
    this.finalizers.close(this, reason, ms, report, ended, () => this.post({ t: P.CLOSE }, []))
  }

  private onMessage(message: unknown): void {
    if (!this.alive) return
    const violation = checkMessage(message) ?? this.accept(message as P.FromWorker)
    if (violation !== undefined) this.terminate(`protocol violation: the worker sent ${violation}`)
  }

  /** Acts on a well-formed message; returns the protocol violation that stops it, if any. */
  private accept(message: P.FromWorker): string | undefined {
    switch (message.t) {
      case P.RESULTS: {
        for (const run of message.r) {
          if (typeof run !== "object" || run === null) return "a RESULTS run that is not an object"
          const entry = this.inflight.get(run.c)
          if (entry === undefined || entry.parts !== undefined) return `results for unknown chunk ${String(run.c)}`
          const bad = checkRun(run as unknown as Record<string, unknown>, entry.reported, entry.size)
          if (bad !== undefined) return `a RESULTS run for chunk ${run.c} where ${bad}`
          this.deliver(entry, run.i, run.k, run.v)
          if (!this.alive) return undefined
        }
        return undefined
      }
      case P.STARTED: {
        const entry = this.inflight.get(message.c)
        if (entry === undefined || entry.parts !== undefined) return `STARTED for unknown chunk ${message.c}`
        const target = entry.whole ?? entry
        if (entry.started || target.started) return undefined
        entry.started = target.started = true
        this.call(() => target.handler.onStarted?.())
        return undefined
      }
      case P.TELEMETRY: {
        // Records of a chunk that was settled already (interrupted, timed out) have no one to go to.
        const entry = this.inflight.get(message.c)
        if (entry === undefined) return undefined
        const target = entry.whole ?? entry
        const onTelemetry = target.handler.onTelemetry
        if (onTelemetry !== undefined) this.call(() => onTelemetry(message, this.id))
        return undefined
      }
      case P.READY:
        // A second READY is harmless; one after the worker ended is ignored.
        if (this.ready) return undefined
        this.ready = true
        this.call(() => this.onReady?.(this))
        return undefined
      case P.LOST:
        return this.lost(message)
      case P.FINALIZERS:
      case P.CLOSED:
        return this.finalizers.accept(this, message)
      case P.EXIT:
        this.exitCode = message.code
        this.host.terminate()
        this.died({ reason: message.reason, exitCode: message.code }, true)
        return undefined
      case P.FATAL:
        this.host.terminate()
        this.died({ reason: `uncaught ${message.error.name} in the worker: ${message.error.message}` }, true)
        return undefined
    }
  }

  /** Records outcomes `start ..` of `entry` and hands them to its chunk's handler. */
  private deliver(
    entry: Inflight,
    start: number,
    kinds: ReadonlyArray<number>,
    values: ReadonlyArray<unknown>,
  ): void {
    const n = kinds.length
    entry.reported += n
    if (entry.reported >= entry.size) this.inflight.delete(entry.id)
    const whole = entry.whole
    if (whole !== undefined) {
      whole.reported += n
      if (whole.reported >= whole.size) this.inflight.delete(whole.id)
    }
    this.inflightItems -= n
    this.completed += n
    const target = whole ?? entry
    const done = target.reported >= target.size
    // As `call` does, without a closure: this runs for every chunk's outcomes.
    try {
      target.handler.onResults(entry.offset + start, kinds, values, done)
    } catch (e) {
      this.handlerThrew(e)
    }
  }

  /** Runs a handler; one that throws is a bug above us, and must not take the parent (or this worker) down. */
  private call(f: () => void): void {
    try {
      f()
    } catch (e) {
      this.handlerThrew(e)
    }
  }

  private handlerThrew(e: unknown): void {
    console.error(`@mp/multiprocessing: a handler of worker ${this.name} threw:`, e)
  }

  /** Message `s` could not be read by the worker: send its payloads again one by one, fail what cannot cross. */
  private lost(message: P.LostMessage): string | undefined {
    if (message.s > this.sent) return `LOST for message ${message.s}, of ${this.sent} sent`
    if (message.s === 1) {
      this.terminate(`the worker could not read its INIT message: ${message.reason}`)
      return undefined
    }
    const lost: Array<Inflight> = []
    let items = 0
    for (const entry of this.inflight.values()) {
      if (entry.seq === message.s && entry.parts === undefined && entry.reported === 0) {
        lost.push(entry)
        items += entry.size
      }
    }
    if (items === 1) return this.unreadable(lost[0], message.reason)
    for (const entry of lost) {
      if (entry.interrupted) {
        // Interrupted before it could run: nothing to send again.
        this.deliver(entry, 0, new Array(entry.size).fill(P.INTERRUPTED), new Array(entry.size).fill(undefined))
        continue
      }
      const parts: Array<number> = []
      entry.parts = parts
      for (let i = 0; i < entry.size; i++) {
        const chunk = itemOf(entry.chunk, i)
        const c = chunk.c
        const part = entry.whole ?? entry
        const offset = entry.offset + i
        let seq: number
        try {
          seq = this.post({ t: P.RUN, j: [chunk] }, [])
        } catch (e) {
          // A buffer it held was moved with the lost message: it cannot be sent again.
          const one = makeEntry(chunk, part.handler, this.sent, part, offset)
          this.inflight.set(c, one)
          this.unreadable(one, e instanceof Error ? e.message : String(e))
          continue
        }
        parts.push(c)
        this.inflight.set(c, makeEntry(chunk, part.handler, seq, part, offset))
      }
      // The parts now stand for it; it stays until they are all reported (a `whole` is never nested).
      if (entry.whole !== undefined) this.inflight.delete(entry.id)
    }
    return undefined
  }

  /** Fails the one item of `entry` with `SerializationError` (stage `decode-payload`). */
  private unreadable(entry: Inflight, reason: string): undefined {
    this.deliver(entry, 0, [P.SERIALIZATION], [{
      stage: "decode-payload",
      message: `the payload cannot be read in the worker: ${reason}`,
    }])
    return undefined
  }

  /** `announced`: the worker said it is exiting (EXIT/FATAL), so its thread has stopped. */
  private died(exit: HostExit, announced = false): void {
    if (!this.alive) return
    this.alive = false
    this.exitCode ??= exit.exitCode
    // Locks this worker held are now abandoned: the next acquirer gets LockAbandoned instead of a deadlock.
    // Unless it was stopped with a task in flight and did not announce its exit: its thread may still run
    // (Worker.terminate cannot stop a busy loop), so its locks are never taken over (see owner.ts).
    markWorkerDead(this.id, !announced && this.inflight.size > 0)
    const error = new WorkerCrashed({
      workerId: this.id,
      reason: exit.reason,
      exitCode: exit.exitCode,
      signal: exit.signal,
    })
    // Items sent again stand for their chunk: the chunk's handler hears of the loss once.
    const lost = Array.from(this.inflight.values()).filter((entry) => entry.whole === undefined)
    this.inflight.clear()
    this.inflightItems = 0
    for (const entry of lost) {
      this.call(() => entry.handler.onLost(error, entry.offset + entry.reported, entry.size - entry.reported))
    }
    this.onDeath?.(this, error)
    this.finalizers.ended()
  }
}
