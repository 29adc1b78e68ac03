/**
 * Worker mode of a compiled program. A program compiled with `deno compile`
 * starts copies of itself as its `isolation: "process"` workers
 * (`<binary> <WORKER_MODE_ARG> <parent pid>`, see `parent/compiled.ts`), and
 * such a copy always runs the program's main module. That module imports this
 * library (directly or through its task modules), and this module is among
 * the library's first: in worker mode it starts the process worker
 * (`process_entry.ts`, unchanged) on a thread of its own, and then holds the
 * evaluation of every module that imports the library forever, the main
 * module included. So the main module's body never runs in a worker, and the
 * task modules are imported by the worker thread, which has a module graph of
 * its own.
 *
 * The worker thread talks to the parent over this process's stdin and stdout
 * as a child `deno` process does, and ends the process through
 * `process_exit.ts`. Modules of the main program that do not import the
 * library are still evaluated here, as in any worker that imports them.
 *
 * Outside worker mode (any normal program, every worker thread) it does
 * nothing.
 *
 * @internal
 * @module
 */
import { workerModeParent } from "../wire/compiled.ts"
import { isExitRequest, onWorkerThread } from "./process_exit.ts"

if (!onWorkerThread() && workerModeParent(Deno.args) !== undefined) {
  const worker = new Worker(new URL("./process_entry.ts", import.meta.url), { type: "module", name: "mp-process" })
  worker.onmessage = (event: MessageEvent) => {
    if (isExitRequest(event.data)) Deno.exit(event.data.mpExit)
  }
  worker.onerror = (event: ErrorEvent) => {
    // The worker could not start or failed past its own handlers: the parent sees this exit and stderr.
    event.preventDefault()
    console.error(`error: the process worker failed: ${event.message}`)
    Deno.exit(1)
  }
  // The worker keeps the event loop alive; the process ends through Deno.exit above.
  await new Promise<never>(() => {})
}
