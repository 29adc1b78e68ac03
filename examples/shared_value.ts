/**
 * The Python guide's shared `Value`: a child process changes a number that
 * lives in shared memory, and the parent sees the change.
 *
 * ```py
 * def increment(num):
 *     with num.get_lock():
 *         num.value += 1
 *
 * if __name__ == "__main__":
 *     num = Value("i", 0)
 *     p = Process(target=increment, args=(num,))
 *     p.start()
 *     p.join()
 *     print("Value:", num.value)
 * ```
 *
 * The value crosses into the worker inside the task's payload; both sides
 * read and write the same `SharedArrayBuffer`.
 *
 * Run: `deno run -A examples/shared_value.ts`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

export const increment = mp.Task.make(import.meta.url, "increment", {
  // `update` is the read-modify-write under the value's own lock: Python's `with num.get_lock(): num.value += 1`.
  handler: (num: mp.Value.Value<"i32">) => num.update((n) => n + 1),
})

const program = Effect.gen(function* () {
  const num = yield* mp.Value.make("i", 0)
  const p = yield* mp.Process.spawn(increment, num)
  yield* p.join
  console.log("Value:", yield* num.get)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
