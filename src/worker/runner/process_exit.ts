/**
 * How a process worker ends its process. On the main thread of a child
 * `deno` process that is `Deno.exit`. In a compiled program, the process
 * worker runs on a thread of the child (`compiled_child.ts`), where
 * `Deno.exit` would end only that thread, silently: the exit code is sent to
 * the main thread, which exits the process, and this thread waits for that
 * without running anything more.
 *
 * Import it before anything wraps `Deno.exit` (`lifecycle.ts` does).
 *
 * @internal
 * @module
 */

/** The message a process worker on a thread sends to its main thread to end the process. */
export interface ExitRequest {
  readonly mpExit: number
}

/** Whether `data` asks the main thread to end the process. */
export const isExitRequest = (data: unknown): data is ExitRequest =>
  typeof data === "object" && data !== null && typeof (data as { mpExit?: unknown }).mpExit === "number"

/** Whether this code runs on a Worker thread (rather than a process's main thread). */
export const onWorkerThread = (): boolean =>
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined"

const denoExit: (code?: number) => never = Deno.exit.bind(Deno)

/** Ends this process with `code`. */
export const exitProcess: (code?: number) => never = !onWorkerThread() ? denoExit : (code) => {
  const request: ExitRequest = { mpExit: code ?? 0 }
  ;(globalThis as unknown as { postMessage: (message: unknown) => void }).postMessage(request)
  // Nothing more runs on this thread: the main thread ends the process.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  return denoExit(code)
}
