/**
 * Small helpers that several test files need: reading a failed Exit, waiting
 * for a worker that exits by itself, allocating shared words.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"
import type * as mp from "../../mod.ts"
import type { PoolError } from "../../src/errors.ts"

/** The typed error of a failed Exit, if any. */
export const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const e = Exit.findErrorOption(exit)
  return e._tag === "Some" ? e.value : undefined
}

/** Waits for a worker that exits by itself; a clear failure (not the test's deadline) if its exit is never reported. */
export const exited = <A, E>(p: mp.Process.Process<A, E>): Effect.Effect<Exit.Exit<A, E | PoolError>> =>
  p.await.pipe(Effect.timeoutOrElse({
    duration: "8 seconds",
    orElse: () => Effect.die(new Error(`the exit of worker ${p.name} was not reported within 8 s`)),
  }))

/** `n` zeroed 32-bit words in shared memory. */
export const int32s = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * n))

/** A tracer that keeps every span it makes, for tests that check span trees. */
export const recordingTracer = (): { readonly spans: Array<Tracer.NativeSpan>; readonly tracer: Tracer.Tracer } => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    },
  })
  return { spans, tracer }
}
