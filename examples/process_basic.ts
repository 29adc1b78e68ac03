/**
 * The Python guide's first example: start a process that prints, join it,
 * then print "Main process completed".
 *
 * ```py
 * def print_func(continent="Asia"):
 *     print("The name of continent is : ", continent)
 *
 * if __name__ == "__main__":
 *     procs = [Process(target=print_func, args=(name,)) for name in ["America", "Europe", "Africa"]]
 *     ...
 * ```
 *
 * Run: `deno task example:process_basic`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

export const printContinent = mp.Task.make(import.meta.url, "printContinent", {
  handler: (continent: string) => console.log("The name of continent is :", continent),
})

const program = Effect.gen(function* () {
  const names = ["America", "Europe", "Africa"]
  // start one process per name, then join them all
  const procs = yield* Effect.forEach(names, (name) => mp.Process.spawn(printContinent, name, { name }))
  yield* Effect.forEach(procs, (p) => p.join)
  // a default argument, as in the guide
  const asia = yield* mp.Process.spawn(printContinent, "Asia")
  yield* asia.join
  console.log("Main process completed")
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
