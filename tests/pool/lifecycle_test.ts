/**
 * A pool's life at its edges: `close` and `terminate` in every state of its
 * workers (starting, initializing, just replaced, none alive), and workers
 * that die before they are ready, which break the pool with a typed error
 * instead of being restarted forever.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import { WorkerCrashed } from "../../src/errors.ts"
import { addChild, removeChild } from "../../src/internal/children.ts"
import type { HostFactory } from "../../src/worker/parent/host.ts"
import * as tasks from "../fixtures/tasks.ts"
import { slowInit } from "../fixtures/pool_tasks.ts"
import { eventually, test } from "../support/mod.ts"

/** Fails unless `effect` ends within `ms`. */
const within = <A, E>(ms: number, what: string, effect: Effect.Effect<A, E>) =>
  effect.pipe(
    Effect.timeoutOrElse({
      duration: ms,
      orElse: () => Effect.die(new Error(`${what} did not return within ${ms} ms`)),
    }),
  )

// ---- close and terminate in each state ------------------------------------

test("close() returns while the initializer of the only worker is still running and no task follows", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, initializer: slowInit, initializerPayload: 300 })
    yield* within(5_000, "close", pool.close)
    assertEquals((yield* pool.stats).workersAlive, 0)
  }))

test("close() waits for tasks queued behind a running initializer, then returns", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, initializer: slowInit, initializerPayload: 200 })
    const fiber = yield* pool.submit(tasks.double, 21)
    yield* within(10_000, "close", pool.close)
    assertEquals(yield* Fiber.join(fiber), 42)
  }))

test("close() returns while workers are still starting (no initializer)", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    yield* within(5_000, "close", pool.close)
  }))

test("close() returns right after a crashed worker was replaced by one still initializing", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1, initializer: slowInit, initializerPayload: 100 })
    const crash = yield* Effect.flip(pool.apply(tasks.exitWith, 3))
    assertInstanceOf(crash, WorkerCrashed)
    yield* eventually(Effect.map(pool.stats, (s) => s.workersReplaced === 1))
    yield* within(5_000, "close", pool.close)
  }))

test("close() returns with idleTimeout when every worker has already been retired", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2, idleTimeout: 50 })
    assertEquals(yield* pool.apply(tasks.double, 1), 2)
    yield* eventually(Effect.map(pool.stats, (s) => s.workersAlive === 0), 5_000)
    yield* within(5_000, "close", pool.close)
  }))

test("terminate() returns in every state: initializing, starting, just replaced, no worker alive", () =>
  Effect.gen(function* () {
    const initializing = yield* mp.Pool.make({ size: 1, initializer: slowInit, initializerPayload: 5_000 })
    yield* within(2_000, "terminate", initializing.terminate)
    const starting = yield* mp.Pool.make({ size: 2 })
    yield* within(2_000, "terminate", starting.terminate)
    const replaced = yield* mp.Pool.make({ size: 1, initializer: slowInit, initializerPayload: 100 })
    yield* Effect.flip(replaced.apply(tasks.exitWith, 3))
    yield* within(2_000, "terminate", replaced.terminate)
    const idle = yield* mp.Pool.make({ size: 1, idleTimeout: 20 })
    yield* idle.apply(tasks.double, 1)
    yield* eventually(Effect.map(idle.stats, (s) => s.workersAlive === 0), 5_000)
    yield* within(2_000, "terminate", idle.terminate)
    // Closing after terminate returns too.
    yield* within(2_000, "close", initializing.close)
  }))

// ---- workers that die before they are ready -------------------------------

/** A host whose workers die as they start, like a child killed by its memory cap while loading. */
const dyingHost = (counter: { spawned: number }, options: { sync?: boolean } = {}): HostFactory => (host) => {
  counter.spawned++
  if (options.sync) {
    host.events.onExit({ reason: "it died at start-up (sync)", exitCode: 1 })
    return { isolation: "worker", post: () => {}, terminate: () => {} }
  }
  addChild({ id: host.id, name: host.name, isolation: "worker" })
  let alive = true
  const timer = setTimeout(() => {
    alive = false
    removeChild(host.id)
    host.events.onExit({ reason: "it died at start-up", exitCode: 1 })
  }, 5)
  return {
    isolation: "worker",
    post: () => {},
    terminate: () => {
      if (!alive) return
      alive = false
      removeChild(host.id)
      clearTimeout(timer)
    },
  }
}

for (const sync of [false, true]) {
  test(
    `workers that die before they are ready break the pool after two in a row, with WorkerCrashed naming the cause${
      sync ? " (host fails while it is created)" : ""
    }`,
    () =>
      Effect.gen(function* () {
        const counter = { spawned: 0 }
        const pool = yield* mp.Pool.make({ size: 2, host: dyingHost(counter, { sync }) })
        const error = yield* within(5_000, "apply", Effect.flip(pool.apply(tasks.double, 1)))
        assertInstanceOf(error, WorkerCrashed)
        assertStringIncludes(error.reason, "died before they were ready")
        assertStringIncludes(error.reason, "it died at start-up")
        // An idle pool does not restart them either.
        yield* Effect.sleep(200)
        assert(counter.spawned <= 4, `${counter.spawned} workers were started`)
        const later = yield* Effect.flip(pool.map(tasks.double, [1, 2]))
        assertInstanceOf(later, WorkerCrashed)
        yield* within(2_000, "close", pool.close)
      }),
  )
}

