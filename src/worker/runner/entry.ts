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
import { applyExtras } from "../../internal/worker_init.ts"
import { state as checkpointState } from "../wire/checkpoint.ts"
import * as P from "../wire/protocol.ts"
import { installLifecycle } from "./lifecycle.ts"
import { makeRuntime } from "./runtime.ts"

const post = (message: P.FromWorker, transfer: Array<Transferable>): void => self.postMessage(message, transfer)

const close = self.close.bind(self)
const exit = Deno.exit.bind(Deno)
installLifecycle({ post }, { flush: () => runtime.flush(), close, exit })

const runtime = makeRuntime({ post })

// Messages received so far, read or not: a LOST message names the one that could not be read.
let received = 0

// A message this thread cannot deserialize (a payload nested too deep for its stack) is dropped
// silently unless `messageerror` is handled; `self.onmessageerror` is not called, the listener is.
self.addEventListener("messageerror", (event) => {
  received++
  post({
    t: P.LOST,
    s: received,
    reason: `the message could not be deserialized: ${String((event as MessageEvent).data)}`,
  }, [])
})

self.onmessage = (event: MessageEvent<P.ToWorker>) => {
  received++
  const message = event.data
  if (message.t === P.INIT) {
    if (message.interrupts !== undefined) checkpointState.words = new Int32Array(message.interrupts)
    applyExtras(message.extras, message.workerId)
    post({ t: P.READY }, [])
    return
  }
  runtime.handle(message)
}
