/**
 * When an item of `imap` fails, the results before it still come out, as
 * Python's `imap` yields them before it raises; `imapUnordered` emits what had
 * finished before the failure. Then the stream fails with the item's error.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { assert, assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { gated, sleepOrThrow } from "../fixtures/pool_tasks.ts"
import { eventually, int32s, test } from "../support/mod.ts"

/** Runs `stream`, taking `consumerMs` per element; returns what was emitted and how it ended. */
const drain = <A, E>(stream: Stream.Stream<A, E>, consumerMs = 0) =>
  Effect.gen(function* () {
    const seen: Array<A> = []
    const exit = yield* Effect.exit(
      Stream.runForEach(stream, (a) => Effect.sync(() => seen.push(a)).pipe(Effect.andThen(Effect.sleep(consumerMs)))),
    )
    return { seen, exit }
  })

const failedWith = (exit: Exit.Exit<unknown, unknown>, text: string): boolean =>
  Exit.isFailure(exit) && JSON.stringify(exit.cause).includes(text)

test("Pool.imap() emits every result before a failing item, even ones still running when it failed, then fails", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 4 })
    // Item 2 fails after 10 ms while item 0 still has 300 ms to go.
    const { seen, exit } = yield* drain(pool.imap(sleepOrThrow, [300, 20, -10, 50]))
    assertEquals(seen, [300, 20])
    assert(failedWith(exit, "item -10 fails"), JSON.stringify(exit))
  }))

test("Pool.imap() with chunkSize 2 emits the results before the failing item, its chunk-mates included", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 3 })
    const { seen, exit } = yield* drain(pool.imap(sleepOrThrow, [150, 20, 10, -10, 40, 50], { chunkSize: 2 }))
    assertEquals(seen, [150, 20, 10])
    assert(failedWith(exit, "item -10 fails"), JSON.stringify(exit))
  }))

test("Pool.imap() emits what was finished before the failure even when the consumer is slow", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 4 })
    const { seen, exit } = yield* drain(pool.imap(sleepOrThrow, [10, 20, 30, -60, 40]), 150)
    assertEquals(seen, [10, 20, 30])
    assert(failedWith(exit, "item -60 fails"), JSON.stringify(exit))
  }))

test("Pool.imap() over an input stream that fails emits the results of every item before the failure, then fails with the input's error", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const input = Stream.fromIterable([120, 60, 90]).pipe(Stream.concat(Stream.fail("the input broke")))
    const { seen, exit } = yield* drain(pool.imap(tasks.sleep, input))
    assertEquals(seen, [120, 60, 90])
    assert(failedWith(exit, "the input broke"), JSON.stringify(exit))
  }))

test("Pool.imap() over an input stream that fails with chunkSize 2 sends the partial last chunk before failing", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const input = Stream.fromIterable([50, 40, 30]).pipe(Stream.concat(Stream.fail("the input broke")))
    const { seen, exit } = yield* drain(pool.imap(tasks.sleep, input, { chunkSize: 2 }))
    assertEquals(seen, [50, 40, 30])
    assert(failedWith(exit, "the input broke"), JSON.stringify(exit))
  }))

test("Pool.imap() emits the results before a payload that does not fit the task's schema, then fails with SerializationError", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    // deno-lint-ignore no-explicit-any
    const { seen, exit } = yield* drain(pool.imap(tasks.doubleChecked, [1, 2, "three" as any, 4], { chunkSize: 4 }))
    assertEquals(seen, [2, 4])
    assert(failedWith(exit, "SerializationError"), JSON.stringify(exit))
  }))

test("Pool.imapUnordered() emits everything that finished before the failure, even to a slow consumer, then fails", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 4 })
    // Ordered by events: 10 and 20 finish, then -150 fails; 1000 never finishes on its own.
    const done = int32s(1)
    const items = [
      { kind: "ok" as const, value: 10, done, after: 0 },
      { kind: "ok" as const, value: 20, done, after: 0 },
      { kind: "fail" as const, value: -150, done, after: 2 },
      { kind: "slow" as const, value: 1_000, done, after: 0 },
    ]
    const { seen, exit } = yield* drain(pool.imapUnordered(gated, items), 300)
    assertEquals(seen.slice().sort((a, b) => a - b), [10, 20])
    assert(failedWith(exit, "item -150 fails"), JSON.stringify(exit))
    // The slow item was interrupted, not left running.
    yield* eventually(Effect.map(pool.stats, (s) => s.running === 0), 10_000)
  }))

test("Pool.imapUnordered() over an input stream that fails emits what finished, then fails with the input's error", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const input = Stream.fromIterable([10, 20]).pipe(
      Stream.concat(Stream.fromEffect(Effect.sleep(1_500).pipe(Effect.as(30)))),
      Stream.concat(Stream.fail("the input broke")),
    )
    const { seen, exit } = yield* drain(pool.imapUnordered(tasks.sleep, input), 0)
    assert(seen.includes(10) && seen.includes(20), JSON.stringify(seen))
    assert(failedWith(exit, "the input broke"), JSON.stringify(exit))
  }))
