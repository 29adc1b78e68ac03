/**
 * Bad input at the API edge fails at once with `InvalidArgument` naming the
 * argument and saying what was wrong (with the value it got), before any
 * worker starts. (`tests/pool/pool_suite.ts` checks a few of these under
 * "Pool.make() rejects bad options"; this is the complete list.)
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf, assertLess, assertStringIncludes, assertThrows } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { test } from "../support/mod.ts"
import { serves } from "./_helpers.ts"

// deno-lint-ignore no-explicit-any
type Any = any

/** Runs `effect`, expects InvalidArgument for `argument` whose message includes `says`, fast. */
const rejects = (effect: Effect.Effect<unknown, unknown, Any>, argument: string, says: string) =>
  Effect.gen(function* () {
    const start = performance.now()
    const exit = yield* Effect.exit(effect)
    assertLess(performance.now() - start, 200, `${argument}: not at once`)
    const e = Exit.findErrorOption(exit)
    assert(e._tag === "Some", `${argument}: expected InvalidArgument, got ${String(exit)}`)
    assertInstanceOf(e.value, mp.InvalidArgument, String(exit))
    assertEquals(e.value.argument, argument)
    assertStringIncludes(e.value.message, says)
  })

const notATask = [{}, null, undefined, "double", 5, () => 1, { ...tasks.double, ["~@mp/multiprocessing/Task"]: "x" }]

test("Pool.make() rejects each bad option with InvalidArgument naming it and the value, and starts no worker", () =>
  Effect.gen(function* () {
    const cases: ReadonlyArray<readonly [mp.Pool.PoolOptions, string, string]> = [
      [{ size: 0 }, "size", "positive integer, got 0"],
      [{ size: -1 }, "size", "positive integer, got -1"],
      [{ size: 1.5 }, "size", "got 1.5"],
      [{ size: NaN }, "size", "got NaN"],
      [{ size: "2" as Any }, "size", `got "2"`],
      [{ maxTasksPerWorker: 0 }, "maxTasksPerWorker", "positive integer, got 0"],
      [{ taskTimeout: -1 }, "taskTimeout", "positive duration, got -1"],
      [{ taskTimeout: 0 }, "taskTimeout", "must be a positive duration"],
      [{ taskTimeout: -Infinity }, "taskTimeout", "got -Infinity"],
      [{ idleTimeout: "-Infinity" as Any }, "idleTimeout", `got "-Infinity"`],
      [{ taskTimeout: "-1 seconds" as Any }, "taskTimeout", `got "-1 seconds"`],
      [{ taskTimeout: NaN }, "taskTimeout", "got NaN"],
      [{ idleTimeout: -5 }, "idleTimeout", "got -5"],
      [{ interruptGrace: -5 }, "interruptGrace", "non-negative duration, got -5"],
      [{ interruptGrace: "soon" as Any }, "interruptGrace", `must be a non-negative duration, got "soon"`],
      [{ initializer: {} as Any }, "initializer", "expected a Task"],
      [{ initializer: tasks.doubleChecked, initializerPayload: "x" }, "initializerPayload", "does not fit its schema"],
      [{ permissions: "some" as Any }, "permissions", `"inherit", "none" or an object, got some`],
      [{ permissions: { read: 5 } as Any }, "permissions", "permissions.read must be"],
      [{ permissions: { foo: true } as Any }, "permissions", `unknown permission kind "foo"`],
      [{ isolation: "thread" as Any }, "isolation", `"worker" or "process", got thread`],
      [{ maxMemoryMb: 64 }, "maxMemoryMb", `needs isolation: "process"`],
      [{ isolation: "process", maxMemoryMb: -5 }, "maxMemoryMb", "positive integer, got -5"],
      [{ name: 5 as Any }, "name", "must be a string, got 5"],
    ]
    for (const [options, argument, says] of cases) yield* rejects(mp.Pool.make(options), argument, says)
    assertEquals(mp.activeChildren().length, 0)
  }))

test("Pool methods reject a non-Task, a bad chunk size and payloads that are not iterable with InvalidArgument; the pool serves on", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const collect = <A, E>(s: Stream.Stream<A, E>) => Stream.runCollect(s)
    const joined = <A, E>(e: Effect.Effect<Fiber.Fiber<A, E>>) => Effect.flatMap(e, Fiber.join)
    for (const bad of notATask) {
      yield* rejects(pool.apply(bad as Any, 1), "task", "expected a Task made with mp.Task.make")
      yield* rejects(joined(pool.submit(bad as Any, 1)), "task", "expected a Task")
      yield* rejects(pool.map(bad as Any, [1]), "task", "expected a Task")
      yield* rejects(pool.mapExit(bad as Any, [1]), "task", "expected a Task")
      yield* rejects(pool.starmap(bad as Any, [[1, 2]]), "task", "expected a Task")
      yield* rejects(collect(pool.imap(bad as Any, [1])), "task", "expected a Task")
      yield* rejects(collect(pool.imapUnordered(bad as Any, [1])), "task", "expected a Task")
    }
    for (const chunkSize of [0, -1, 1.5, NaN]) {
      const says = `chunkSize must be a positive integer, got ${chunkSize}`
      yield* rejects(pool.map(tasks.double, [1], { chunkSize }), "chunkSize", says)
      yield* rejects(pool.mapExit(tasks.double, [1], { chunkSize }), "chunkSize", says)
      yield* rejects(pool.starmap(tasks.add, [[1, 2]], { chunkSize }), "chunkSize", says)
      yield* rejects(collect(pool.imap(tasks.double, [1], { chunkSize })), "chunkSize", says)
      yield* rejects(collect(pool.imapUnordered(tasks.double, [1], { chunkSize })), "chunkSize", says)
    }
    for (const [payloads, shown] of [[null, "null"], [undefined, "undefined"], [5, "5"], [{}, "an object"]] as const) {
      const says = `must be iterable, got ${shown}`
      yield* rejects(pool.map(tasks.double, payloads as Any), "payloads", says)
      yield* rejects(pool.mapExit(tasks.double, payloads as Any), "payloads", says)
      yield* rejects(collect(pool.imap(tasks.double, payloads as Any)), "input", says)
    }
    yield* serves(pool)
    assertEquals((yield* pool.stats).completed, 4)
  }))

