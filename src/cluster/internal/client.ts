/**
 * The client side of a cluster pool: a chunk of payloads becomes one `Run`
 * message (or `RunDirect`) to an entity id on the runner with the most free
 * workers (`capacity.ts`, from the placement computed in `placement.ts`),
 * and its reply one `Exit` per payload.
 *
 * @internal
 * @module
 */
import type * as MessageStorage from "effect/cluster/MessageStorage"
import * as Runners from "effect/cluster/Runners"
import * as EntityId from "effect/cluster/EntityId"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Sharding from "effect/cluster/Sharding"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SqlError from "effect/sql/SqlError"
import { type PoolError, SerializationError, TaskTimeout, WorkerCrashed } from "../../errors.ts"
import { every } from "../../internal/every.ts"
import { decodeFailure } from "../../internal/known_errors.ts"
import { ClusterUnavailable, ModuleMismatch } from "../errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import { isTransfer } from "../../task/transfer.ts"
import { fromWire, isMismatch, isResend, MAX_TEXT, outcomesOf, TaskEntity, toWire, type WireOutcome } from "./entity.ts"
import { makeCapacity, type Slot } from "./capacity.ts"
import { makeCoalescer } from "./coalesce.ts"
import { redacted } from "./options.ts"
import * as Layers from "./layers.ts"
import { makeLiveness } from "./liveness.ts"
import { moduleHash } from "./module_hash.ts"
import { idsByShard, type Placement, placements } from "./placement.ts"

/** What one call asks of its chunks (all optional). */
export interface CallSettings {
  /** The chunk's deadline, instead of `taskTimeout` (`TaskTimeout` with `limit: "timeout"`). */
  readonly timeoutMs?: number | undefined
  /** Passed to the runner's local pool: its queue runs higher priorities first. */
  readonly priority?: number | undefined
  /** Affinity: chunks with the same key go to one runner, and to one worker there. */
  readonly key?: string | undefined
  /** When the call began (`performance.now()`): `runnerTimeout` counts from it, not from each chunk. */
  readonly since?: number | undefined
  /**
   * A separate call (`apply`, `submit`): when it has to wait for a free worker it may travel in one chunk with
   * other waiting calls of the same task (`coalesce.ts`). Not for `map`'s chunks, whose size the caller chose.
   */
  readonly coalesce?: boolean | undefined
}

/** Sends chunks to the cluster. */
export interface Dispatcher {
  /** Runs a chunk: one `Exit` per payload, in order; never fails. */
  readonly run: (
    task: AnyTask,
    payloads: ReadonlyArray<unknown>,
    call?: CallSettings,
  ) => Effect.Effect<Array<Exit.Exit<unknown, unknown>>>
  /** How many runners are registered and healthy. */
  readonly runnersAlive: Effect.Effect<number>
  /** Chunks running now, and waiting at the caller for a runner with a free worker. */
  readonly load: () => { readonly running: number; readonly waiting: number }
  /** The workers of the runners known now (0 before any is known). */
  readonly workers: () => number
}

const messageOf = (e: unknown): string => e instanceof Error ? e.message : String(e)

/** Entity ids for chunks sent before any runner is known (each entity runs its messages concurrently). */
const FALLBACK_IDS = 16

/** How often the caller reads the runners from PostgreSQL while it sends chunks (as often as effect/cluster's own). */
const REFRESH_MS = 500

/** An idle caller reads them this often (each query also grows the PostgreSQL client's long-lived fiber a little). */
const IDLE_REFRESH_MS = 10_000

/** A caller counts as idle once it has sent nothing for this long. */
const IDLE_AFTER_MS = 5_000

/** A chunk that its runner interrupted (not its caller) is sent again after this pause. */
const REDELIVER_MS = 100

/** The runner interrupted the chunk: send it again. */
const Redeliver = { _tag: "Redeliver" } as const

/** `workerId` of the errors that concern the cluster rather than one worker. */
const CLUSTER = -1

