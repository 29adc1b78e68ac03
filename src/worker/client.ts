/**
 * The parent's handle on one worker: sends chunks, routes their outcomes to
 * the handler of each chunk, interrupts them, and notices the worker's death
 * (an EXIT or FATAL message, an error event, or our own terminate) so that
 * every chunk it held is settled: nothing waits forever.
 *
 * @internal
 * @module
 */
import { WorkerCrashed } from "../errors.ts"
import { markWorkerDead } from "../internal/owner.ts"
import { collectExtras } from "../internal/worker_init.ts"
import { requestInterrupt } from "./checkpoint.ts"
import type { Host, HostExit, HostFactory, WorkerPermissions } from "./host.ts"
import * as P from "./protocol.ts"

/** Receives the outcomes of one chunk. */
export interface ChunkHandler {
  /** Outcomes of items `start .. start + kinds.length - 1`. */
  readonly onResults: (start: number, kinds: ReadonlyArray<number>, values: ReadonlyArray<unknown>) => void
  /** The worker died before every item was reported. */
  readonly onLost: (error: WorkerCrashed) => void
  /** The chunk started running in the worker (only for chunks sent with `reportStart`). */
  readonly onStarted?: (() => void) | undefined
}

/** A chunk to send. */
export interface OutgoingChunk {
  readonly moduleUrl: string
  readonly taskName: string
  readonly payloads: ReadonlyArray<unknown>
  readonly handler: ChunkHandler
  /** Ask the worker to report when the chunk starts. */
  readonly reportStart?: boolean | undefined
}

interface Inflight {
  readonly handler: ChunkHandler
  readonly size: number
  reported: number
}

/** Options of a worker client. */
export interface ClientOptions {
  readonly id: number
  readonly name: string
  readonly host: HostFactory
  readonly permissions?: WorkerPermissions | undefined
  /** Called once when the worker is gone, after its chunks were settled. */
  readonly onDeath?: ((client: WorkerClient, error: WorkerCrashed) => void) | undefined
}

let nextChunkId = 1

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
  /** Set when the worker ended; its exit code when it announced one. */
  exitCode: number | undefined
  private readonly inflight = new Map<number, Inflight>()
  private readonly interrupts: Int32Array
  private readonly onDeath: ((client: WorkerClient, error: WorkerCrashed) => void) | undefined

  constructor(options: ClientOptions) {
    this.id = options.id
    this.name = options.name
    this.onDeath = options.onDeath
    const sab = new SharedArrayBuffer(4 * (1 + P.INTERRUPT_RING))
    this.interrupts = new Int32Array(sab)
    this.interrupts.fill(-1, 1)
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
    this.host.post({
      t: P.INIT,
      workerId: options.id,
      name: options.name,
      interrupts: shared ? sab : undefined,
      extras: shared ? collectExtras(options.id) : {},
    }, [])
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
      const c = nextChunkId++
      j.push(
        chunk.reportStart
          ? { c, m: chunk.moduleUrl, n: chunk.taskName, p: chunk.payloads, s: 1 }
          : { c, m: chunk.moduleUrl, n: chunk.taskName, p: chunk.payloads },
      )
    }
    this.host.post({ t: P.RUN, j }, transfer)
    const ids: Array<number> = []
    for (let i = 0; i < chunks.length; i++) {
      const size = chunks[i].payloads.length
      this.inflight.set(j[i].c, { handler: chunks[i].handler, size, reported: 0 })
      this.inflightItems += size
      ids.push(j[i].c)
    }
    return ids
  }

  /** Asks the worker to stop what is left of a chunk (also seen by `checkpoint()`). */
  interrupt(chunkId: number): void {
    if (!this.alive || !this.inflight.has(chunkId)) return
    requestInterrupt(this.interrupts, chunkId)
    this.host.post({ t: P.INTERRUPT, c: chunkId }, [])
  }

  /** Whether the chunk still has unreported items. */
  holds(chunkId: number): boolean {
    return this.inflight.has(chunkId)
  }

  /** Stops the worker now; every chunk it still holds is lost with `reason`. */
  terminate(reason: string): void {
    if (!this.alive) return
    // A loop that calls checkpoint() then ends, so the thread really stops.
    for (const c of this.inflight.keys()) requestInterrupt(this.interrupts, c)
    this.host.terminate()
    this.died({ reason })
  }

  private onMessage(message: P.FromWorker): void {
    switch (message.t) {
      case P.RESULTS: {
        for (const run of message.r) {
          const entry = this.inflight.get(run.c)
          if (entry === undefined) continue
          const n = run.k.length
          entry.reported += n
          this.inflightItems -= n
          this.completed += n
          if (entry.reported >= entry.size) this.inflight.delete(run.c)
          entry.handler.onResults(run.i, run.k, run.v)
        }
        return
      }
      case P.STARTED:
        this.inflight.get(message.c)?.handler.onStarted?.()
        return
      case P.EXIT:
        this.exitCode = message.code
        this.host.terminate()
        return this.died({ reason: message.reason, exitCode: message.code }, true)
      case P.FATAL:
        this.host.terminate()
        return this.died({ reason: `uncaught ${message.error.name} in the worker: ${message.error.message}` }, true)
    }
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
    const lost = Array.from(this.inflight.values())
    this.inflight.clear()
    this.inflightItems = 0
    for (const entry of lost) entry.handler.onLost(error)
    this.onDeath?.(this, error)
  }
}
