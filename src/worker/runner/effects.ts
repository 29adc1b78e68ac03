/**
 * The Effect side of the worker runtime, loaded when a handler first returns
 * an Effect or a traced chunk arrives: a worker whose tasks are plain
 * functions never loads `effect`. The runtime imports it by a URL (not a
 * literal specifier) so that it is not part of the graph a new worker
 * type-checks under `deno test`; `worker/parent/compiled.ts` names it with a
 * literal import, so it is checked with the program and embedded by
 * `deno compile`. Each Effect runs in a fiber of its own (so
 * that it can be interrupted) with the services of its chunk: the batching
 * logger and, when the caller is traced, the chunk's span.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { markTaskFiber } from "../../internal/import_guard.ts"
import { isInterrupted } from "../wire/checkpoint.ts"
import * as P from "../wire/protocol.ts"
import type * as Context from "effect/Context"
import type { ChunkRun, EffectSupport, Trace } from "./chunk.ts"
import type { Outbox } from "./outbox.ts"
import type { Results } from "./results.ts"
import { chunkContext, type ChunkTrace, makeLogger, now, startChunkTrace } from "./telemetry.ts"

/** Makes the Effect side of one runtime. */
export const makeEffectSupport = (outbox: Outbox, results: Results): EffectSupport => {
  const { push, sink } = outbox
  const logger = makeLogger(sink)

  const onExit = (run: ChunkRun, index: number, exit: Exit.Exit<unknown, unknown>): void => {
    if (exit._tag === "Success") return results.succeed(run, index, exit.value)
    const cause = exit.cause
    const error = Cause.findErrorOption(cause)
    if (error._tag === "Some") return results.fail(run, index, error.value)
    if (Cause.hasInterruptsOnly(cause)) return push(run.id, index, P.INTERRUPTED, undefined)
    const defect = Cause.squash(cause)
    if (isInterrupted(defect)) return push(run.id, index, P.INTERRUPTED, undefined)
    push(run.id, index, P.EXCEPTION, P.serializeError(defect))
  }

  const run = (run: ChunkRun, index: number, effect: unknown): Promise<void> | undefined => {
    run.services ??= chunkContext(logger, run.id, run.trace as ChunkTrace | undefined)
    const fiber = Effect.runForkWith(run.services as Context.Context<never>)(effect as Effect.Effect<unknown, unknown>)
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

  return {
    run,
    startTrace: (chunk, context, taskName, items) =>
      startChunkTrace(sink, chunk, context, taskName, items) as unknown as Trace,
    endTrace: (trace, failed) =>
      (trace as unknown as ChunkTrace).span.end(now(), failed ? Exit.fail("failed") : Exit.void),
  }
}
