/**
 * A host factory made safe to start: a factory that throws, or that reports
 * its worker's exit while it is still being created, would leave its owner
 * with a worker that is dead before the owner could listen (a `Process` whose
 * `join` never returns, a pool slot that never starts). Here both become an
 * exit reported on the next microtask, after the owner is set up, so they
 * take the ordinary "died before ready" path.
 *
 * @internal
 * @module
 */
import type { Host, HostExit, HostFactory } from "../worker/parent/host.ts"
import { errorMessage } from "./error_message.ts"

/** `factory`, with throws and synchronous exits at creation turned into exits reported a microtask later. */
export const guardHost = (factory: HostFactory): HostFactory => (options) => {
  let creating = true
  let stopped = false
  let early: HostExit | undefined
  let host: Host
  try {
    host = factory({
      ...options,
      events: {
        onMessage: options.events.onMessage,
        onExit: (exit) => creating ? early ??= exit : options.events.onExit(exit),
      },
    })
  } catch (e) {
    host = { isolation: "process", post: () => {}, terminate: () => {} }
    early = { reason: `the worker could not be started: ${errorMessage(e)}` }
  }
  creating = false
  if (early === undefined) return host
  const exit = early
  queueMicrotask(() => {
    if (!stopped) options.events.onExit(exit)
  })
  const inner = host
  return {
    isolation: inner.isolation,
    post: inner.post,
    terminate: () => {
      stopped = true
      inner.terminate()
    },
  }
}
