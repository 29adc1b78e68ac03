/**
 * Pool control, item 5: worker-side finalizers (`context.addFinalizer`, usually
 * registered by the initializer) run when the pool ends a worker in an orderly
 * way (close, the end of its Scope, recycling, idle shrinking), within
 * `finalizerTimeout`; one that fails or hangs is logged and never stops the
 * pool's end; a worker that crashed does not run them. On both hosts.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { assert, assertEquals, assertInstanceOf } from "@std/assert"
import * as mp from "../../mod.ts"
import { badFinalizer, crash, echo, lazyOpen, type Mode, openMarker } from "../fixtures/finalizer_tasks.ts"
import type { Isolation } from "../support/isolation.ts"
import { errorOf, eventually, test } from "../support/mod.ts"
import { lastJson, runChild } from "../support/child.ts"

/** A fresh directory, removed with the test's Scope. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => Deno.makeTempDir({ prefix: "mp-finalizers-" })),
  (dir) => Effect.promise(() => Deno.remove(dir, { recursive: true })),
)

/** The contents of the files the finalizers wrote, one per finalized worker, sorted. */
const written = (dir: string): Effect.Effect<Array<string>> =>
  Effect.sync(() => Array.from(Deno.readDirSync(dir), (e) => Deno.readTextFileSync(`${dir}/${e.name}`)).sort())

/** A Logger that keeps the messages it receives at `level` (with their worker id annotation). */
const logged = (level: "Warn" | "Info" = "Warn") => {
  const messages: Array<string> = []
  const workers: Array<unknown> = []
  const logger = Logger.make((o) => {
    if (o.logLevel !== level) return
    messages.push((o.message as Array<unknown>).map(String).join(" "))
    workers.push(o.fiber.getRef(References.CurrentLogAnnotations)["mp.worker.id"])
  })
  return { messages, workers, layer: Logger.layer([logger]) }
}
const warnings = () => logged("Warn")

const marker = (dir: string, mode: Mode, isolation: Isolation, more: mp.Pool.PoolOptions = {}) =>
  mp.Pool.make({ size: 2, isolation, initializer: openMarker, initializerPayload: { dir, mode }, ...more })

for (const isolation of ["worker", "process"] as ReadonlyArray<Isolation>) {
  test(
    `Pool: close runs every worker's finalizers, last registered first, before it returns [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const log = logged("Info")
        const pool = yield* marker(dir, "ok", isolation).pipe(Effect.provide(log.layer))
        yield* pool.ready
        assertEquals(yield* pool.map(echo, [1, 2, 3]), [1, 2, 3])
        assertEquals(yield* written(dir), [])
        yield* pool.close
        // Two workers; in each the Effect finalizer (registered second) ran before the function.
        assertEquals(yield* written(dir), ["ba", "ba"])
        // What the Effect finalizers logged went through the Logger of the pool's maker, annotated with the worker.
        assertEquals(log.messages, ["finalized", "finalized"])
        assertEquals(new Set(log.workers).size, 2)
        for (const id of log.workers) assertEquals(typeof id, "number")
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: the end of the pool's Scope runs the finalizers of its idle workers [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        yield* Effect.scoped(Effect.gen(function* () {
          const pool = yield* marker(dir, "ok", isolation)
          yield* pool.ready
        }))
        assertEquals(yield* written(dir), ["ba", "ba"])
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: a worker recycled after maxTasksPerWorker runs its finalizers [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const pool = yield* marker(dir, "ok", isolation, { size: 1, maxTasksPerWorker: 1 })
        assertEquals(yield* pool.map(echo, [1, 2, 3], { chunkSize: 1 }), [1, 2, 3])
        // Three workers ran one task each and were recycled; the fourth waits, idle.
        yield* eventually(Effect.map(written(dir), (w) => w.length === 3), 15_000)
        yield* pool.ready // the fourth ran its initializer (a worker still starting is terminated, not finalized)
        yield* pool.close
        assertEquals(yield* written(dir), ["ba", "ba", "ba", "ba"])
      }),
    { timeout: 40_000 },
  )

  test(`Pool: a worker that idles out (idleTimeout) runs its finalizers [${isolation}]`, () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const pool = yield* marker(dir, "ok", isolation, { size: undefined, minSize: 0, maxSize: 1, idleTimeout: 200 })
      assertEquals(yield* pool.apply(echo, 7), 7)
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersAlive === 0)), 15_000)
      assertEquals(yield* written(dir), ["ba"])
    }), { timeout: 30_000 })

  test(`Pool: a worker retired by resize runs its finalizers [${isolation}]`, () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const pool = yield* marker(dir, "ok", isolation)
      yield* pool.ready
      yield* pool.resize(1)
      yield* eventually(pool.stats.pipe(Effect.map((s) => s.workersAlive === 1)), 15_000)
      assertEquals(yield* written(dir), ["ba"])
      yield* pool.close
      assertEquals(yield* written(dir), ["ba", "ba"])
    }), { timeout: 30_000 })

  test(
    `Pool: a task may register a finalizer too (a resource opened on first use) [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const pool = yield* mp.Pool.make({ size: 1, isolation })
        assertEquals(yield* pool.map(lazyOpen, [dir, dir, dir]), [1, 1, 1])
        yield* pool.close
        assertEquals(yield* written(dir), ["lazy"])
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: a finalizer that never ends is cut at finalizerTimeout, logged, and close returns [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const log = warnings()
        const pool = yield* marker(dir, "hang", isolation, { finalizerTimeout: 300 }).pipe(Effect.provide(log.layer))
        yield* pool.ready
        const started = performance.now()
        yield* pool.close
        const ms = performance.now() - started
        assert(ms >= 250, `close returned after ${ms} ms, before the deadline`)
        assert(ms < 10_000, `close took ${ms} ms`)
        // The hanging finalizer ran first, so the other one never did.
        assertEquals(yield* written(dir), [])
        assertEquals(log.messages.length, 2, JSON.stringify(log.messages))
        for (const m of log.messages) assert(m.includes("did not finish within finalizerTimeout (300 ms)"), m)
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: a finalizer that throws is logged, the others still run, and close completes [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const log = warnings()
        const pool = yield* marker(dir, "throw", isolation).pipe(Effect.provide(log.layer))
        yield* pool.ready
        yield* pool.close
        assertEquals(yield* written(dir), ["a", "a"])
        assertEquals(log.messages.length, 2, JSON.stringify(log.messages))
        for (const m of log.messages) assert(m.includes("finalizer boom"), m)
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: a worker that crashed does not run its finalizers; its replacement does [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const pool = yield* marker(dir, "ok", isolation, { size: 1 })
        const error = errorOf(yield* Effect.exit(pool.apply(crash)))
        assertInstanceOf(error, mp.WorkerCrashed)
        assertEquals(yield* pool.apply(echo, 1), 1)
        assertEquals(yield* written(dir), [])
        yield* pool.close
        assertEquals(yield* written(dir), ["ba"])
      }),
    { timeout: 30_000 },
  )

  test(
    `Pool: finalizerTimeout 0 ends workers without running their finalizers [${isolation}]`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const pool = yield* marker(dir, "ok", isolation, { finalizerTimeout: 0 })
        yield* pool.ready
        yield* pool.close
        assertEquals(yield* written(dir), [])
      }),
    { timeout: 30_000 },
  )
}

