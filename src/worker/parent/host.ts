/**
 * The one small interface through which the parent talks to a worker,
 * whatever runs it: a Deno Worker thread here, an OS subprocess in
 * `process_host.ts`. Everything above (Process, Pool) sees only this.
 *
 * @internal
 * @module
 */
import { addChild, removeChild } from "../../internal/children.ts"
import type * as P from "../wire/protocol.ts"

/** How a host ended, as far as the parent can tell. */
export interface HostExit {
  readonly reason: string
  readonly exitCode?: number | undefined
  readonly signal?: string | undefined
}

/** What a host reports to its owner. */
export interface HostEvents {
  readonly onMessage: (message: P.FromWorker) => void
  /** The worker is gone (it exited, crashed, or could not start). Called at most once. */
  readonly onExit: (exit: HostExit) => void
}

/** Deno permissions for a worker: `"inherit"` (the parent's), `"none"`, or a descriptor. */
export type WorkerPermissions = "inherit" | "none" | Deno.PermissionOptionsObject

/** How to start a host. */
export interface HostOptions {
  readonly id: number
  readonly name: string
  readonly permissions?: WorkerPermissions | undefined
  readonly events: HostEvents
}

/** A running worker. */
export interface Host {
  readonly isolation: "worker" | "process"
  /** Sends a message; throws a `DataCloneError` when it cannot be cloned. */
  readonly post: (message: P.ToWorker, transfer: Array<Transferable>) => void
  /** Stops the worker now. Idempotent. Does not call `onExit`. */
  readonly terminate: () => void
  /**
   * Resolves once the worker holds nothing any more (a child process reaped,
   * its pipes closed) after it ended or was terminated; absent when nothing
   * outlives `terminate`. Each owner awaits the hosts it started, and only those.
   */
  readonly settled?: Promise<void> | undefined
}

/** Starts a host. */
export type HostFactory = (options: HostOptions) => Host

const entryUrl = new URL("../runner/entry.ts", import.meta.url)

/** A Deno Worker thread running `entry.ts`. */
export const threadHost: HostFactory = (options) => {
  const workerOptions: WorkerOptions & { deno?: { permissions: unknown } } = { type: "module", name: options.name }
  if (options.permissions !== undefined && options.permissions !== "inherit") {
    workerOptions.deno = { permissions: options.permissions }
  }
  const worker = new Worker(entryUrl, workerOptions)
  let alive = true
  addChild({ id: options.id, name: options.name, isolation: "worker" })
  const stop = (): void => {
    if (!alive) return
    alive = false
    removeChild(options.id)
    worker.terminate()
  }
  worker.onmessage = (event: MessageEvent<P.FromWorker>) => {
    try {
      options.events.onMessage(event.data)
    } catch (e) {
      // An exception here would be uncaught, and kill this process: end the worker instead.
      if (!alive) return
      stop()
      options.events.onExit({ reason: `a message from the worker could not be handled: ${e}` })
    }
  }
  worker.onerror = (event: ErrorEvent) => {
    // Without preventDefault an uncaught worker error would kill this process.
    event.preventDefault()
    if (!alive) return
    stop()
    options.events.onExit({ reason: `the worker failed: ${event.message}` })
  }
  // Deno stops delivering this worker's messages after one fails to deserialize (2.9.6, measured):
  // the worker is deaf to us from then on, so it is ended. Results too deep to be read are refused
  // in the worker before they are sent (`P.MAX_DEPTH`), so this is left for forged or unknown cases.
  worker.onmessageerror = () => {
    if (!alive) return
    stop()
    options.events.onExit({ reason: "protocol violation: a message from the worker could not be deserialized" })
  }
  return {
    isolation: "worker",
    post: (message, transfer) => worker.postMessage(message, transfer),
    terminate: stop,
  }
}
