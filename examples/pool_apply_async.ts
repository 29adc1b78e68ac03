/**
 * The Python guide's `apply_async` with exception handling: five tasks over
 * `[1, 2, 0, 4, 5]`, one of which fails on 0. Every task's own outcome is
 * kept: four values and one typed error, and the others are not disturbed.
 *
 * Run: `deno task example:pool_apply_async`
 */
import { Effect, Exit, Fiber, Schema } from "effect"
import * as mp from "@mp/multiprocessing"

export class DivisionByZero extends Schema.TaggedError<DivisionByZero>()("DivisionByZero", {
  numerator: Schema.Number,
}) {}

export const inverse = mp.Task.make(import.meta.url, "inverse", {
  payload: Schema.Number,
  success: Schema.Number,
  failure: DivisionByZero,
  handler: (n) => n === 0 ? Effect.fail(new DivisionByZero({ numerator: 1 })) : Effect.succeed(10 / n),
})

const program = Effect.gen(function* () {
  const pool = yield* mp.Pool.make({ size: 2 })
  const inputs = [1, 2, 0, 4, 5]
  // apply_async: a Fiber per task, all running at once
  const fibers = yield* Effect.forEach(inputs, (n) => pool.submit(inverse, n))
  const exits = yield* Effect.forEach(fibers, Fiber.await)
  exits.forEach((exit, i) => {
    if (Exit.isSuccess(exit)) console.log(`inverse(${inputs[i]}) = ${exit.value}`)
    else {
      const error = Exit.findErrorOption(exit)
      console.log(`inverse(${inputs[i]}) failed: ${error._tag === "Some" ? error.value._tag : "defect"}`)
    }
  })
  const values = exits.filter(Exit.isSuccess).map((e) => e.value)
  console.log("values:", values)
  // the same with mapExit, and with map (which fails fast with the typed error)
  const all = yield* pool.mapExit(inverse, inputs)
  console.log("mapExit successes:", all.filter((e) => Exit.isSuccess(e)).length)
  const failed = yield* Effect.flip(pool.map(inverse, inputs))
  console.log("map failed with:", failed._tag)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
