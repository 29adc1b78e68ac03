/**
 * The contract between a compiled program (`deno compile`) and the copies of
 * itself it starts as `isolation: "process"` workers. A compiled binary always
 * runs its own main module and takes no `deno run` flags, so the parent starts
 * it as `<binary> <WORKER_MODE_ARG> <parent pid>`; the library, imported by
 * that main module, sees the argument before the main module's body runs and
 * turns the process into a worker instead (`runner/compiled_child.ts`).
 *
 * @internal
 * @module
 */

/** The argument that starts a program in worker mode. Distinctive, so no program takes it for its own. */
export const WORKER_MODE_ARG = "--@mp/multiprocessing:process-worker"

/**
 * The parent's pid when this process was started in worker mode (`0` when
 * the pid after the argument is unreadable: then the process's parent is
 * taken), else `undefined`. A compiled binary may carry arguments baked in at
 * compile time before the ones it was started with, so the argument is
 * searched for.
 */
export const workerModeParent = (args: ReadonlyArray<string>): number | undefined => {
  const at = args.lastIndexOf(WORKER_MODE_ARG)
  if (at < 0) return undefined
  const pid = Number(args[at + 1])
  return Number.isInteger(pid) && pid > 0 ? pid : 0
}