/** Connects to the cluster's PostgreSQL; the connection closes with the Scope. */
export const makeDispatcher = (options: {
  readonly url: string
  readonly taskTimeoutMs: number
  readonly runnerTimeoutMs: number
  readonly delivery: "stored" | "direct"
}): Effect.Effect<Dispatcher, ClusterUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const context: Context.Context<
      Sharding.Sharding | Runners.Runners | RunnerStorage.RunnerStorage | MessageStorage.MessageStorage
    > = yield* Layer.build(Layers.client(options.url)).pipe(
      // The storage's migrations turn a connection failure into a defect: both are "unreachable".
      Effect.catchCause((cause) => {
        const error = Cause.squash(cause)
        return SqlError.isSqlError(error)
          ? Effect.fail(
            new ClusterUnavailable({
              message: `cannot reach the cluster's PostgreSQL (${redacted(options.url)}): ${messageOf(error)}`,
            }),
          )
          : Effect.failCause(cause as Cause.Cause<never>)
      }),
    )
    const clientFor = yield* Effect.provideContext(TaskEntity.client, context)
    const storage = Context.get(context, RunnerStorage.RunnerStorage)
    const liveness = yield* makeLiveness({
      runners: Context.get(context, Runners.Runners),
      storage,
      runnerTimeoutMs: options.runnerTimeoutMs,
    })

    const runnersAlive = storage.getRunners.pipe(
      Effect.map((runners) => runners.filter(([, healthy]) => healthy).length),
      Effect.orElseSucceed(() => 0),
    )

    // Where chunks go: entity ids on each runner, from the runners in storage, refreshed as the runners do.
    const sharding = Context.get(context, Sharding.Sharding)
    const shardOf = (id: string) => {
      const entityId = EntityId.make(id)
      return sharding.getShardId(entityId, TaskEntity.getShardGroup(entityId)).id
    }
    const ids = idsByShard(Layers.SHARDS, shardOf)
    const capacity = makeCapacity()
    let placement: Placement = { runners: [], owners: [] }
    const refresh = storage.getRunners.pipe(
      Effect.map((runners) => {
        placement = placements(runners, ids, Layers.SHARDS)
        capacity.update(placement.runners)
      }),
      Effect.ignore,
    )
    yield* refresh
    let lastSent = 0
    let lastRefresh = performance.now()
    yield* every(
      REFRESH_MS,
      Effect.suspend(() => {
        const now = performance.now()
        if (now - lastSent > IDLE_AFTER_MS && now - lastRefresh < IDLE_REFRESH_MS) return Effect.void
        lastRefresh = now
        return refresh
      }),
    )
    const workers = () => placement.runners.reduce((n, r) => n + r.capacity, 0)
    // Calls of one task and priority wait in one group; the largest reply seen per call of each group caps how many
    // travel together, so that their results fit one reply (`coalesce.ts`).
    const groupOf = (task: AnyTask, call: CallSettings) =>
      `${task.moduleUrl}\u0000${task.name}\u0000${call.priority ?? 0}`
    const replyBytes = new Map<string, number>()
    const noteReply = (group: string, bytesPerCall: number) =>
      replyBytes.set(group, Math.max(replyBytes.get(group) ?? 0, bytesPerCall))
    const coalescer = yield* makeCoalescer({
      free: capacity.free,
      workers,
      onWorker: (priority, use) => capacity.withSlot(priority, use),
      // Half the message limit over the largest reply per call seen (none seen yet: a small group first).
      maxShare: (group) => {
        const bytes = replyBytes.get(group)
        return bytes === undefined ? 16 : Math.max(1, Math.floor(MAX_TEXT / 2 / Math.max(1, bytes)))
      },
    })
    const ownerOf = (entityId: string): string | undefined => placement.owners[shardOf(entityId) - 1]
    const fallbackIds = Array.from({ length: FALLBACK_IDS }, () => crypto.randomUUID())
    let nextFallback = 0

    // Each task module's fingerprint, read once per pool (a new pool reads the module again).
    const hashes = new Map<string, string | undefined>()
    const hashOf = (moduleUrl: string): Effect.Effect<string | undefined> =>
      hashes.has(moduleUrl) ? Effect.succeed(hashes.get(moduleUrl)) : Effect.promise(async () => {
        const hash = await moduleHash(moduleUrl)
        hashes.set(moduleUrl, hash)
        return hash
      })

    /** Sends the payloads that encode; `exits` holds the others' failures already. */
    const send = (
      task: AnyTask,
      encoded: ReadonlyArray<unknown>,
      call: CallSettings,
      held?: Slot,
    ): Effect.Effect<Array<Exit.Exit<unknown, unknown>>, PoolError> =>
      Effect.gen(function* () {
        let text: string
        try {
          text = toWire(encoded)
        } catch (e) {
          return yield* new SerializationError({
            taskName: task.name,
            stage: "encode-payload",
            message: `the payload cannot cross to a runner as node:v8 bytes: ${messageOf(e)}`,
          })
        }
        /** Separate calls sent together, again in halves, one after the other on the worker held. */
        const inHalves = Effect.suspend(() => {
          const half = Math.ceil(encoded.length / 2)
          return Effect.zipWith(
            send(task, encoded.slice(0, half), call, held),
            send(task, encoded.slice(half), call, held),
            (first, second) => [...first, ...second],
          )
        })
        // Separate calls sent together (coalesce.ts) that do not fit one message: each alone would fit.
        if (text.length > MAX_TEXT && held !== undefined && encoded.length > 1) return yield* inHalves
        if (text.length > MAX_TEXT) {
          return yield* new SerializationError({
            taskName: task.name,
            stage: "encode-payload",
            message: `a chunk of ${encoded.length} payload(s) takes ${text.length} bytes, over the cluster's ` +
              `limit of ${MAX_TEXT}: use a smaller chunkSize, or pass large data by reference (a URL, a path)`,
          })
        }
        const callerHash = yield* hashOf(task.moduleUrl)
        const request = {
          resendable: held !== undefined && encoded.length > 1 ? true : undefined,
          moduleHash: callerHash,
          moduleUrl: task.moduleUrl,
          taskName: task.name,
          payloads: text,
          priority: call.priority,
          key: call.key,
        }
        const timeoutMs = call.timeoutMs ?? options.taskTimeoutMs
        const deliver = (entityId: string) => {
          const entity = clientFor(entityId)
          return options.delivery === "direct" ? entity.RunDirect(request) : entity.Run(request)
        }
        // An interruption that is not the caller's own comes from the runner: its shard moved (a runner joined or
        // stopped) and it interrupted the chunk; send it again, to the shard's next owner (at least once).
        const delivered = (entityId: string) =>
          deliver(entityId).pipe(
            Effect.catchCause((cause): Effect.Effect<never, PoolError | typeof Redeliver> =>
              Cause.hasInterruptsOnly(cause) ? Effect.fail(Redeliver) : Effect.fail(
                new WorkerCrashed({
                  workerId: CLUSTER,
                  reason: `the cluster could not deliver the task, or its runner died: ${
                    messageOf(Cause.squash(cause))
                  }`,
                }),
              )
            ),
            Effect.retry({ while: (e) => e === Redeliver, schedule: Schedule.spaced(REDELIVER_MS) }),
            Effect.catchIf((e): e is typeof Redeliver => e === Redeliver, () => Effect.interrupt),
            Effect.timeoutOrElse({
              duration: timeoutMs,
              orElse: () =>
                Effect.fail(
                  new TaskTimeout({
                    taskName: task.name,
                    timeoutMs,
                    limit: call.timeoutMs === undefined ? "taskTimeout" : "timeout",
                  }),
                ),
            }),
          )
        // A chunk with a key goes to the key's own entity, so to one runner (while it lives) and one worker there;
        // any other waits for the runner with the most free workers. The wait counts toward `runnerTimeout` (no
        // runner alive), not toward the chunk's `timeout`.
        const fallback = () => fallbackIds[nextFallback++ % FALLBACK_IDS]
        const placed = held !== undefined
          ? delivered(held.entityId ?? fallback())
          : call.key !== undefined
          ? capacity.withRunner(ownerOf(`key:${call.key}`), delivered(`key:${call.key}`))
          : capacity.withSlot(
            call.priority ?? 0,
            (slot) => delivered(slot.entityId ?? fallback()),
          )
        const reply = yield* Effect.raceFirst(placed, liveness.watch(call.since))
        let outcomes: ReadonlyArray<WireOutcome>
        try {
          const decoded = fromWire(reply)
          noteReply(groupOf(task, call), (isResend(decoded) ? decoded.resend : reply.length) / encoded.length)
          // Their results did not fit one reply: again in halves (they ran once already: at least once).
          if (isResend(decoded)) return yield* inHalves
          if (isMismatch(decoded)) {
            return yield* new ModuleMismatch({
              moduleUrl: task.moduleUrl,
              taskName: task.name,
              callerHash: callerHash ?? "",
              runnerHash: decoded.mismatch.runnerHash,
              runner: decoded.mismatch.runner,
            })
          }
          outcomes = outcomesOf(decoded)
        } catch (e) {
          return yield* new SerializationError({
            taskName: task.name,
            stage: "decode-result",
            message: `the runner's reply could not be read: ${messageOf(e)}`,
          })
        }
        // The runner could not read the chunk at all: one outcome for all.
        const toExit = exitOf(task)
        return outcomes.length === encoded.length ? outcomes.map(toExit) : encoded.map(() => toExit(outcomes[0]))
      })

    const run = (
      task: AnyTask,
      payloads: ReadonlyArray<unknown>,
      call: CallSettings = {},
    ): Effect.Effect<Array<Exit.Exit<unknown, unknown>>> =>
      Effect.suspend(() => {
        lastSent = performance.now()
        const exits: Array<Exit.Exit<unknown, unknown>> = new Array(payloads.length)
        const sent: Array<number> = []
        const encoded: Array<unknown> = []
        payloads.forEach((p, i) => {
          const e = task.codec.payload.encode(isTransfer(p) ? p.value : p)
          if (e.ok) {
            sent.push(i)
            encoded.push(e.value)
          } else {
            exits[i] = Exit.fail(
              new SerializationError({ taskName: task.name, stage: "encode-payload", message: e.message }),
            )
          }
        })
        if (encoded.length === 0) return Effect.succeed(exits)
        const sendAll = (chunk: ReadonlyArray<unknown>, settings: CallSettings, held?: Slot) =>
          send(task, chunk, settings, held).pipe(
            Effect.catch((error) => Effect.succeed(chunk.map((): Exit.Exit<unknown, unknown> => Exit.fail(error)))),
          )
        if (
          call.coalesce === true && payloads.length === 1 && encoded.length === 1 && call.key === undefined &&
          call.timeoutMs === undefined
        ) {
          // A separate call: alone when a worker is free, else with the other calls of its task that wait.
          return coalescer.one(
            groupOf(task, call),
            call.priority ?? 0,
            encoded[0],
            call.since,
            Effect.map(sendAll(encoded, call), (results) => results[0]),
            (slot, chunk, since) => sendAll(chunk, { ...call, since }, slot),
          ).pipe(Effect.map((exit) => [exit]))
        }
        return sendAll(encoded, call).pipe(
          Effect.map((results) => {
            sent.forEach((at, j) => exits[at] = results[j])
            return exits
          }),
        )
      })

    return {
      run,
      runnersAlive,
      // Calls waiting in groups count one by one, instead of their groups' one request each.
      load: () => {
        const { running, waiting } = capacity.load()
        const grouped = coalescer.load()
        return { running, waiting: Math.max(0, waiting - grouped.requests) + grouped.calls }
      },
      workers,
    }
  })

/** An outcome from the wire, decoded by the task's schemas where it has them. */
const exitOf = (task: AnyTask) => (outcome: WireOutcome): Exit.Exit<unknown, unknown> => {
  const codec = outcome.ok ? task.codec.success : outcome.typed === true ? task.codec.failure : undefined
  if (codec === undefined) return Exit.fail(decodeFailure((outcome as { error: unknown }).error))
  const decoded = codec.decode(outcome.ok ? outcome.value : outcome.error)
  if (!decoded.ok) {
    return Exit.fail(new SerializationError({ taskName: task.name, stage: "decode-result", message: decoded.message }))
  }
  return outcome.ok ? Exit.succeed(decoded.value) : Exit.fail(decoded.value)
}
