/**
 * A Worker thread cannot be stopped while it runs synchronous code
 * (`Worker.terminate()` takes effect only when the thread returns to its event
 * loop, Deno 2.7.10 to 2.9.6), and such a thread keeps the whole process
 * alive. The worker runtime keeps one shared word, `BUSY_WORD`, holding the id
 * of the chunk whose synchronous task code is running (0 between items and
 * while a task awaits). When a worker is terminated in that state, the parent
 * watches the word for a grace period and, if the thread is still in task code
 * by then, prints one warning naming the task: otherwise the user sees their
 * program's last line, then a core burning with no message.
 *
 * What the word sees: a handler's synchronous code, an Effect handler's
 * synchronous start (`Effect.sync(() => { while (true) {} })`), and chunks of
 * synchronous items. What it does not: a busy loop reached after an `await`
 * (a Promise continuation, an Effect fiber resumed by a timer), where the word
 * is already 0; such a thread stays stuck without the warning.
 *
 * @internal
 * @module
 */
import { BUSY_WORD } from "../wire/protocol.ts"

/**
 * The threads of one pool that were terminated while in task code: a thread
 * counts while its word still names a chunk (it leaves task code, or is gone,
 * and the word is 0 again).
 */
export class StuckThreads {
  private readonly words = new Set<Int32Array>()
  /** `words` belong to a thread just terminated: watch it if it was in task code. */
  add(words: Int32Array): void {
    if (Atomics.load(words, BUSY_WORD) !== 0) this.words.add(words)
  }
  /** How many of them still run task code. */
  count(): number {
    for (const w of this.words) if (Atomics.load(w, BUSY_WORD) === 0) this.words.delete(w)
    return this.words.size
  }
}

/** How long a terminated thread may take to leave its task code before the warning. */
export const STUCK_GRACE_MS = 1_000

/** The warning printed for a thread that did not stop. */
export const stuckWarning = (workerName: string, taskName: string | undefined, graceMs: number): string =>
  `Warning: worker ${workerName} was terminated but is still running task ${taskName ?? "(unknown)"} ` +
  `${graceMs} ms later: a Worker thread cannot be stopped while it runs synchronous code, ` +
  `so this process will not exit on its own. Use isolation: "process" (its workers can be killed), ` +
  `or call mp.checkpoint() in the task's loop so it can be interrupted; a program started with ` +
  `mp.runMain exits anyway.`

/**
 * Called right after a thread was terminated: when its word says a task's
 * synchronous code was running, waits `graceMs` (without keeping the process
 * alive: `Atomics.waitAsync` holds no event-loop handle) and warns on stderr if
 * it still is. `taskName` names the chunk's task.
 */
export const watchTerminated = (
  words: Int32Array,
  workerName: string,
  taskOf: (chunkId: number) => string | undefined,
  graceMs: number = STUCK_GRACE_MS,
): void => {
  const chunk = Atomics.load(words, BUSY_WORD)
  if (chunk === 0) return
  const taskName = taskOf(chunk)
  const check = (): void => {
    if (Atomics.load(words, BUSY_WORD) === 0) return
    console.error(stuckWarning(workerName, taskName, graceMs))
  }
  // The worker never notifies: only the timeout (or a value already changed) ends the wait.
  const wait = Atomics.waitAsync(words, BUSY_WORD, chunk, graceMs)
  if (wait.async) wait.value.then(check)
  else check()
}
