/**
 * The client side of a cluster pool: a chunk of payloads becomes one `Run`
 * message (or `RunDirect`) to one of the client's random entity ids, in turn
 * (so chunks spread over the shards and so over the runners), and its reply
 * one `Exit` per payload.
 *
 * @internal
 * @module
 */
import type * as MessageStorage from "effect/cluster/MessageStorage"
import * as Runners from "effect/cluster/Runners"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import type * as Sharding from "effect/cluster/Sharding"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SqlError from "effect/sql/SqlError"
import { type PoolError, SerializationError, TaskTimeout, WorkerCrashed } from "../../errors.ts"
import { decodeFailure } from "../../internal/known_errors.ts"
import { ClusterUnavailable } from "../errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import { isTransfer } from "../../task/transfer.ts"
import { fromWire, MAX_TEXT, outcomesOf, TaskEntity, toWire, type WireOutcome } from "./entity.ts"
import * as Layers from "./layers.ts"
import { makeLiveness } from "./liveness.ts"

/** What one call asks of its chunks (all optional). */
export interface CallSettings {
  /** The chunk's deadline, instead of `taskTimeout` (`TaskTimeout` with `limit: "timeout"`). */
  readonly timeoutMs?: number | undefined
  /** Passed to the runner's local pool: its queue runs higher priorities first. */
  readonly priority?: number | undefined
  /** Affinity: chunks with the same key go to one runner, and to one worker there. */
  readonly key?: string | undefined
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
}

/** The URL without its password, for messages. */
const redacted = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password !== "") u.password = "***"
    return u.toString()
  } catch {
    return "an unreadable URL"
  }
}

const messageOf = (e: unknown): string => e instanceof Error ? e.message : String(e)

/** How many entity ids a client spreads its chunks over (each entity runs its messages concurrently). */
const ENTITY_IDS = 256

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

    // Chunks go to a fixed set of random entity ids: random ids spread evenly over the shards (similar ids would
    // not), and a bounded set keeps the runners' resident entities bounded however many chunks are sent. A chunk
    // takes the lowest id no other chunk of this caller is using, so a sequential caller keeps to one entity (one
    // runner, whose worker is warm: under load, waking an idle runner per call doubled the round trip), and
    // concurrent chunks use different ids.
    const entityIds = Array.from({ length: ENTITY_IDS }, () => crypto.randomUUID())
    const slots = new Uint8Array(ENTITY_IDS)
    let nextEntity = 0
    const takeSlot = (): number => {
      const free = slots.indexOf(0)
      if (free >= 0) slots[free] = 1
      return free
    }

    /** Sends the payloads that encode; `exits` holds the others' failures already. */
    const send = (
      task: AnyTask,
      encoded: ReadonlyArray<unknown>,
      call: CallSettings,
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
        if (text.length > MAX_TEXT) {
          return yield* new SerializationError({
            taskName: task.name,
            stage: "encode-payload",
            message: `a chunk of ${encoded.length} payload(s) takes ${text.length} bytes, over the cluster's ` +
              `limit of ${MAX_TEXT}: use a smaller chunkSize, or pass large data by reference (a URL, a path)`,
          })
        }
        // Calls with a key go to the key's own entity, so to one runner (while it lives) and one worker there.
        const slot = call.key === undefined ? takeSlot() : -1
        const entity = clientFor(
          call.key !== undefined ? `key:${call.key}` : entityIds[slot >= 0 ? slot : nextEntity++ % entityIds.length],
        )
        const request = {
          moduleUrl: task.moduleUrl,
          taskName: task.name,
          payloads: text,
          priority: call.priority,
          key: call.key,
        }
        const timeoutMs = call.timeoutMs ?? options.taskTimeoutMs
        const sent = options.delivery === "direct" ? entity.RunDirect(request) : entity.Run(request)
        // An interruption that is not the caller's own comes from the runner: its shard moved (a runner joined or
        // stopped) and it interrupted the chunk; send it again, to the shard's next owner (at least once).
        const reply = yield* sent.pipe(
          Effect.catchCause((cause): Effect.Effect<never, PoolError | typeof Redeliver> =>
            Cause.hasInterruptsOnly(cause) ? Effect.fail(Redeliver) : Effect.fail(
              new WorkerCrashed({
                workerId: CLUSTER,
                reason: `the cluster could not deliver the task, or its runner died: ${messageOf(Cause.squash(cause))}`,
              }),
            )
          ),
          Effect.retry({ while: (e) => e === Redeliver, schedule: Schedule.spaced(REDELIVER_MS) }),
          Effect.catchIf((e): e is typeof Redeliver => e === Redeliver, () => Effect.interrupt),
          (delivered) => Effect.raceFirst(delivered, liveness.watch),
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
          Effect.ensuring(Effect.sync(() => {
            if (slot >= 0) slots[slot] = 0
          })),
        )
        let outcomes: ReadonlyArray<WireOutcome>
        try {
          outcomes = outcomesOf(fromWire(reply))
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
        return send(task, encoded, call).pipe(
          Effect.catch((error) => Effect.succeed(encoded.map(() => Exit.fail(error)))),
          Effect.map((results) => {
            sent.forEach((at, j) => exits[at] = results[j])
            return exits
          }),
        )
      })

    return { run, runnersAlive }
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