test(
  "Pool: a finalizer stuck in a synchronous loop is killed at finalizerTimeout [process]",
  () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const log = warnings()
      const pool = yield* marker(dir, "spin", "process", { size: 1, finalizerTimeout: 300 }).pipe(
        Effect.provide(log.layer),
      )
      yield* pool.ready
      yield* pool.close
      assertEquals(yield* written(dir), [])
      assertEquals(log.messages.length, 1, JSON.stringify(log.messages))
    }),
  { timeout: 30_000 },
)

test(
  "Pool: a finalizer stuck in a synchronous loop on a Worker thread: close returns at finalizerTimeout, the thread is warned about [worker]",
  () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const child = yield* Effect.promise(() =>
        runChild(new URL("../fixtures/finalizer_spin_child.ts", import.meta.url), [dir], 30_000)
      )
      assert(!child.timedOut, child.stderr)
      const result = lastJson<{ closeMs: number; stuckThreads: number; children: number }>(child)
      assert(result.closeMs < 10_000, `close took ${result.closeMs} ms`)
      assertEquals(result.children, 0)
      assert(child.stderr.includes("still running task (a finalizer)"), child.stderr)
      assertEquals(result.stuckThreads, 1)
      // Logged through the default Logger.
      assert(child.stdout.includes("did not finish within finalizerTimeout (300 ms)"), child.stdout)
    }),
  { timeout: 40_000 },
)

test("Pool.make: finalizerTimeout must be a non-negative duration (InvalidArgument)", () =>
  Effect.gen(function* () {
    for (const bad of [-1, Number.NaN, "soon"]) {
      const exit = yield* Effect.exit(mp.Pool.make({ size: 1, finalizerTimeout: bad as never }))
      assert(Exit.isFailure(exit))
      const error = errorOf(exit)
      assertInstanceOf(error, mp.InvalidArgument)
      assertEquals(error.argument, "finalizerTimeout")
    }
  }))

test("addFinalizer refuses what is neither a function nor an Effect", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    const error = errorOf(yield* Effect.exit(pool.apply(badFinalizer)))
    assertInstanceOf(error, mp.RemoteException)
    assert(error.remoteMessage.includes("'finalizer' must be a function or an Effect"), error.remoteMessage)
  }))

test("Pool.layerInline: finalizers run in the calling thread when the pool ends", () =>
  Effect.gen(function* () {
    const dir = yield* tempDir
    yield* Effect.scoped(
      Effect.gen(function* () {
        const pool = yield* mp.Pool.Service
        assertEquals(yield* pool.apply(lazyOpen, dir), 1)
      }).pipe(Effect.provide(mp.Pool.layerInline({ size: 1 }))),
    )
    assertEquals(yield* written(dir), ["lazy"])
  }))