test("an idle pool whose workers die at start-up does not restart them in a storm", () =>
  Effect.gen(function* () {
    const counter = { spawned: 0 }
    yield* mp.Pool.make({ size: 2, host: dyingHost(counter) })
    yield* Effect.sleep(500)
    assert(counter.spawned <= 4, `${counter.spawned} workers were started in 500 ms`)
  }))

test("one worker dying before it is ready is replaced; the pool works when the replacement starts", () =>
  Effect.gen(function* () {
    let first = true
    const real = (yield* Effect.promise(() => import("../../src/worker/parent/host.ts"))).threadHost
    const onceDying: HostFactory = (host) => {
      if (!first) return real(host)
      first = false
      return dyingHost({ spawned: 0 })(host)
    }
    const pool = yield* mp.Pool.make({ size: 1, host: onceDying })
    assertEquals(yield* pool.apply(tasks.double, 4), 8)
    assertEquals((yield* pool.stats).workersReplaced, 1)
  }))

test("Process.spawn() whose worker dies before it is ready fails with WorkerCrashed naming the cause", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.double, 1, { host: dyingHost({ spawned: 0 }) })
    const error = yield* within(5_000, "join", Effect.flip(p.join))
    assertInstanceOf(error, WorkerCrashed)
    assertStringIncludes(error.reason, "it died at start-up")
    assertEquals(yield* p.isAlive, false)
  }))

test(
  "a process pool whose children run out of memory while starting fails with WorkerCrashed, no restart storm",
  () =>
    Effect.gen(function* () {
      // 12 MB is too small for a child to start (measured); if Pool.make refuses it up front, that is fine too.
      const made = yield* Effect.exit(mp.Pool.make({ size: 2, isolation: "process", maxMemoryMb: 12 }))
      if (Exit.isFailure(made)) return
      const pool = made.value
      const error = yield* within(20_000, "apply", Effect.flip(pool.apply(tasks.double, 1)))
      assertInstanceOf(error, WorkerCrashed)
      assertStringIncludes(error.reason, "died before they were ready")
      yield* Effect.sleep(1_000)
      const stats = yield* pool.stats
      assert(stats.workersReplaced <= 2, `${stats.workersReplaced} children were restarted`)
      assertEquals(stats.workersAlive, 0)
    }),
  { timeout: 40_000 },
)

test("Process.spawn() whose host fails while it is created fails with WorkerCrashed naming the cause", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.double, 1, { host: dyingHost({ spawned: 0 }, { sync: true }) })
    const error = yield* within(5_000, "join", Effect.flip(p.join))
    assertInstanceOf(error, WorkerCrashed)
    assertStringIncludes(error.reason, "it died at start-up")
  }))

test(
  "Process.spawn() of a child that runs out of memory while starting fails with WorkerCrashed saying so",
  () =>
    Effect.gen(function* () {
      // 12 MB is too small for a child to start (measured); if spawn refuses it up front, that is fine too.
      const made = yield* Effect.exit(mp.Process.spawn(tasks.double, 1, { isolation: "process", maxMemoryMb: 12 }))
      if (Exit.isFailure(made)) return
      const error = yield* within(20_000, "join", Effect.flip(made.value.join))
      assertInstanceOf(error, WorkerCrashed)
      assertStringIncludes(error.reason, "out of memory")
    }),
  { timeout: 30_000 },
)

/** A host factory that throws, as `new Worker` does when it cannot start one. */
const throwingHost = (counter: { spawned: number }): HostFactory => () => {
  counter.spawned++
  throw new Error("no worker for you")
}

test("a host that throws when asked for a worker breaks the pool with WorkerCrashed instead of a defect", () =>
  Effect.gen(function* () {
    const counter = { spawned: 0 }
    const pool = yield* mp.Pool.make({ size: 2, host: throwingHost(counter) })
    const error = yield* within(5_000, "apply", Effect.flip(pool.apply(tasks.double, 1)))
    assertInstanceOf(error, WorkerCrashed)
    assertStringIncludes(error.reason, "no worker for you")
    assert(counter.spawned <= 4, `${counter.spawned} workers were started`)
  }))

test("Process.spawn() with a host that throws fails its join with WorkerCrashed instead of a defect", () =>
  Effect.gen(function* () {
    const p = yield* mp.Process.spawn(tasks.double, 1, { host: throwingHost({ spawned: 0 }) })
    const error = yield* within(5_000, "join", Effect.flip(p.join))
    assertInstanceOf(error, WorkerCrashed)
    assertStringIncludes(error.reason, "no worker for you")
  }))
