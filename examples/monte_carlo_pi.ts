/**
 * Estimate pi on every core: each task throws darts at the unit square and
 * counts those inside the quarter circle.
 *
 * Run: `deno task example:monte_carlo_pi`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

/** A small seeded PRNG (mulberry32), so each task draws its own sequence. */
const mulberry32 = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export const darts = mp.Task.make(import.meta.url, "darts", {
  handler: ({ seed, n }: { seed: number; n: number }) => {
    const random = mulberry32(seed)
    let inside = 0
    for (let i = 0; i < n; i++) {
      const x = random()
      const y = random()
      if (x * x + y * y <= 1) inside++
    }
    return inside
  },
})

const program = Effect.gen(function* () {
  const perTask = Number(Deno.args[0] ?? 2_000_000)
  const tasks = 16
  const pool = yield* mp.Pool.make()
  const t = performance.now()
  const counts = yield* pool.map(darts, Array.from({ length: tasks }, (_, seed) => ({ seed, n: perTask })))
  const inside = counts.reduce((a, b) => a + b, 0)
  const pi = (4 * inside) / (tasks * perTask)
  console.log(`pi ≈ ${pi.toFixed(4)} from ${tasks * perTask} darts in ${(performance.now() - t).toFixed(0)} ms`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
