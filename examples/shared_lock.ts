/**
 * The Python guide's lock-guarded append: several processes append to one
 * shared list, and a `Lock` makes each append (read the length, write the
 * slot, bump the length) happen as one step.
 *
 * ```py
 * def append(lock, items, length, worker):
 *     for k in range(3):
 *         with lock:
 *             items[length.value] = worker * 10 + k
 *             length.value += 1
 *
 * if __name__ == "__main__":
 *     lock = Lock()
 *     items, length = Array("i", 12), Value("i", 0, lock=False)
 *     procs = [Process(target=append, args=(lock, items, length, w)) for w in range(4)]
 *     ...
 *     print("Shared list:", sorted(items[:length.value]))
 * ```
 *
 * The list is a shared `Array` with a `RawValue` length; without the lock,
 * two workers could read the same length and overwrite each other's item.
 *
 * Run: `deno run -A examples/shared_lock.ts`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

interface Append {
  readonly lock: mp.Lock.Lock
  readonly items: mp.RawArray.RawArray<"i32">
  readonly length: mp.RawValue.RawValue<"i32">
  readonly worker: number
}

export const append = mp.Task.make(import.meta.url, "append", {
  handler: ({ lock, items, length, worker }: Append) =>
    Effect.gen(function* () {
      for (let k = 0; k < 3; k++) {
        yield* lock.withLock(Effect.gen(function* () {
          const n = yield* length.get
          yield* items.set(n, worker * 10 + k)
          yield* length.set(n + 1)
        }))
      }
    }),
})

const program = Effect.gen(function* () {
  const lock = yield* mp.Lock.make()
  const items = yield* mp.RawArray.make("i", 12)
  const length = yield* mp.RawValue.make("i", 0)
  const procs = yield* Effect.forEach(
    [0, 1, 2, 3],
    (worker) => mp.Process.spawn(append, { lock, items, length, worker }),
  )
  yield* Effect.forEach(procs, (p) => p.join, { concurrency: "unbounded" })
  const n = yield* length.get
  const list = (yield* items.toArray).slice(0, n).sort((a, b) => a - b)
  console.log(`Shared list: [${list.join(", ")}]`)
  console.log("Length:", n)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
