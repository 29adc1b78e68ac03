/**
 * The worker side of a `"process"` worker, loaded by `process_entry.ts` once
 * the parent watchdog runs. It runs the same worker runtime as a Worker
 * thread, and talks to the parent over stdio: frames in on stdin, frames out
 * on stdout (see `frames.ts`); whatever the task code prints to stdout goes
 * around the frames and is passed through by the parent.
 *
 * As in `entry.ts`, the parent always learns how the worker ends: `close()`
 * and `Deno.exit()` announce the exit, uncaught errors are reported. Beyond
 * that, the parent watches the process's exit status. The child exits when its
 * stdin closes (the parent ended, or dropped it).
 *
 * @internal
 * @module
 */
import { deserialize } from "node:v8"
import { applyExtras } from "../../internal/worker_init.ts"
import { requestInterrupt, state as checkpointState } from "../wire/checkpoint.ts"
import { encodeFrame, FrameReader, serializeMessage, writeAll } from "../wire/frames.ts"
import * as P from "../wire/protocol.ts"
import { installLifecycle } from "./lifecycle.ts"
import { makeRuntime } from "./runtime.ts"
import { exitProcess } from "./process_exit.ts"

// Ends the process (also when this runs on a thread of a compiled program: see process_exit.ts).
const realExit = exitProcess
const stdout = Deno.stdout

// Transfer lists mean nothing across a process boundary: values are copied.
const post = (message: P.FromWorker, _transfer: Array<Transferable>): void =>
  writeAll(stdout, encodeFrame(serializeMessage(message)))

const g = globalThis as unknown as { name: string }
installLifecycle({ post }, { flush: () => runtime.flush(), close: () => realExit(0), exit: realExit })

const runtime = makeRuntime({ post })

// A private interrupt ring: `checkpoint()` sees an INTERRUPT once its message
// has been read, i.e. when the task lets the event loop run.
const interrupts = new Int32Array(P.SHARED_WORDS).fill(-1, 1, P.BUSY_WORD)
interrupts[0] = 0

const handle = (message: P.ToWorker): void => {
  switch (message.t) {
    case P.INIT:
      g.name = message.name
      checkpointState.words = interrupts
      applyExtras(message.extras, message.workerId)
      // A child process is a whole `deno` process, slow to start anyway: it loads what tasks may need
      // before it says READY, so that no task's run time (and deadline) pays for it, and no garbage
      // collection of that start-up lands in a task's run (lean start-up is for worker threads).
      runtime.preload().then(() => post({ t: P.READY }, []), () => post({ t: P.READY }, []))
      return
    case P.INTERRUPT:
      requestInterrupt(interrupts, message.c)
      return runtime.handle(message)
    default:
      return runtime.handle(message)
  }
}

// Frames received so far, read or not: a LOST message names the one that could not be read.
let received = 0
const reader = new FrameReader(
  (body) => {
    received++
    let message: P.ToWorker
    try {
      message = deserialize(body) as P.ToWorker
    } catch (e) {
      return post({ t: P.LOST, s: received, reason: `the message could not be deserialized: ${e}` }, [])
    }
    handle(message)
  },
  () => {/* only frames come from the parent */},
)
/**
 * Starts reading the parent's messages; returns when stdin closes (the parent
 * is gone or let us go), and then ends the process.
 */
export const start = async (): Promise<void> => {
  // Plain reads into one buffer: measurably cheaper per message than `Deno.stdin.readable`.
  // The reader copies what it keeps, so the buffer can be reused.
  const buffer = new Uint8Array(1 << 16)
  for (;;) {
    const n = await Deno.stdin.read(buffer)
    if (n === null) break
    reader.push(buffer.subarray(0, n))
  }
  realExit(0)
}
