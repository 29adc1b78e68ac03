/**
 * The Python guide's `Manager().list()` shared with a child process, guarded
 * by a lock: the child appends "New item", the parent prints the list.
 *
 * ```py
 * def f(lock, shared_list):
 *     with lock:
 *         shared_list.append("New item")
 *
 * if __name__ == "__main__":
 *     with Manager() as manager:
 *         lock = Lock()
 *         shared_list = manager.list(["First item"])
 *         p = Process(target=f, args=(lock, shared_list))
 *         p.start()
 *         p.join()
 *         print(shared_list)   # ['First item', 'New item']
 * ```
 *
 * Each call on a managed list is atomic by itself; the lock is for what
 * Python uses it for, making several calls one step (here: read the length,
 * then append a numbered item).
 *
 * Run: `deno task example:manager_list`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

export const addItem = mp.Task.make(import.meta.url, "addItem", {
  handler: (p: { lock: mp.Lock.Lock; list: mp.Manager.ListProxy<string> }) =>
    p.lock.withLock(Effect.gen(function* () {
      yield* p.list.append("New item")
      const n = yield* p.list.length
      yield* p.list.append(`Item number ${n + 1}, added by the child`)
    })),
})

const program = Effect.gen(function* () {
  const manager = yield* mp.Manager.make() // shut down when this Scope closes
  const lock = yield* mp.Lock.make()
  const list = yield* manager.list(["First item"])
  const p = yield* mp.Process.spawn(addItem, { lock, list })
  yield* p.join
  console.log(yield* list.toArray)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
