/**
 * The one worker script that serves every task: it loads task modules on
 * demand by URL. It imports little, so a worker is ready quickly, and it makes
 * sure the parent always learns how the worker ends: `close()` and
 * `Deno.exit()` are wrapped to announce the exit, and uncaught errors are
 * serialized instead of killing the parent.
 *
 * @internal
 * @module
 */
/// <reference lib="deno.worker" />
import { applyExtras } from "../internal/worker_init.ts"
import { state as checkpointState } from "./checkpoint.ts"
import * as P from "./protocol.ts"
import { makeRuntime } from "./runtime.ts"

const post = (message: P.FromWorker, transfer: Array<Transferable>): void => self.postMessage(message, transfer)

let exiting = false
const announce = (code: number, reason: string): void => {
  if (exiting) return
  exiting = true
  runtime.flush()
  post({ t: P.EXIT, code, reason }, [])
}

const close = self.close.bind(self)
self.close = () => {
  announce(0, "the worker called close()")
  close()
}
const exit = Deno.exit.bind(Deno)
try {
  Object.defineProperty(Deno, "exit", {
    configurable: true,
    writable: true,
    value: (code?: number) => {
      announce(code ?? 0, `the worker called Deno.exit(${code ?? 0})`)
      return exit(code)
    },
  })
} catch {
  // Deno.exit could not be wrapped: the parent still sees the worker go silent.
}

const fatal = (e: unknown): void => {
  if (exiting) return
  exiting = true
  runtime.flush()
  post({ t: P.FATAL, error: P.serializeError(e) }, [])
}
self.addEventListener("error", (event) => {
  event.preventDefault()
  fatal(event.error ?? new Error(event.message))
})
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault()
  fatal(event.reason)
})

const runtime = makeRuntime({ post })

self.onmessage = (event: MessageEvent<P.ToWorker>) => {
  const message = event.data
  if (message.t === P.INIT) {
    if (message.interrupts !== undefined) checkpointState.words = new Int32Array(message.interrupts)
    applyExtras(message.extras, message.workerId)
    return
  }
  runtime.handle(message)
}
