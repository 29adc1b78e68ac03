/**
 * Long durations: `setTimeout` fires after ~1 ms when its delay exceeds
 * 2^31−1 ms, so every user-given duration goes through `setTimer`, which
 * re-arms past that limit and treats `Infinity` as "never".
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { clearTimer, setTimer, type TimerClock } from "../../src/internal/timer.ts"
import * as tasks from "../fixtures/tasks.ts"
import { stubborn } from "../fixtures/pool_tasks.ts"
import { eventually, test } from "../support/mod.ts"

/** A fake clock whose longest single delay is `maxDelayMs`; `advance` runs what is due. */
const fakeClock = (maxDelayMs: number) => {
  let now = 0
  let nextId = 1
  const pending = new Map<number, { at: number; f: () => void }>()
  const armed: Array<number> = []
  const clock: TimerClock = {
    maxDelayMs,
    setTimeout: (f, ms) => {
      armed.push(ms)
      const id = nextId++
      pending.set(id, { at: now + ms, f })
      return id
    },
    clearTimeout: (id) => void pending.delete(id as number),
  }
  const advance = (ms: number): void => {
    const until = now + ms
    for (;;) {
      let due: [number, { at: number; f: () => void }] | undefined
      for (const e of pending) if (e[1].at <= until && (due === undefined || e[1].at < due[1].at)) due = e
      if (due === undefined) break
      pending.delete(due[0])
      now = due[1].at
      due[1].f()
    }
    now = until
  }
  return { clock, advance, armed, pending }
}

Deno.test("setTimer re-arms a delay beyond the platform's limit and fires once, at the end", () => {
  const { clock, advance, armed } = fakeClock(10)
  let fired = 0
  setTimer(() => fired++, 25, clock)
  advance(24)
  assertEquals(fired, 0)
  advance(1)
  assertEquals(fired, 1)
  assertEquals(armed, [10, 10, 5])
  advance(100)
  assertEquals(fired, 1)
})

Deno.test("setTimer with an infinite delay arms nothing; clearTimer stops a timer between re-arms", () => {
  const { clock, advance, armed, pending } = fakeClock(10)
  let fired = 0
  const never = setTimer(() => fired++, Infinity, clock)
  assertEquals(armed, [])
  clearTimer(never)
  const t = setTimer(() => fired++, 35, clock)
  advance(15)
  clearTimer(t)
  assertEquals(pending.size, 0)
  advance(100)
  assertEquals(fired, 0)
  clearTimer(undefined)
})

Deno.test("setTimer on the real clock fires a short delay and a cleared 30-day timer leaves nothing behind", async () => {
  const long = setTimer(() => {
    throw new Error("a 30-day timer fired")
  }, Duration.toMillis(Duration.days(30)))
  await new Promise<void>((resolve) => setTimer(resolve, 20))
  clearTimer(long)
})

for (const [label, taskTimeout] of [["30 days", "30 days"], ["Duration.infinity", Duration.infinity]] as const) {
  test(`a taskTimeout of ${label} lets a task run to the end instead of timing it out at once`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, taskTimeout })
      assertEquals(yield* pool.apply(tasks.sleep, 150), 150)
      assertEquals(yield* pool.map(tasks.sleep, [60, 60, 60, 60], { chunkSize: 2 }), [60, 60, 60, 60])
    }))
}

test("a taskTimeout that fits setTimeout but not once multiplied by the chunk length does not fire at once", () =>
  Effect.gen(function* () {
    // 10 days is below the 24.8-day limit; a chunk of 3 items gets 30 days.
    const pool = yield* mp.Pool.make({ size: 1, taskTimeout: "10 days" })
    assertEquals(yield* pool.map(tasks.sleep, Array(12).fill(40)), Array(12).fill(40))
  }))

for (const [label, idleTimeout] of [["30 days", "30 days"], ["Infinity", Infinity]] as const) {
  test(`an idleTimeout of ${label} keeps an idle worker instead of retiring it at once`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, idleTimeout })
      assertEquals(yield* pool.apply(tasks.double, 21), 42)
      yield* Effect.sleep(200)
      const stats = yield* pool.stats
      assertEquals(stats.workersAlive, 1)
      assertEquals(stats.workersReplaced, 0)
      assertEquals(yield* pool.apply(tasks.double, 1), 2)
      // Same worker: the pool never had to start another one.
      assertEquals((yield* pool.stats).workersReplaced, 0)
    }))
}

for (const [label, interruptGrace] of [["30 days", "30 days"], ["Infinity", Infinity]] as const) {
  test(`an interruptGrace of ${label} does not terminate the worker of an interrupted task at once`, () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, interruptGrace })
      const fiber = yield* pool.submit(stubborn, 400)
      yield* eventually(Effect.map(pool.stats, (s) => s.running === 1), 10_000)
      yield* Fiber.interrupt(fiber)
      yield* Effect.sleep(150)
      // The worker still holds the stubborn task: it was not terminated.
      const stats = yield* pool.stats
      assertEquals(stats.workersReplaced, 0)
      assertEquals(stats.workersAlive, 1)
      // Once the task ends on its own the worker takes work again.
      assertEquals(yield* pool.apply(tasks.double, 4), 8)
      assertEquals((yield* pool.stats).workersReplaced, 0)
    }))
}
