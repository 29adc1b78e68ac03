/**
 * What both worker entries (thread and process) do so that the parent always
 * learns how a worker ends: `close()` and `Deno.exit()` are wrapped to
 * announce the exit first (Deno gives the parent no event for either), and
 * errors that escape every handler are reported as FATAL instead of killing
 * the parent (an uncaught worker error does, without `preventDefault()`).
 *
 * @internal
 * @module
 */
import { isRefusal } from "../../internal/import_guard.ts"
import * as P from "../wire/protocol.ts"
import type { Port } from "./outbox.ts"

/** How an entry ends its worker for real. */
export interface Lifecycle {
  /** Sends what the runtime still holds, then the EXIT message. */
  readonly flush: () => void
  /** Ends the worker after `close()` was called. */
  readonly close: () => void
  /** Ends the worker after `Deno.exit(code)` was called. */
  readonly exit: (code?: number) => never
}

/**
 * Installs the wrappers and error handlers on this thread's global scope.
 * `flush` is read lazily, so the runtime may be created after this call.
 */
export const installLifecycle = (port: Port, life: Lifecycle): void => {
  let exiting = false
  const announce = (code: number, reason: string): void => {
    if (exiting) return
    exiting = true
    life.flush()
    port.post({ t: P.EXIT, code, reason }, [])
  }
  const g = globalThis as unknown as { close: () => void }
  g.close = () => {
    announce(0, "the worker called close()")
    life.close()
  }
  try {
    Object.defineProperty(Deno, "exit", {
      configurable: true,
      writable: true,
      value: (code?: number) => {
        announce(code ?? 0, `the worker called Deno.exit(${code ?? 0})`)
        return life.exit(code)
      },
    })
  } catch {
    // Deno.exit could not be wrapped: the parent still sees the worker go silent (or its exit status).
  }
  const fatal = (e: unknown): void => {
    if (exiting) return
    exiting = true
    life.flush()
    port.post({ t: P.FATAL, error: P.serializeError(e) }, [])
  }
  globalThis.addEventListener("error", (event) => {
    event.preventDefault()
    fatal(event.error ?? new Error(event.message))
  })
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault()
    // A program started by a task module's import and refused by the main-module guard: reported, not fatal.
    if (isRefusal(event.reason)) return
    fatal(event.reason)
  })
}
