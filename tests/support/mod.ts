/**
 * Test helpers: every test runs with a deadline and, when it ends, checks that
 * no worker or child process of ours is left alive (Deno's sanitizers do not
 * notice a leaked `Worker`).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { liveChildren } from "../../src/internal/children.ts"

export { errorOf, exited, int32s, recordingTracer } from "./helpers.ts"

/** Options of a test. */
export interface TestOptions {
  /** The deadline in milliseconds (default 20 000). A hang is a failure. */
  readonly timeout?: number | undefined
  /** Skip the test. */
  readonly ignore?: boolean | undefined
}

const assertNoChildren = (name: string): void => {
  const left = liveChildren()
  if (left.length > 0) {
    throw new Error(`test "${name}" left ${left.length} worker(s) alive: ${left.map((c) => c.name).join(", ")}`)
  }
}

/**
 * A `Deno.test` whose body is an Effect (run in a fresh Scope) with a deadline,
 * followed by the leaked-worker check.
 */
export const test = (
  name: string,
  body: () => Effect.Effect<void, unknown, Scope.Scope>,
  options: TestOptions = {},
): void => {
  const timeout = options.timeout ?? 20_000
  Deno.test({
    name,
    ignore: options.ignore ?? false,
    sanitizeOps: true,
    sanitizeResources: true,
    fn: async () => {
      await Effect.runPromise(
        Effect.scoped(Effect.suspend(body)).pipe(
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () => Effect.die(new Error(`test "${name}" did not finish within ${timeout} ms`)),
          }),
        ),
      )
      assertNoChildren(name)
    },
  })
}

/** Like `test`, for a body written with Promises. */
export const testAsync = (name: string, body: () => Promise<void>, options: TestOptions = {}): void =>
  test(name, () => Effect.promise(body), options)

/** Polls `condition` every 10 ms until it is true; fails after `timeoutMs`. */
export const eventually = (
  condition: Effect.Effect<boolean>,
  timeoutMs = 2_000,
): Effect.Effect<void> =>
  Effect.gen(function* () {
    const deadline = performance.now() + timeoutMs
    while (!(yield* condition)) {
      if (performance.now() > deadline) return yield* Effect.die(new Error(`condition not met within ${timeoutMs} ms`))
      yield* Effect.sleep(10)
    }
  })