test("Process.spawn() rejects a non-Task and bad options with InvalidArgument, and starts no worker", () =>
  Effect.gen(function* () {
    for (const bad of notATask) yield* rejects(mp.Process.spawn(bad as Any, 1), "task", "expected a Task")
    const cases: ReadonlyArray<readonly [mp.Process.SpawnOptions, string, string]> = [
      [{ name: 5 as Any }, "name", "must be a string"],
      [{ permissions: "some" as Any }, "permissions", `"inherit", "none" or an object`],
      [{ permissions: { net: 5 } as Any }, "permissions", "permissions.net must be"],
      [{ isolation: "thread" as Any }, "isolation", `"worker" or "process"`],
      [{ maxMemoryMb: 64 }, "maxMemoryMb", `needs isolation: "process"`],
      [{ isolation: "process", maxMemoryMb: 0 }, "maxMemoryMb", "positive integer, got 0"],
    ]
    for (const [options, argument, says] of cases) {
      yield* rejects(mp.Process.spawn(tasks.double, 1, options), argument, says)
    }
    assertEquals(mp.activeChildren().length, 0)
  }))

test("Task.make() rejects a module URL that is not a URL, an empty name and a missing handler with InvalidArgument at once", () => {
  const cases: ReadonlyArray<readonly [() => unknown, string, string]> = [
    [() => mp.Task.make("tasks.ts", "t1", { handler: (n: number) => n }), "moduleUrl", "import.meta.url"],
    [() => mp.Task.make(import.meta.url, "", { handler: (n: number) => n }), "name", "non-empty name"],
    [() => mp.Task.make(import.meta.url, "t2", {} as Any), "handler", "needs a handler function"],
    [() => mp.Task.make(tasks.double.moduleUrl, "double", { handler: (n: number) => n }), "name", "already defined"],
  ]
  for (const [make, argument, says] of cases) {
    const e = assertThrows(make)
    assertInstanceOf(e, mp.InvalidArgument)
    assertEquals(e.argument, argument)
    assertStringIncludes(e.message, says)
  }
  return Effect.void
})

test("Shared memory and IPC reject bad lengths, capacities, lock options, timeouts and takeUpTo(0) with InvalidArgument, never a defect", () =>
  Effect.gen(function* () {
    for (const length of [2 ** 40, -1, NaN, 1.5, Infinity, "3" as Any]) {
      yield* rejects(
        mp.Array.make("d", length),
        "lengthOrValues",
        `got ${typeof length === "string" ? `"${length}"` : length}`,
      )
      yield* rejects(mp.RawArray.make("i", length), "lengthOrValues", "lengthOrValues must be a length")
    }
    yield* rejects(mp.Array.make("i", null as Any), "lengthOrValues", "a length or an array of values, got null")
    for (const capacity of [0, -1, NaN, 1.5, 2 ** 40]) {
      yield* rejects(mp.Queue.make({ capacity }), "capacity", `got ${capacity}`)
      yield* rejects(mp.JoinableQueue.make({ capacity }), "capacity", `got ${capacity}`)
    }
    yield* rejects(mp.Queue.make({ maxBytes: 2 ** 40 }), "maxBytes", `got ${2 ** 40}`)
    yield* rejects(
      mp.Value.make("i", 0, { lock: "navalue" as Any }),
      "options.lock",
      `a Lock or an RLock, got "navalue"`,
    )
    yield* rejects(mp.Array.make("i", 2, { lock: {} as Any }), "options.lock", "a Lock or an RLock, got an object")
    yield* rejects(mp.Condition.make("navalue" as Any), "lock", `got "navalue"`)
    const q = yield* mp.Queue.make<number>()
    for (const max of [0, -1, NaN, 1.5]) yield* rejects(q.takeUpTo(max), "max", `got ${max}`)
    for (const timeout of [-1, "-1 seconds" as Any, NaN, "soon" as Any]) {
      yield* rejects(q.take({ timeout }), "timeout", "must be a non-negative duration")
      yield* rejects(q.put(1, { timeout }), "timeout", "must be a non-negative duration")
      const [a] = yield* mp.Pipe.make<number>()
      yield* rejects(a.poll(timeout), "timeout", "must be a non-negative duration")
      yield* rejects(mp.Barrier.make(2, { timeout }), "timeout", "must be a non-negative duration")
      const b = yield* mp.Barrier.make(2)
      yield* rejects(b.wait({ timeout }), "timeout", "must be a non-negative duration")
    }
    yield* rejects(mp.Barrier.make(0), "parties", "got 0")
    const jq = yield* mp.JoinableQueue.make<number>()
    yield* jq.put(1)
    for (const count of [0, -1, NaN, 0.5]) yield* rejects(jq.taskDone(count), "count", `got ${count}`)
    assertEquals(yield* jq.unfinished, 1, "a refused taskDone changes nothing")
    // Infinity waits for ever (here: until the test's own timeout interrupts it).
    assert(Option.isNone(yield* q.take({ timeout: Infinity }).pipe(Effect.timeoutOption(100))))
    yield* q.put(7, { timeout: Infinity })
    assertEquals(yield* q.take({ timeout: Infinity }), 7)
  }))
