/**
 * What the parent does differently inside a program compiled with
 * `deno compile` (`Deno.build.standalone`):
 *
 * - The worker entry modules must be inside the binary. `new Worker(url)` is
 *   not followed by `deno compile`, but a literal dynamic import is: the
 *   never-called `embedWorkerEntries` names both entries, so they (and all
 *   they import) are embedded without any `--include` flag.
 * - A child process cannot be `deno run <entry>`: the binary is the only
 *   executable there is, it always runs its own main module, and it takes no
 *   `deno` flags. The process host starts the binary itself with
 *   `WORKER_MODE_ARG` (`selfWorkerArgs`), and the library, imported by that
 *   main module, turns the process into a worker before the main module's
 *   body can run (`runner/compiled_child.ts`).
 *
 * @internal
 * @module
 */
import { WORKER_MODE_ARG } from "../wire/compiled.ts"

/** The `deno` arguments that start this program again when a test runs it as if it were compiled. */
let simulated: ReadonlyArray<string> | undefined

/** Whether this program runs as a compiled binary (or a test runs it as if it did). */
export const isCompiled = (): boolean => Deno.build.standalone === true || simulated !== undefined

/** The arguments that start this program's executable as a process worker of `parentPid`. */
export const selfWorkerArgs = (parentPid: number): Array<string> => [
  ...(simulated ?? []),
  WORKER_MODE_ARG,
  String(parentPid),
]

/**
 * Tests only: makes this program behave as a compiled binary whose executable
 * is `deno` with `args` (for example `["run", "-A", mainModulePath]`), so the
 * process host's worker mode can be tested where `deno compile` cannot run.
 * `undefined` ends that.
 */
export const runAsIfCompiled = (args: ReadonlyArray<string> | undefined): void => {
  simulated = args === undefined ? undefined : [...args]
}

/**
 * Never called. `deno compile` embeds the modules named by literal dynamic
 * imports, with everything they import: this is how the worker entries get
 * into a compiled binary without an `--include` flag. `runner/effects.ts`,
 * the worker's Effect side, and `runner/finalizers.ts` are named too: the worker loads them on demand by
 * URL (so that the graph a new worker type-checks under `deno test` stays
 * small); named here, it is also type-checked with the program.
 */
export const embedWorkerEntries = (): Promise<unknown> =>
  Promise.all([
    import("../runner/entry.ts"),
    import("../runner/process_entry.ts"),
    import("../runner/effects.ts"),
    import("../runner/finalizers.ts"),
  ])
