/**
 * Pipelines the Effect way: per-item outcomes in a stream (`imapExit`,
 * `imapUnorderedExit`) and the pipeable stage `Pool.through`.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { assert, assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { evenOnly, flaky, waitForever } from "../fixtures/pipeline_tasks.ts"
import { sleepOrThrow } from "../fixtures/pool_tasks.ts"
import { test } from "../support/mod.ts"

/** A short view of an Exit: its value, or the text of its failure. */
const show = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isSuccess(exit)
    ? exit.value
    : `failed: ${/odd \d+|attempt \d+ of \w+ fails/.exec(JSON.stringify(exit.cause))?.[0]}`

const drain = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.gen(function* () {
    const seen: Array<A> = []
    const exit = yield* Effect.exit(Stream.runForEach(stream, (a) => Effect.sync(() => seen.push(a))))
    return { seen, exit }
  })

test("Pool.imapExit() emits one Exit per payload in input order and does not fail for a task's failure", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const exits = yield* Stream.runCollect(pool.imapExit(evenOnly, [0, 1, 2, 3, 4], { chunkSize: 2 }))
    assertEquals(exits.map(show), [0, "failed: odd 1", 20, "failed: odd 3", 40])
  }))

test("Pool.imapExit() over an input stream fails only when the input fails, after the items before it", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const input = Stream.fromIterable([1, 2]).pipe(Stream.concat(Stream.fail("the input broke")))
    const { seen, exit } = yield* drain(pool.imapExit(evenOnly, input))
    assertEquals(seen.map(show), ["failed: odd 1", 20])
    assert(Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("the input broke"))
  }))

test("Pool.imapUnorderedExit() pairs each Exit with its payload, in completion order", () =>
  Effect.gen(function* () {
    // Three workers ready before the call (a fixed pool starts only cpuCount() at once): each item runs at once.
    const pool = yield* mp.Pool.make({ minSize: 3, maxSize: 3 })
    yield* pool.ready
    // A worker loads a task's module with its first task of it: load it in all three first.
    yield* pool.broadcast(sleepOrThrow, 0)
    const pairs = yield* Stream.runCollect(pool.imapUnorderedExit(sleepOrThrow, [300, -10, 50]))
    assertEquals(pairs.map(([p]) => p), [-10, 50, 300])
    const [payload, exit] = pairs[0]
    assertEquals(payload, -10)
    assert(Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("item -10 fails"))
    assertEquals(pairs.slice(1).map(([p, e]) => [p, Exit.isSuccess(e) ? e.value : "failed"]), [[50, 50], [300, 300]])
  }))

test("Pool.through() runs a stream stage in input order with at most `concurrency` tasks in flight", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 4 })
    let peak = 0
    const out = yield* Stream.fromIterable([120, 10, 60, 20, 30, 5]).pipe(
      mp.Pool.through(pool, sleepOrThrow, { concurrency: 2 }),
      Stream.tap(() =>
        Effect.map(pool.stats, (s) => {
          peak = Math.max(peak, s.running + s.queued)
        })
      ),
      Stream.runCollect,
    )
    assertEquals(out, [120, 10, 60, 20, 30, 5])
    assert(peak <= 2, `peak ${peak}`)
  }))

test("Pool.through() with ordered: false emits as tasks finish", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    // Both workers are up (two tasks ran at the same time), so neither item waits for a worker to start.
    yield* pool.map(sleepOrThrow, [200, 200], { chunkSize: 1 })
    const out = yield* Stream.fromIterable([1_500, 10]).pipe(
      mp.Pool.through(pool, sleepOrThrow, { concurrency: 2, ordered: false }),
      Stream.runCollect,
    )
    assertEquals(out, [10, 1_500])
  }))

test("Pool.through() ends the stream at a task failing mid-stream, after the results before it", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const { seen, exit } = yield* drain(Stream.fromIterable([0, 2, 3, 4]).pipe(mp.Pool.through(pool, evenOnly)))
    assertEquals(seen, [0, 20])
    assert(Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("odd 3"), JSON.stringify(exit))
  }))

test("Pool.through() with exits: true emits a failing task's Exit and goes on (also in chunks)", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    for (const chunkSize of [1, 2]) {
      const out = yield* Stream.fromIterable([0, 1, 2, 3, 4]).pipe(
        mp.Pool.through(pool, evenOnly, { exits: true, chunkSize }),
        Stream.runCollect,
      )
      assertEquals(out.map(show), [0, "failed: odd 1", 20, "failed: odd 3", 40])
    }
  }))

test("Pool.through() retries a failed item as its Schedule says, in chunks too", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const out = yield* Stream.fromIterable([{ id: "a", failures: 2 }, { id: "b", failures: 0 }]).pipe(
      mp.Pool.through(pool, flaky, { retry: Schedule.recurs(2) }),
      Stream.runCollect,
    )
    assertEquals(out, [3, 1])
    const chunked = yield* Stream.fromIterable([{ id: "c", failures: 1 }, { id: "d", failures: 2 }]).pipe(
      mp.Pool.through(pool, flaky, { retry: Schedule.recurs(2), chunkSize: 2 }),
      Stream.runCollect,
    )
    assertEquals(chunked, [2, 3])
  }))

test("Pool.through() whose retry runs out fails with the item's last failure (or emits it with exits)", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const { exit } = yield* drain(
      Stream.make({ id: "e", failures: 5 }).pipe(mp.Pool.through(pool, flaky, { retry: Schedule.recurs(1) })),
    )
    assert(Exit.isFailure(exit) && JSON.stringify(exit.cause).includes("attempt 2 of e fails"), JSON.stringify(exit))
    const exits = yield* Stream.make({ id: "f", failures: 5 }).pipe(
      mp.Pool.through(pool, flaky, { retry: Schedule.recurs(2), exits: true }),
      Stream.runCollect,
    )
    assertEquals(exits.map(show), ["failed: attempt 3 of f fails"])
  }))

test("Pool.through() interrupted leaves nothing running: the remote tasks are interrupted too", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const dir = yield* Effect.promise(() => Deno.makeTempDir())
    const paths = [`${dir}/a`, `${dir}/b`, `${dir}/c`]
    const exists = (p: string) => Effect.try(() => Deno.statSync(p).isFile).pipe(Effect.orElseSucceed(() => false))
    const waitUntil = (p: string) =>
      Effect.repeat(exists(p), { until: (b) => b, schedule: Schedule.spaced("20 millis") })
    const fiber = yield* Stream.fromIterable(paths).pipe(
      mp.Pool.through(pool, waitForever, { concurrency: 2 }),
      Stream.runDrain,
      Effect.forkChild,
    )
    yield* waitUntil(`${paths[0]}.started`)
    yield* waitUntil(`${paths[1]}.started`)
    yield* Fiber.interrupt(fiber)
    // Each worker runs the task's interruption and reports back; the test's deadline bounds the wait.
    yield* waitUntil(`${paths[0]}.stopped`)
    yield* waitUntil(`${paths[1]}.stopped`)
    const stats = yield* Effect.repeat(pool.stats, {
      until: (s) => s.running === 0 && s.queued === 0,
      schedule: Schedule.spaced("20 millis"),
    })
    assertEquals([stats.running, stats.queued], [0, 0])
    assert(!(yield* exists(`${paths[2]}.started`)), "the third item never started")
    yield* Effect.promise(() => Deno.remove(dir, { recursive: true }))
  }))
