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
import { applyExtras } from "../../internal/worker_init.ts"
import { state as checkpointState } from "../wire/checkpoint.ts"
import * as P from "../wire/protocol.ts"
import { installLifecycle } from "./lifecycle.ts"
import { makeRuntime } from "./runtime.ts"

/**
 * The parts of the worker's global scope used here. Typed locally rather than
 * with `/// <reference lib="deno.worker" />`: `deno compile` embeds this
 * module through a dynamic import in the program's own graph
 * (`parent/compiled.ts`), where a lib reference would change the program's
 * global types.
 */
interface WorkerScope {
  postMessage(message: unknown, transfer: Array<Transferable>): void
  close(): void
  onmessage: ((event: MessageEvent<P.ToWorker>) => void) | null
  addEventListener(type: "messageerror", listener: (event: Event) => void): void
}
const scope = globalThis as unknown as WorkerScope

const post = (message: P.FromWorker, transfer: Array<Transferable>): void => scope.postMessage(message, transfer)

const close = scope.close.bind(scope)
const exit = Deno.exit.bind(Deno)
installLifecycle({ post }, { flush: () => runtime.flush(), close, exit })

const runtime = makeRuntime({ post })

// Messages received so far, read or not: a LOST message names the one that could not be read.
let received = 0

// A message this thread cannot deserialize (a payload nested too deep for its stack) is dropped
// silently unless `messageerror` is handled; `self.onmessageerror` is not called, the listener is.
scope.addEventListener("messageerror", (event) => {
  received++
  post({
    t: P.LOST,
    s: received,
    reason: `the message could not be deserialized: ${String((event as MessageEvent).data)}`,
  }, [])
})

scope.onmessage = (event: MessageEvent<P.ToWorker>) => {
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
