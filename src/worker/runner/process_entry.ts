/**
 * The main module of a `"process"` worker: a child `deno` process started by
 * `process_host.ts` as `process_entry.ts <parent pid>`. In a compiled program
 * it runs on a thread of a copy of the program started in worker mode
 * (`compiled_child.ts`), where the parent's pid follows `WORKER_MODE_ARG`.
 *
 * The child never outlives its parent. Before anything else is loaded, it
 * checks that its parent is the process that started it (a parent killed
 * before the child started has re-parented it already), and starts a
 * watchdog thread that kills the process as soon as the parent is gone, even
 * if the main thread is stuck in a busy loop (a killed parent cannot close
 * anything; the watchdog sees `Deno.ppid` differ from the pid it was given).
 * Only once the watchdog has made its first check does the child read a task
 * (`process_child.ts`). The parent's pid comes on the command line (reading it
 * needs no permission); `Deno.kill` of its own pid needs no permission, and
 * the watchdog is loaded from a Blob URL, so it needs no read permission
 * either. The child also exits when its stdin closes.
 *
 * This module imports nothing statically but one tiny module, so none of that
 * waits for the runtime to load.
 *
 * @internal
 * @module
 */
import { workerModeParent } from "../wire/compiled.ts"

const WATCHDOG_MS = 100
const given = workerModeParent(Deno.args) ?? Number(Deno.args[0])
const parent = Number.isInteger(given) && given > 0 ? given : Deno.ppid
if (Deno.ppid !== parent) Deno.kill(Deno.pid, "SIGKILL")

const watchdog = `const check = () => { if (Deno.ppid !== ${parent}) Deno.kill(Deno.pid, "SIGKILL") }
check()
setInterval(check, ${WATCHDOG_MS})
postMessage("watching")`
const watcher = new Worker(URL.createObjectURL(new Blob([watchdog], { type: "text/javascript" })), { type: "module" })
const watching = new Promise<void>((resolve) => watcher.onmessage = () => resolve())

const [child] = await Promise.all([import("./process_child.ts"), watching])
await child.start()
