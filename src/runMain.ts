/**
 * The program's entry: `mp.runMain(effect)` runs the main Effect the way
 * Effect's platform runtimes do (`Runtime.makeRunMain`), for Deno and for
 * programs that own workers.
 *
 * @module
 */
import * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { refusal } from "./internal/bootstrap.ts"

/**
 * Options of `runMain`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.RunMainOptions = { disableErrorReporting: true }
 * ```
 */
export interface RunMainOptions {
  /** Do not print a failure to stderr (the exit code is still set). */
  readonly disableErrorReporting?: boolean | undefined
}

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const
type Signal = keyof typeof SIGNAL_CODES

const run = Runtime.makeRunMain(({ fiber, teardown }) => {
  let received: Signal | undefined
  const listeners: Array<[Signal, () => void]> = []
  for (const signal of Object.keys(SIGNAL_CODES) as Array<Signal>) {
    const listener = (): void => {
      // A second signal while the finalizers run: stop waiting for them.
      if (received !== undefined) Deno.exit(SIGNAL_CODES[signal])
      received = signal
      fiber.interruptUnsafe()
    }
    try {
      Deno.addSignalListener(signal, listener)
      listeners.push([signal, listener])
    } catch {
      // This platform cannot listen to the signal (SIGTERM on Windows).
    }
  }
  fiber.addObserver((exit) => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener)
    teardown(exit, (code) => {
      const final = received !== undefined && code === 130 ? SIGNAL_CODES[received] : code
      Deno.exitCode = final
      // Exit even when a worker thread is stuck in a synchronous loop and would keep the process alive.
      Deno.exit(final)
    })
  })
})

/**
 * `Cause.pretty`, where a typed error without a message (a `Schema.TaggedError`
 * with fields only) shows its fields: `BadConfig: { key: "port" }`.
 */
const render = (cause: Cause.Cause<unknown>): string => {
  let text = Cause.pretty(cause)
  for (const reason of cause.reasons) {
    if (reason._tag !== "Fail" || typeof reason.error !== "object" || reason.error === null) continue
    const error = reason.error as { readonly name?: unknown; readonly message?: unknown }
    if (typeof error.message === "string" && error.message.length > 0) continue
    const fields = Object.fromEntries(Object.entries(error).filter(([k]) => k !== "_tag"))
    const name = typeof error.name === "string" ? error.name : "Error"
    const line = `${name}: ${Deno.inspect(fields, { colors: false, depth: 4, breakLength: Infinity })}`
    text = text.replace(new RegExp(`^${name.replace(/[^\w$]/g, "\\$&")}: ?$`, "m"), () => line)
  }
  return text
}

/**
 * Runs `effect` as the program's main Effect, like Effect's
 * `NodeRuntime.runMain`, and then exits the process:
 *
 * - SIGINT (Ctrl-C) and SIGTERM interrupt the main fiber, so every Scope
 *   closes and every pool and process shuts down (its finalizers run) before
 *   the process exits; a second signal exits at once.
 * - A failure is printed readably to stderr (`Cause.pretty`: each error's
 *   message and stack, with a `RemoteException`'s worker-side stack).
 * - The exit code: `0` on success, `1` on failure (or the failure's
 *   `Runtime.errorExitCode`), `130` after SIGINT, `143` after SIGTERM.
 * - The process exits when the main Effect ends, also when a worker thread
 *   stuck in a busy loop would keep it alive.
 *
 * Call it behind the main-module guard: workers import the module that
 * defines a task, and must not start the program again. In a worker,
 * `runMain` does not run the program: during a worker's import the task that
 * caused the import fails with `MissingMainGuard`, which shows the guard.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const double: mp.Task.Task<number, number> // a Task exported by your tasks module
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* mp.Pool.make({ size: 4 })
 *   console.log(yield* pool.map(double, [1, 2, 3]))
 * }))
 *
 * if (import.meta.main) mp.runMain(program)
 * ```
 */
export const runMain = <A, E>(effect: Effect.Effect<A, E>, options?: RunMainOptions): void => {
  const refused = refusal("runMain")
  if (refused !== undefined) {
    // During an import the refusal is reported to the parent's task; otherwise say it here.
    if (refused.moduleUrl.length === 0) console.error(`${refused.name}: ${refused.message}`)
    return
  }
  run(effect, {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (options?.disableErrorReporting !== true && Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
        console.error(render(exit.cause))
      }
      Runtime.defaultTeardown(exit, onExit)
    },
  })
}
