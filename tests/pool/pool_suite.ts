/**
 * The Pool test suite, run against each host: `pool_test.ts` runs it with
 * Worker threads, `pool_isolation_test.ts` with child processes.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { type HostFactory, threadHost } from "../../src/worker/parent/host.ts"
import { processHost } from "../../src/worker/parent/process_host.ts"
import { eventually, test } from "../support/mod.ts"

/** Registers every Pool test for `isolation`. */
export const poolSuite = (isolation: Isolation): void => {
  const name = (title: string): string => isolation === "worker" ? title : `${title} [process]`
  const make = (options: mp.Pool.PoolOptions = {}) => mp.Pool.make({ ...options, isolation })
  const layer = (options: mp.Pool.PoolOptions = {}) => mp.Pool.layer({ ...options, isolation })

  test(name("Pool.map() returns results in input order"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      assertEquals(yield* pool.map(tasks.double, [1, 2, 3, 4, 5]), [2, 4, 6, 8, 10])
    }))

  test(name("Pool.map() keeps input order when tasks finish out of order"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      const delays = [120, 10, 80, 1, 40, 5]
      assertEquals(yield* pool.map(tasks.sleep, delays, { chunkSize: 1 }), delays)
    }))

  test(
    name("Pool.map() over 100,000 payloads batches them into a few hundred messages at most"),
    () =>
      Effect.gen(function* () {
        // The real host, wrapped: it counts the messages posted to the workers and received from them.
        const counts = { posted: 0, received: 0 }
        const real = isolation === "worker" ? threadHost : processHost()
        const host: HostFactory = (options) => {
          const inner = real({
            ...options,
            events: {
              ...options.events,
              onMessage: (message) => {
                counts.received++
                options.events.onMessage(message)
              },
            },
          })
          return {
            isolation: inner.isolation,
            settled: inner.settled,
            terminate: () => inner.terminate(),
            post: (message, transfer) => {
              counts.posted++
              inner.post(message, transfer)
            },
          }
        }
        const pool = yield* mp.Pool.make({ size: 2, host } as mp.Pool.PoolOptions)
        const xs = Array.from({ length: 100_000 }, (_, i) => i)
        const ys = yield* pool.map(tasks.double, xs)
        assertEquals(ys.length, xs.length)
        for (let i = 0; i < xs.length; i++) if (ys[i] !== 2 * i) throw new Error(`wrong result at ${i}`)
        const stats = yield* pool.stats
        assertEquals(stats.completed, 100_000)
        assert(counts.posted > 0 && counts.received > 0, JSON.stringify(counts))
        assert(counts.posted <= 300, `posted ${counts.posted} messages`)
        assert(counts.received <= 300, `received ${counts.received} messages`)
      }),
  )

  test(name("Pool.map() of an empty input is an empty array"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 1 })
      assertEquals(yield* pool.map(tasks.double, []), [])
    }))

  test(name("Pool.map() fails fast with the first typed error and interrupts the rest"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      const start = performance.now()
      const error = yield* Effect.flip(pool.map(tasks.doubleChecked, [1, 0, 3]))
      assertInstanceOf(error, tasks.ZeroInput)
      const slow = yield* Effect.flip(
        pool.map(tasks.sleep, [30_000, 30_000, -1], { chunkSize: 1 }).pipe(
          Effect.flatMap(() => pool.map(tasks.doubleChecked, [0])),
        ),
      ).pipe(Effect.timeout(100), Effect.exit)
      // the sleeping tasks were never going to finish in time; what matters is that the next map runs
      assert(Exit.isFailure(slow))
      assertEquals(yield* pool.map(tasks.double, [1, 2]), [2, 4])
      assert(performance.now() - start < 10_000)
    }))

  test(name("Pool.map() failing fast interrupts tasks still running in the workers"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2, interruptGrace: 200 })
      const error = yield* Effect.flip(
        pool.map(tasks.doubleChecked, [0, 1]).pipe(
          Effect.zip(pool.map(tasks.sleep, [60_000, 60_000], { chunkSize: 1 }), { concurrent: true }),
        ),
      )
      assertInstanceOf(error, tasks.ZeroInput)
      // both sleeps are interrupted in the workers (no worker is replaced for it)
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 0)))
      assertEquals((yield* pool.stats).workersReplaced, 0)
      assertEquals(yield* pool.apply(tasks.double, 4), 8)
    }))

  test(
    name("Pool.mapExit() keeps each task's own outcome: 1,000 tasks, every 100th fails with its typed fields"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 2 })
        const xs = Array.from({ length: 1000 }, (_, i) => i % 100 === 0 ? 0 : i)
        const exits = yield* pool.mapExit(tasks.doubleChecked, xs)
        assertEquals(exits.length, 1000)
        let failures = 0
        exits.forEach((exit, i) => {
          if (xs[i] === 0) {
            failures++
            assert(Exit.isFailure(exit))
            const e = Exit.findErrorOption(exit)
            assert(e._tag === "Some" && e.value instanceof tasks.ZeroInput && e.value.value === 0)
          } else assertEquals(exit, Exit.succeed(xs[i] * 2))
        })
        assertEquals(failures, 10)
      }),
  )

  test(name("Pool.mapExit() fails only the payload that does not fit the schema"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      const exits = yield* pool.mapExit(tasks.doubleChecked, [1, "x" as unknown as number, 3], { chunkSize: 3 })
      assertEquals(exits[0], Exit.succeed(2))
      const e = Exit.findErrorOption(exits[1])
      assert(e._tag === "Some" && e.value instanceof mp.SerializationError && e.value.stage === "encode-payload")
      assertEquals(exits[2], Exit.succeed(6))
    }))

  test(
    name("Pool.map() refused for a payload that does not fit the schema leaves nothing counted as queued"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        const payloads = [1, 2, 3, "x" as unknown as number, 5]
        const error = yield* Effect.flip(pool.map(tasks.doubleChecked, payloads, { chunkSize: 1 }))
        assert(error instanceof mp.SerializationError && error.stage === "encode-payload", String(error))
        // The chunks before the bad payload were never queued: none is counted, none runs.
        const stats = yield* pool.stats
        assertEquals([stats.queued, stats.running, stats.completed, stats.failed], [0, 0, 0, 0])
        assertEquals(yield* pool.map(tasks.double, [1, 2]), [2, 4])
        assertEquals((yield* pool.stats).queued, 0)
      }),
  )

  test(
    name("Pool.apply() returns the value or the typed error; RemoteException for a throw"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        assertEquals(yield* pool.apply(tasks.doubleChecked, 21), 42)
        assertInstanceOf(yield* Effect.flip(pool.apply(tasks.doubleChecked, 0)), tasks.ZeroInput)
        const remote = yield* Effect.flip(pool.apply(tasks.throws, "bad"))
        assertInstanceOf(remote, mp.RemoteException)
        assertEquals(remote.remoteMessage, "bad")
      }),
  )

  test(
    name("Pool.apply() of a result that cannot be cloned is a SerializationError for that task alone"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        const [bad, good] = yield* Effect.all([
          Effect.flip(pool.apply(tasks.returnsFunction, 1)),
          pool.apply(tasks.double, 2),
        ], { concurrency: "unbounded" })
        assertInstanceOf(bad, mp.SerializationError)
        assertEquals(good, 4)
      }),
  )

  test(name("Pool.submit() returns a Fiber at once; join is get, poll is ready"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      const fiber = yield* pool.submit(tasks.sleep, 100)
      assertEquals(fiber.pollUnsafe(), undefined)
      assertEquals(yield* Fiber.join(fiber), 100)
      assert(fiber.pollUnsafe() !== undefined)
      const failing = yield* pool.submit(tasks.doubleChecked, 0)
      assertInstanceOf(yield* Effect.flip(Fiber.join(failing)), tasks.ZeroInput)
    }))

  test(name("Pool.submit(): interrupting the fiber interrupts the remote task"), () =>
    Effect.gen(function* () {
      // A long grace: the task can only stop in time by being interrupted in the worker, not by a terminate.
      const pool = yield* make({ size: 1, interruptGrace: 30_000 })
      const fiber = yield* pool.submit(tasks.sleep, 60_000)
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 1)), 10_000)
      yield* Fiber.interrupt(fiber)
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.running === 0)), 10_000)
      assertEquals((yield* pool.stats).workersReplaced, 0)
      assertEquals(yield* pool.apply(tasks.double, 1), 2)
    }))

  test(name("Pool.starmap() runs tasks whose payload is a tuple"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      assertEquals(yield* pool.starmap(tasks.add, [[1, 2], [3, 4]]), [3, 7])
    }))

  test(name("Pool.imap() streams results in order; imapUnordered in completion order"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      const ordered = yield* Stream.runCollect(pool.imap(tasks.sleep, [150, 10, 60]))
      assertEquals(Array.from(ordered), [150, 10, 60])
      const unordered = yield* Stream.runCollect(pool.imapUnordered(tasks.sleep, [300, 10, 100]))
      assertEquals(Array.from(unordered), [10, 100, 300])
    }))

  test(
    name("Pool.imap() over a large lazy stream runs in bounded memory (it never pulls far ahead)"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 2 })
        let pulled = 0
        let maxAhead = 0
        let seen = 0
        const input = Stream.fromIterable({
          *[Symbol.iterator]() {
            for (let i = 0; i < 1_000_000_000; i++) {
              pulled++
              yield i
            }
          },
        })
        yield* pool.imap(tasks.double, input, { chunkSize: 100 }).pipe(
          Stream.take(20_000),
          Stream.runForEach((y) =>
            Effect.sync(() => {
              if (y !== seen * 2) throw new Error(`out of order at ${seen}`)
              seen++
              maxAhead = Math.max(maxAhead, pulled - seen)
            })
          ),
        )
        assertEquals(seen, 20_000)
        assert(maxAhead < 20_000, `imap pulled ${maxAhead} items ahead of the consumer`)
      }),
  )

  test(name("Pool.imap() fails the stream with the task's typed error"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2 })
      const error = yield* Effect.flip(Stream.runCollect(pool.imap(tasks.doubleChecked, [1, 2, 0, 4])))
      assertInstanceOf(error, tasks.ZeroInput)
    }))

  test(
    name("Pool: a worker that dies mid-map fails only its tasks under mapExit and is replaced"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 2 })
        const payloads: Array<number | "close"> = [1, 2, 3, "close", 5, 6, 7, 8]
        const exits = yield* pool.mapExit(tasks.exitOrDouble, payloads, { chunkSize: 1 })
        const crashedBy = new Set<number>()
        let crashed = 0
        exits.forEach((e, i) => {
          const err = Exit.findErrorOption(e)
          if (err._tag === "Some" && err.value instanceof mp.WorkerCrashed) {
            crashed++
            crashedBy.add(err.value.workerId)
          } else assertEquals(e, Exit.succeed((payloads[i] as number) * 2), JSON.stringify(exits))
        })
        // the closing task fails, and with it at most what the same worker held at that moment
        assert(Exit.isFailure(exits[3]), JSON.stringify(exits))
        assert(crashed >= 1 && crashed <= 2, JSON.stringify(exits))
        assertEquals(crashedBy.size, 1)
        const stats = yield* pool.stats
        assertEquals(stats.workersReplaced, 1)
        assertEquals(yield* pool.map(tasks.double, [1, 2, 3]), [2, 4, 6])
        assertEquals(stats.workersAlive, 2)
      }),
  )

  test(
    name("Pool: taskTimeout fails a slow task with TaskTimeout and the pool goes on"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1, taskTimeout: 100, interruptGrace: 100 })
        const error = yield* Effect.flip(pool.apply(tasks.sleep, 60_000))
        assertInstanceOf(error, mp.TaskTimeout)
        assertEquals(error.timeoutMs, 100)
        assertEquals(yield* pool.apply(tasks.double, 5), 10)
      }),
  )

  // Skipped for "process": checkpoint() in a child process only sees an interrupt once the
  // event loop runs, and this loop never yields, so the child is killed after interruptGrace
  // and replaced (pool_isolation_test.ts covers that path).
  test(
    name("Pool: a cooperative busy loop stops at its checkpoint when timed out; the worker is kept"),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1, taskTimeout: 100, interruptGrace: 2_000 })
        const before = yield* pool.apply(tasks.workerName, 0)
        assertInstanceOf(yield* Effect.flip(pool.apply(tasks.spinCooperative, 0)), mp.TaskTimeout)
        assertEquals(yield* pool.apply(tasks.workerName, 0), before)
        assertEquals((yield* pool.stats).workersReplaced, 0)
      }),
    { ignore: isolation === "process" },
  )

  test(name("Pool: maxTasksPerWorker recycles workers (seen through worker names)"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 1, maxTasksPerWorker: 2 })
      const names: Array<string> = []
      for (let i = 0; i < 6; i++) names.push(yield* pool.apply(tasks.workerName, i))
      assertEquals(new Set(names).size, 3)
      assertEquals(names[0], names[1])
      assertEquals(names[2], names[3])
    }))

  test(name("Pool: an initializer runs once in each worker before its tasks"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2, initializer: tasks.setGreeting, initializerPayload: "hi" })
      assertEquals(yield* pool.map(tasks.greet, ["a", "b", "c"], { chunkSize: 1 }), ["hi a", "hi b", "hi c"])
    }))

  test(name("Pool: an initializer that fails is reported as a typed error, not a spin"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2, initializer: tasks.throws, initializerPayload: "no setup" })
      const error = yield* Effect.flip(pool.apply(tasks.double, 1))
      assertInstanceOf(error, mp.WorkerCrashed)
      assert(error.reason.includes("initializer failed"), error.reason)
      assert(error.reason.includes("no setup"), error.reason)
      assertEquals((yield* pool.stats).workersAlive, 0)
    }))

  test(name("Pool: idleTimeout shrinks to zero workers and grows back on demand"), () =>
    Effect.gen(function* () {
      const pool = yield* make({ size: 2, idleTimeout: 300 })
      assertEquals(yield* pool.map(tasks.double, [1, 2]), [2, 4])
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersAlive === 0)), 10_000)
      assertEquals(mp.activeChildren().length, 0)
      // work arriving at an empty pool starts workers again (without them this map would never finish)
      assertEquals(yield* pool.map(tasks.double, [3, 4]), [6, 8])
      assertEquals((yield* pool.stats).completed, 4)
    }))

  test(
    name('Pool.close() finishes queued work, then work submitted after close fails with PoolClosed (reason "closed")'),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        const fiber = yield* pool.submit(tasks.sleep, 100)
        yield* pool.close
        assertEquals(yield* Fiber.join(fiber), 100)
        const closed = yield* Effect.flip(pool.apply(tasks.double, 1))
        assertInstanceOf(closed, mp.PoolClosed)
        assertEquals(closed.reason, "closed")
        assertEquals(mp.activeChildren().length, 0)
      }),
  )

  test(
    name('Pool.terminate() fails queued and running work with PoolClosed (reason "terminated") at once'),
    () =>
      Effect.gen(function* () {
        const pool = yield* make({ size: 1 })
        const running = yield* pool.submit(tasks.sleep, 60_000)
        const queued = yield* pool.submit(tasks.sleep, 60_000)
        yield* Effect.sleep(20)
        yield* pool.terminate
        for (const fiber of [running, queued]) {
          const error = yield* Effect.flip(Fiber.join(fiber))
          assertInstanceOf(error, mp.PoolClosed)
          assertEquals(error.reason, "terminated")
        }
        assertEquals(mp.activeChildren().length, 0)
      }),
  )

  test(name("Pool: closing its Scope with tasks queued and running leaves no worker"), () =>
    Effect.gen(function* () {
      yield* Effect.scoped(Effect.gen(function* () {
        const pool = yield* make({ size: 2 })
        for (let i = 0; i < 10; i++) yield* pool.submit(tasks.sleep, 60_000)
        yield* Effect.sleep(20)
      }))
      assertEquals(mp.activeChildren().length, 0)
    }))

  test(name("Pool.make() rejects bad options with InvalidArgument"), () =>
    Effect.gen(function* () {
      for (const options of [{ size: 0 }, { size: -1 }, { size: 1.5 }, { taskTimeout: -1 }, { maxTasksPerWorker: 0 }]) {
        const error = yield* Effect.flip(make(options))
        assertInstanceOf(error, mp.InvalidArgument)
      }
      const pool = yield* make({ size: 1 })
      assertInstanceOf(yield* Effect.flip(pool.map(tasks.double, [1], { chunkSize: 0 })), mp.InvalidArgument)
      assertInstanceOf(yield* Effect.flip(pool.apply({} as typeof tasks.double, 1)), mp.InvalidArgument)
    }))

  test(name("Pool.layer() provides the pool as a service"), () =>
    Effect.gen(function* () {
      const result = yield* Effect.gen(function* () {
        const pool = yield* mp.Pool.Service
        return yield* pool.map(tasks.double, [1, 2])
      }).pipe(Effect.provide(layer({ size: 1 })))
      assertEquals(result, [2, 4])
    }))
}
