/**
 * Shared objects whose user dies: a lock holder that dies while others are
 * already waiting, and a queue consumer that dies while blocked in `take`.
 * The promise: no waiter hangs, exactly one waiter learns of the abandoned
 * lock (`LockAbandoned`) and the others proceed normally, no queued item is
 * lost or delivered twice, and the pool serves afterwards.
 *
 * Covered elsewhere and not repeated: a dead holder and the *next* acquirer
 * (Process exit, terminate, pool worker): `tests/shared/lock_test.ts`; a
 * consumer that exits after `n` takes, or is terminated mid-stream:
 * `tests/ipc/queue_test.ts`.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { assert, assertEquals, assertInstanceOf, assertLess } from "@std/assert"
import * as mp from "../../mod.ts"
import * as faults from "../fixtures/fault_tasks.ts"
import * as ipcTasks from "../fixtures/ipc_tasks.ts"
import * as sharedTasks from "../fixtures/shared_tasks.ts"
import { lastJson, runChild } from "../support/child.ts"
import { errorOf, eventually, int32s, test, testAsync } from "../support/mod.ts"
import { serves } from "./_helpers.ts"

test(
  "A lock holder that dies while a fiber and another worker already wait: exactly one gets LockAbandoned, the other takes the lock; the pool serves",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 2 })
      yield* serves(pool)
      const lock = yield* mp.Lock.make()
      const held = yield* mp.Event.make()
      const data = int32s(1)
      const holder = yield* pool.submit(faults.holdLockThenExit, { lock, held })
      yield* held.wait
      // Both waiters are blocked before the holder dies.
      const inWorker = yield* pool.submit(sharedTasks.incrementUnderLock, { lock, data, n: 1 })
      const here = yield* Effect.forkChild(lock.withLock(Effect.sync(() => data[0]++)))
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersBusy === 2)))
      const start = performance.now()
      assertInstanceOf(yield* Effect.flip(Fiber.join(holder)), mp.WorkerCrashed)
      const exits = [yield* Fiber.await(inWorker), yield* Fiber.await(here)]
      assertLess(performance.now() - start, 3_000)
      const abandoned = exits.filter((e) => errorOf(e) instanceof mp.LockAbandoned)
      assertEquals(abandoned.length, 1, exits.map(String).join(", "))
      assertEquals(exits.filter(Exit.isSuccess).length, 1)
      assertEquals(data[0], 1) // the waiter that got LockAbandoned did not run its section
      assert(!(yield* lock.isLocked))
      yield* serves(pool)
      assertEquals((yield* pool.stats).workersReplaced, 1)
    }),
  { timeout: 30_000 },
)

test(
  "A queue consumer that dies blocked in take loses nothing: every item put afterwards reaches a live consumer exactly once",
  () =>
    Effect.gen(function* () {
      const n = 5_000
      const queue = yield* mp.Queue.make<number>({ capacity: 64 })
      const seen = int32s(n)
      const taken = int32s(1)
      // This consumer blocks on the empty queue, then is killed while waiting. It is killed once its task
      // runs (an event, not a sleep: on a loaded machine a worker may still be starting after 300 ms).
      const started = yield* mp.Event.make()
      const doomedTaken = int32s(1)
      const doomed = yield* mp.Process.spawn(faults.drainQueue, { queue, seen, taken: doomedTaken, started })
      yield* started.wait
      yield* doomed.terminate
      assertEquals(yield* doomed.isAlive, false)
      // A live consumer in a pool, and a producer that needs it (capacity 64 < n: backpressure).
      const pool = yield* mp.Pool.make({ size: 1 })
      const consumer = yield* pool.submit(faults.drainQueue, { queue, seen, taken })
      yield* queue.putAll(Array.from({ length: n }, (_, i) => i)).pipe(Effect.timeout(10_000))
      yield* queue.put(-1)
      assertEquals(yield* Fiber.join(consumer), n, `the terminated consumer took ${doomedTaken[0]}`)
      for (let i = 0; i < n; i++) if (seen[i] !== 1) throw new Error(`item ${i} arrived ${seen[i]} times`)
      assertEquals(yield* queue.size, 0)
      yield* serves(pool)
    }),
  { timeout: 60_000 },
)

test(
  "A pool worker that dies while consuming a queue mid-stream leaves the rest to the next consumer: none lost, none twice; the worker is replaced",
  () =>
    Effect.gen(function* () {
      const n = 2_000
      const queue = yield* mp.Queue.make<number>()
      yield* queue.putAll(Array.from({ length: n }, (_, i) => i))
      const seen = int32s(n)
      const pool = yield* mp.Pool.make({ size: 1 })
      // Takes 100 items, then the worker exits (Deno.exit(7)) while the queue still holds the rest.
      const crashed = yield* Effect.flip(pool.apply(ipcTasks.takeThenDie, { queue, n: 100, seen }))
      assertInstanceOf(crashed, mp.WorkerCrashed)
      assertEquals(crashed.exitCode, 7)
      const taken = int32s(1)
      yield* queue.put(-1)
      assertEquals(yield* pool.apply(faults.drainQueue, { queue, seen, taken }), n - 100)
      for (let i = 0; i < n; i++) if (seen[i] !== 1) throw new Error(`item ${i} arrived ${seen[i]} times`)
      assertEquals((yield* pool.stats).workersReplaced, 1)
      yield* serves(pool)
    }),
  { timeout: 30_000 },
)

testAsync(
  "A lock whose holder was terminated mid-task but still runs is never taken over: acquirers get LockAbandoned (may-still-run), no update is lost, the lock works again once it leaves (child process)",
  async () => {
    const result = await runChild(new URL("../fixtures/zombie_lock.ts", import.meta.url), ["3000"], 60_000)
    assert(!result.timedOut, `the child hung:\n${result.stderr}`)
    const r = lastJson<{
      zombieTimedOut: boolean
      insideSeen: boolean
      leftSeen: boolean
      successes: number
      after: number
      reasons: Record<string, number>
      final: number
    }>(result)
    const info = JSON.stringify(r)
    assert(r.zombieTimedOut && r.insideSeen && r.leftSeen, info)
    // While it ran, acquirers were refused with a typed error (never a hang, never a take-over).
    assert((r.reasons["LockAbandoned:may-still-run"] ?? 0) > 0, info)
    // Only increments that timed out themselves on a loaded machine have an unknown outcome.
    const unknown = r.reasons["TaskTimeout:undefined"] ?? 0
    for (const key of Object.keys(r.reasons)) {
      assert(key === "LockAbandoned:may-still-run" || key === "TaskTimeout:undefined", info)
    }
    // The old thread read 0 and wrote 1000 when it left: every successful increment is on top of it.
    assert(r.final >= r.successes + 1000 && r.final <= r.successes + 1000 + unknown, info)
    assertEquals(r.after, 10, "the lock works again once the old thread released it")
  },
  { timeout: 90_000 },
)
