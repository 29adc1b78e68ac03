/**
 * The client side of a cluster pool: a chunk of payloads becomes one
 * persisted `Run` message to a fresh entity id (random, so chunks spread over
 * the shards and so over the runners), and its reply one `Exit` per payload.
 *
 * @internal
 * @module
 */
import type * as MessageStorage from "effect/cluster/MessageStorage"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import type * as Sharding from "effect/cluster/Sharding"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { type PoolError, SerializationError, TaskTimeout, WorkerCrashed } from "../../errors.ts"
import { decodeFailure } from "../../internal/known_errors.ts"
import type { AnyTask } from "../../task/Task.ts"
import { isTransfer } from "../../task/transfer.ts"
import { fromWire, MAX_TEXT, TaskEntity, toWire, type WireOutcome } from "./entity.ts"
import * as Layers from "./layers.ts"

/** Sends chunks to the cluster. */
export interface Dispatcher {
  /** Runs a chunk: one `Exit` per payload, in order; never fails. */
  readonly run: (task: AnyTask, payloads: ReadonlyArray<unknown>) => Effect.Effect<Array<Exit.Exit<unknown, unknown>>>
  /** How many runners are registered and healthy. */
  readonly runnersAlive: Effect.Effect<number>
}

const messageOf = (e: unknown): string => e instanceof Error ? e.message : String(e)

/** `workerId` of the errors that concern the cluster rather than one worker. */
const CLUSTER = -1

/** Connects to the cluster's PostgreSQL; the connection closes with the Scope. */
export const makeDispatcher = (options: {
  readonly url: string
  readonly taskTimeoutMs: number
  readonly runnerTimeoutMs: number
}): Effect.Effect<Dispatcher, never, Scope.Scope> =>
  Effect.gen(function* () {
    const context: Context.Context<
      Sharding.Sharding | RunnerStorage.RunnerStorage | MessageStorage.MessageStorage
    > = yield* Layer.build(Layers.client(options.url))
    const clientFor = yield* Effect.provideContext(TaskEntity.client, context)
    const storage = Context.get(context, RunnerStorage.RunnerStorage)

    const runnersAlive = storage.getRunners.pipe(
      Effect.map((runners) => runners.filter(([, healthy]) => healthy).length),
      Effect.orElseSucceed(() => 0),
    )

    let aliveSeenAt = -Infinity
    /** Waits (up to `runnerTimeout`) until a runner is registered and healthy. */
    const awaitRunner: Effect.Effect<void, WorkerCrashed> = Effect.suspend(() => {
      if (performance.now() - aliveSeenAt < 1_000) return Effect.void
      const deadline = performance.now() + options.runnerTimeoutMs
      const poll: Effect.Effect<void, WorkerCrashed> = Effect.flatMap(runnersAlive, (n) => {
        if (n > 0) {
          aliveSeenAt = performance.now()
          return Effect.void
        }
        if (performance.now() >= deadline) {
          return Effect.fail(
            new WorkerCrashed({
              workerId: CLUSTER,
              reason: `no runner of the cluster was alive within ${options.runnerTimeoutMs} ms (runnerTimeout): ` +
                "start one with `deno task runner --url <the same PostgreSQL URL>`",
            }),
          )
        }
        return Effect.andThen(Effect.sleep(200), poll)
      })
      return poll
    })

    const run = (task: AnyTask, payloads: ReadonlyArray<unknown>): Effect.Effect<Array<Exit.Exit<unknown, unknown>>> =>
      Effect.gen(function* () {
        let text: string
        try {
          text = toWire(payloads.map((p) => isTransfer(p) ? p.value : p))
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
            message: `a chunk of ${payloads.length} payload(s) takes ${text.length} bytes, over the cluster's ` +
              `limit of ${MAX_TEXT}: use a smaller chunkSize, or pass large data by reference (a URL, a path)`,
          })
        }
        yield* awaitRunner
        const reply = yield* clientFor(crypto.randomUUID()).Run({
          moduleUrl: task.moduleUrl,
          taskName: task.name,
          payloads: text,
        }).pipe(
          Effect.catchCause((cause): Effect.Effect<never, PoolError> =>
            Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : Effect.fail(
              new WorkerCrashed({
                workerId: CLUSTER,
                reason: `the cluster could not deliver the task: ${messageOf(Cause.squash(cause))}`,
              }),
            )
          ),
          Effect.timeoutOrElse({
            duration: options.taskTimeoutMs,
            orElse: () => Effect.fail(new TaskTimeout({ taskName: task.name, timeoutMs: options.taskTimeoutMs })),
          }),
        )
        let outcomes: Array<WireOutcome>
        try {
          outcomes = fromWire(reply) as Array<WireOutcome>
        } catch (e) {
          return yield* new SerializationError({
            taskName: task.name,
            stage: "decode-result",
            message: `the runner's reply could not be read: ${messageOf(e)}`,
          })
        }
        if (outcomes.length !== payloads.length) {
          // The runner could not read the chunk at all: one outcome for all.
          return payloads.map(() => toExit(outcomes[0]))
        }
        return outcomes.map(toExit)
      }).pipe(
        Effect.catch((error) => Effect.succeed(payloads.map(() => Exit.fail(error)))),
      )

    return { run, runnersAlive }
  })

const toExit = (outcome: WireOutcome): Exit.Exit<unknown, unknown> =>
  outcome.ok ? Exit.succeed(outcome.value) : Exit.fail(decodeFailure(outcome.error))
