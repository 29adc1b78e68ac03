/**
 * `@mp/multiprocessing/cluster` end to end: a throwaway PostgreSQL on
 * 127.0.0.1, four runner processes (`src/cluster/runner_cli.ts`, one worker
 * each), and a client `Cluster.pool` in the test process. Skipped, with the
 * command that installs it, where PostgreSQL is missing.
 */
import { assert, assertEquals } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Schema from "effect/Schema"
import * as mp from "@mp/multiprocessing"
import { Cluster, ClusterUnavailable, ModuleMismatch, NoRunners } from "@mp/multiprocessing/cluster"
import { PoolClosed, RemoteException, SerializationError, TaskTimeout } from "../../src/errors.ts"
import type { Pool } from "../../src/pool/Pool.ts"
import {
  add,
  bigResult,
  boom,
  echo,
  mirror,
  nap,
  napSquareBut137,
  napThenWrite,
  OffGrid,
  Point,
  sharedResult,
  square,
  squareBut137,
  squareWhere,
} from "../fixtures/cluster_tasks.ts"
import { errorOf } from "../support/mod.ts"
import { freePort, postgres, postgresMissing } from "../support/postgres.ts"
import { healthCheckerPid, psql, runnerExits, type RunnerProcess, startRunner, stopRunner } from "../support/runners.ts"

if (postgresMissing !== undefined) console.warn(`tests/cluster skipped: ${postgresMissing}`)
const ignore = postgresMissing !== undefined

/** Runs an Effect test body in a fresh Scope with a deadline. */
const run = (body: Effect.Effect<void, unknown, Scope.Scope>, timeoutMs: number): Promise<void> =>
  Effect.runPromise(
    Effect.scoped(body).pipe(
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () => Effect.die(new Error(`did not finish within ${timeoutMs} ms`)),
      }),
    ),
  )

const isGone = (pid: number): boolean => {
  try {
    Deno.kill(pid, "SIGCONT") // signal 0 is not offered: SIGCONT is harmless to a live process
    return false
  } catch {
    return true
  }
}

Deno.test({
  name: "Cluster.pool with no runner alive fails with NoRunners after runnerTimeout instead of waiting forever",
  ignore,
  fn: () =>
    run(
      Effect.gen(function* () {
        const pg = yield* postgres
        const pool = yield* Cluster.pool({ url: pg.url, taskTimeout: "30 seconds", runnerTimeout: "1 second" })
        const started = performance.now()
        const exit = yield* Effect.exit(pool.apply(square, 3))
        const error = errorOf(exit)
        assert(error instanceof NoRunners, `expected NoRunners, got ${exit}`)
        assert(error.message.includes("deno task runner"), error.message)
        assert(mp.isPoolError(error) && Schema.is(mp.Pool.PoolError)(error), "NoRunners is a PoolError")
        assert(performance.now() - started < 20_000)
      }),
      60_000,
    ),
})

Deno.test({
  name: "Cluster.pool fails with ClusterUnavailable, not a defect, when its PostgreSQL cannot be reached",
  fn: () =>
    run(
      Effect.gen(function* () {
        const url = `postgres://postgres:secret@127.0.0.1:${freePort()}/postgres` // nothing listens there
        const error = errorOf(yield* Effect.exit(Cluster.pool({ url, taskTimeout: "5 seconds" })))
        assert(error instanceof ClusterUnavailable, `got ${error}`)
        assert(!error.message.includes("secret"), error.message)
      }),
      30_000,
    ),
})

Deno.test({
  name: "Cluster.pool refuses a missing taskTimeout, an endless runnerTimeout and unknown keys with InvalidArgument",
  fn: () =>
    run(
      Effect.gen(function* () {
        const url = "postgres://nobody@127.0.0.1:1/x"
        const argumentOf = (options: unknown) =>
          Effect.map(
            Effect.exit(Cluster.pool(options as Cluster.ClusterPoolOptions)),
            (exit) => (errorOf(exit) as { argument?: string } | undefined)?.argument,
          )
        assertEquals(yield* argumentOf({ url }), "taskTimeout")
        assertEquals(yield* argumentOf({ url, taskTimeout: "1 minute", runnerTimeout: Infinity }), "runnerTimeout")
        assertEquals(yield* argumentOf({ url, taskTimeout: "1 minute", runnerTimeout: 0 }), "runnerTimeout")
        assertEquals(
          yield* argumentOf({ url, taskTimeout: "1 minute", runerTimeout: "1 second" }),
          "options.runerTimeout",
        )
      }),
      10_000,
    ),
})

Deno.test({
  name: "Cluster.pool runs the same Tasks and Pool methods on four runner processes",
  ignore,
  sanitizeOps: true,
  sanitizeResources: true,
  fn: (t) =>
    run(
      Effect.gen(function* () {
        const pg = yield* postgres
        const runners: Array<RunnerProcess> = yield* Effect.all(
          [startRunner(pg.url), startRunner(pg.url), startRunner(pg.url), startRunner(pg.url, { workers: 2 })],
          { concurrency: "unbounded" },
        )
        const pool: Pool = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
        const step = (name: string, body: Effect.Effect<void, unknown, Scope.Scope>) =>
          Effect.promise(() => t.step(name, () => run(body, 90_000)))

        yield* step(
          "map returns results in input order, its chunks spread over the runners",
          Effect.gen(function* () {
            const input = Array.from({ length: 60 }, (_, i) => i)
            const out = yield* pool.map(squareWhere, input, { chunkSize: 2 })
            assertEquals(out.map((r) => r.n), input.map((n) => n * n))
            const pids = new Set(out.map((r) => r.pid))
            assert(pids.size >= 2, `only runner(s) ${[...pids]} ran chunks`)
            for (const pid of pids) assert(runners.some((r) => r.pid === pid), `pid ${pid} is not a runner`)
          }),
        )

        yield* step(
          "a runner's share of the shards is weighted by its workers (it registers its worker count as its weight)",
          Effect.sync(() => {
            const weightOf = (r: RunnerProcess) =>
              JSON.parse(psql(pg.port, `SELECT runner FROM cluster_runners WHERE address = '127.0.0.1:${r.port}'`))
                .weight
            assertEquals(runners.map(weightOf), [1, 1, 1, 2])
          }),
        )

        yield* step(
          "chunks go to runners with a free worker, like a pool: each runs as many at once as it has workers",
          Effect.gen(function* () {
            // 10 chunks on runners of 1, 1, 1 and 2 workers: five run at once (one per worker), and each of the
            // other five waits at the caller for the worker that frees. Hashing ids to shards spread them at random.
            let busiest = 0
            let queued = 0
            const sampler = yield* Effect.forkChild(Effect.forever(Effect.gen(function* () {
              const s = yield* pool.stats
              busiest = Math.max(busiest, s.workersBusy)
              queued = Math.max(queued, s.queued)
              yield* Effect.sleep(20)
            })))
            const out = yield* pool.map(nap, Array.from({ length: 10 }, () => 400), { chunkSize: 1 })
            yield* Fiber.interrupt(sampler)
            const ran = runners.map((r) => out.filter(([, pid]) => pid === r.pid).length)
            assertEquals(ran, [2, 2, 2, 4], `chunks per runner (workers 1, 1, 1, 2)`)
            assertEquals(busiest, 5, "chunks running at once, as the caller counts them")
            assert(queued > 0, "no chunk waited at the caller")
          }),
        )

        yield* step(
          "a runner whose port is taken exits 1 with one line saying so",
          Effect.gen(function* () {
            const taken = runners[0].port
            const { code, output } = yield* Effect.promise(() =>
              runnerExits(["--url", pg.url, "--host", "127.0.0.1", "--port", String(taken)])
            )
            assertEquals(code, 1, output)
            assert(output.includes(`cannot listen on 127.0.0.1:${taken}`) && !output.includes("    at "), output)
          }),
        )

        yield* step(
          "apply carries Date, Map and bigint unchanged (node:v8 bytes); round trip measured",
          Effect.gen(function* () {
            const value = {
              at: new Date(1_000),
              table: new Map([["a", 1]]),
              big: 2n ** 70n,
              bytes: new Uint8Array([1, 2]),
            }
            assertEquals(yield* pool.apply(echo, value), value)
            const times: Array<number> = []
            for (let i = 0; i < 20; i++) {
              const started = performance.now()
              assertEquals(yield* pool.apply(square, i), i * i)
              times.push(performance.now() - started)
            }
            times.sort((a, b) => a - b)
            console.log(`cluster apply round trip: median ${times[10].toFixed(1)} ms`)
          }),
        )

        yield* step(
          "a task's schemas carry its payload, success and typed failure across machines as their classes",
          Effect.gen(function* () {
            const mirrored = yield* pool.apply(mirror, new Point({ x: 3, y: 4 }))
            assert(mirrored instanceof Point, `got ${mirrored}`)
            assertEquals([mirrored.x, mirrored.y, mirrored.norm], [4, 3, 5])
            const error = errorOf(yield* Effect.exit(pool.apply(mirror, new Point({ x: -1, y: 0 }))))
            assert(error instanceof OffGrid, `got ${error}`)
            assertEquals(error.x, -1)
          }),
        )

        yield* step(
          "a task that throws fails at once with RemoteException, not retried",
          Effect.gen(function* () {
            const started = performance.now()
            const exit = yield* Effect.exit(pool.apply(boom, "no good"))
            const error = errorOf(exit)
            assert(error instanceof RemoteException, `expected RemoteException, got ${exit}`)
            assertEquals(error.remoteName, "TypeError")
            assertEquals(error.remoteMessage, "no good")
            assert(performance.now() - started < 30_000)
            const mapped = yield* Effect.exit(pool.map(boom, ["a", "b"]))
            assert(errorOf(mapped) instanceof RemoteException)
          }),
        )

        yield* step(
          "separate calls made all at once (forEach of apply, submit) travel in shared chunks, each with its own result",
          Effect.gen(function* () {
            const input = Array.from({ length: 2_000 }, (_, i) => i)
            const started = performance.now()
            const exits = yield* Effect.forEach(
              input,
              (n) => Effect.exit(n % 500 === 7 ? pool.apply(boom, `bad ${n}`) : pool.apply(square, n)),
              { concurrency: "unbounded" },
            )
            exits.forEach((exit, n) => {
              if (n % 500 === 7) {
                const error = errorOf(exit)
                assert(error instanceof RemoteException && error.remoteMessage === `bad ${n}`, `call ${n}: ${exit}`)
              } else assertEquals(exit, Exit.succeed(n * n), `call ${n}`)
            })
            // Calls that fit a message alone still cross when together they would not (60 × 1 MiB, limit 48 MiB).
            const large = yield* Effect.forEach(
              Array.from({ length: 60 }, (_, i) => new Uint8Array(1024 * 1024).fill(i)),
              (bytes) => pool.apply(echo, bytes),
              { concurrency: "unbounded" },
            )
            large.forEach((bytes, i) =>
              assert(bytes instanceof Uint8Array && bytes[0] === i && bytes.length === 1 << 20)
            )
            // imap with no chunkSize sends items one by one, and those that wait travel together: order kept, and a
            // failing item fails the stream after every result before it.
            assertEquals(Array.from(yield* Stream.runCollect(pool.imap(square, input))), input.map((n) => n * n))
            // Item 137 fails at once while the items before it still run: the stream still gives those first.
            for (
              const [task, chunkSize] of [[squareBut137, undefined], [napSquareBut137, undefined], [
                napSquareBut137,
                1,
              ]] as const
            ) {
              const upTo137: Array<number> = []
              const failed = yield* Effect.exit(
                pool.imap(
                  task as typeof squareBut137,
                  input.slice(0, 200),
                  chunkSize === undefined ? undefined : { chunkSize },
                ).pipe(
                  Stream.runForEach((y) => Effect.sync(() => upTo137.push(y))),
                ),
              )
              assert(errorOf(failed) instanceof RemoteException, `got ${failed}`)
              assertEquals(upTo137, input.slice(0, 137).map((n) => n * n), `${task.name}, chunkSize ${chunkSize}`)
            }
            const streamed = Array.from(yield* Stream.runCollect(pool.imapExit(squareBut137, input.slice(0, 300))))
            assertEquals(streamed.filter(Exit.isFailure).length, 1)
            const fibers = yield* Effect.forEach(input.slice(0, 500), (n) => pool.submit(square, n))
            assertEquals(yield* Fiber.joinAll(fibers), input.slice(0, 500).map((n) => n * n))
            console.log(`cluster: 2,000 separate calls at once in ${(performance.now() - started).toFixed(0)} ms`)
          }),
        )

        yield* step(
          "mapExit, starmap, imap, imapUnordered and submit work as on a local pool",
          Effect.gen(function* () {
            const exits = yield* pool.mapExit(boom, ["x"])
            assert(Exit.isFailure(exits[0]))
            const mixed = yield* pool.mapExit(square, [1, 2, 3])
            assertEquals(mixed.map((e) => Exit.isSuccess(e) ? e.value : undefined), [1, 4, 9])
            assertEquals(yield* pool.starmap(add, [[1, 2], [3, 4]]), [3, 7])
            const ordered = yield* Stream.runCollect(pool.imap(square, [1, 2, 3, 4], { chunkSize: 2 }))
            assertEquals(Array.from(ordered), [1, 4, 9, 16])
            const unordered = yield* Stream.runCollect(pool.imapUnordered(square, Stream.make(5, 6, 7)))
            assertEquals(Array.from(unordered).sort((a, b) => a - b), [25, 36, 49])
            const fiber = yield* pool.submit(square, 12)
            assertEquals(yield* Fiber.join(fiber), 144)
            const stats = yield* pool.stats
            assert(stats.workersAlive >= 1 && stats.completed > 0, JSON.stringify(stats))
          }),
        )

        yield* step(
          "per-call options: timeout replaces taskTimeout, a key keeps calls on one runner, priority and onProgress work",
          Effect.gen(function* () {
            const late = errorOf(yield* Effect.exit(pool.apply(nap, 3_000, { timeout: "300 millis" })))
            assert(late instanceof TaskTimeout && late.limit === "timeout", `got ${late}`)
            const mapped = errorOf(yield* Effect.exit(pool.map(nap, [3_000], { timeout: "300 millis" })))
            assert(mapped instanceof TaskTimeout && mapped.limit === "timeout", `got ${mapped}`)
            const pids = new Set<number>()
            for (let i = 0; i < 8; i++) {
              pids.add((yield* pool.apply(squareWhere, i, { key: "tenant-a", priority: 5 })).pid)
            }
            assertEquals(pids.size, 1, `a key's calls ran on runners ${[...pids]}`)
            const seen: Array<[number, number]> = []
            const out = yield* pool.map(square, [1, 2, 3, 4, 5], {
              chunkSize: 2,
              priority: -1,
              onProgress: (done, total) => Effect.sync(() => seen.push([done, total])),
            })
            assertEquals(out, [1, 4, 9, 16, 25])
            assertEquals(seen.at(-1), [5, 5])
            const bad = errorOf(yield* Effect.exit(pool.apply(square, 1, { timeout: "1 second", wait: 1 } as never)))
            assertEquals((bad as { argument?: string }).argument, "options.wait")
            const badKey = errorOf(yield* Effect.exit(pool.apply(square, 1, { key: 7 } as never)))
            assertEquals((badKey as { argument?: string }).argument, "key")
          }),
        )

        yield* step(
          "a runner that loaded other code from the task's module URL fails the call with ModuleMismatch, not running it",
          Effect.gen(function* () {
            const dir = yield* Effect.acquireRelease(
              Effect.promise(() => Deno.makeTempDir({ prefix: "mp-cluster-module-" })),
              (path) => Effect.promise(() => Deno.remove(path, { recursive: true })),
            )
            const url = new URL(`file://${dir}/versioned.ts`).href
            const source = (version: string) =>
              `import * as mp from "${new URL("../../mod.ts", import.meta.url).href}"\n` +
              `export const version = mp.Task.make(import.meta.url, "version", {\n` +
              `  handler: (ms: number) => new Promise((resolve) => setTimeout(() => resolve("${version}"), ms)),\n})\n`
            yield* Effect.promise(() => Deno.writeTextFile(`${dir}/versioned.ts`, source("v1")))
            const { version } = yield* Effect.promise(() => import(url))
            // Every runner loads v1 (five chunks at once fill the four runners' five workers).
            const first = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
            assertEquals(yield* first.map(version, [300, 300, 300, 300, 300], { chunkSize: 1 }), Array(5).fill("v1"))
            // The code changes where the caller runs; the runners keep v1.
            yield* Effect.promise(() => Deno.writeTextFile(`${dir}/versioned.ts`, source("v2")))
            const redeployed = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
            const error = errorOf(yield* Effect.exit(redeployed.apply(version, 1)))
            assert(error instanceof ModuleMismatch, `expected ModuleMismatch, got ${error}`)
            assertEquals([error.moduleUrl, error.taskName], [url, "version"])
            assert(error.callerHash !== error.runnerHash && error.callerHash.length === 64, JSON.stringify(error))
            assert(runners.some((r) => error.runner === `127.0.0.1:${r.port}`), `runner ${error.runner}`)
            assert(mp.isPoolError(error) && error.message.includes("deploy the same code"), error.message)
          }),
        )

        yield* step(
          "resize, broadcast and applyWithEvents are refused with InvalidArgument naming them",
          Effect.gen(function* () {
            const argumentOf = (e: unknown) => (e as { argument?: string } | undefined)?.argument
            assertEquals(argumentOf(errorOf(yield* Effect.exit(pool.resize(2)))), "resize")
            assertEquals(argumentOf(errorOf(yield* Effect.exit(pool.broadcast(square, 1)))), "broadcast")
            const { result } = yield* pool.applyWithEvents(square as never, 1)
            assertEquals(argumentOf(errorOf(yield* Effect.exit(result))), "applyWithEvents")
          }),
        )

        yield* step(
          "a payload that cannot cross (a function, a chunk over the frame limit, shared memory) fails with SerializationError",
          Effect.gen(function* () {
            const fn = errorOf(yield* Effect.exit(pool.apply(echo, () => 1)))
            assert(fn instanceof SerializationError && fn.stage === "encode-payload", `got ${fn}`)
            const big = errorOf(yield* Effect.exit(pool.apply(echo, new Uint8Array(40 * 1024 * 1024))))
            assert(big instanceof SerializationError && big.message.includes("chunkSize"), `got ${big}`)
            // Shared memory never arrives as a silent copy: v8 would copy a view of a SharedArrayBuffer.
            const shared = [
              new SharedArrayBuffer(8),
              new Int32Array(new SharedArrayBuffer(8)),
              { nested: [new Float64Array(new SharedArrayBuffer(8))] },
              yield* mp.Value.make("i", 0),
              yield* mp.RawArray.make("d", 4),
              yield* mp.Lock.make(),
              yield* mp.Queue.make<number>(),
            ]
            for (const value of shared) {
              const error = errorOf(yield* Effect.exit(pool.apply(echo, value)))
              assert(
                error instanceof SerializationError && error.stage === "encode-payload" &&
                  error.message.includes("shared memory"),
                `${Object.prototype.toString.call(value)} crossed: ${error}`,
              )
            }
            const large = errorOf(yield* Effect.exit(pool.apply(bigResult, 40)))
            assert(large instanceof SerializationError && large.stage === "encode-result", `got ${large}`)
            assertEquals((yield* pool.apply(bigResult, 1)).length, 1024 * 1024, "a result under the limit crosses")
            const back = errorOf(yield* Effect.exit(pool.apply(sharedResult, 2)))
            assert(
              back instanceof SerializationError && back.stage === "encode-result" &&
                back.message.includes("shared memory"),
              `got ${back}`,
            )
          }),
        )

        yield* step(
          "a chunk slower than taskTimeout fails with TaskTimeout",
          Effect.gen(function* () {
            const short = yield* Cluster.pool({ url: pg.url, taskTimeout: "1 second" })
            const error = errorOf(yield* Effect.exit(short.apply(nap, 4_000)))
            assert(error instanceof TaskTimeout, `expected TaskTimeout, got ${error}`)
          }),
        )

        yield* step(
          "interrupting a call stops its chunk on the runner",
          Effect.gen(function* () {
            const path = yield* Effect.promise(() => Deno.makeTempFile({ prefix: "mp-cluster-" }))
            yield* Effect.promise(() => Deno.remove(path))
            const exit = yield* Effect.exit(pool.apply(napThenWrite, { ms: 1_500, path }).pipe(Effect.timeout(300)))
            assert(Exit.isFailure(exit))
            // Absence can only be seen by waiting: twice the task's own time.
            yield* Effect.sleep(3_000)
            const ran = yield* Effect.promise(() => Deno.stat(path).then(() => true, () => false))
            assert(!ran, "the interrupted task went on running on the runner")
          }),
        )

        yield* step(
          "a runner joining mid-batch takes shards without interrupting or losing the calls running (direct delivery)",
          Effect.gen(function* () {
            const batch = yield* pool.imapUnordered(nap, Array.from({ length: 80 }, () => 250)).pipe(
              Stream.runCollect,
              Effect.forkChild,
            )
            const joined = yield* startRunner(pg.url)
            runners.push(joined)
            assertEquals((yield* Fiber.join(batch)).length, 80)
            // The newcomer gets work once it owns shards.
            const deadline = performance.now() + 30_000
            let ran = false
            while (!ran) {
              assert(performance.now() < deadline, "the runner that joined never ran a chunk")
              const out = yield* pool.map(squareWhere, Array.from({ length: 20 }, (_, i) => i), { chunkSize: 1 })
              ran = out.some((r) => r.pid === joined.pid)
            }
          }),
        )

        yield* step(
          "with delivery direct (never stored), a runner SIGKILLed mid-batch loses nothing either",
          Effect.gen(function* () {
            const direct = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds", delivery: "direct" })
            const times: Array<number> = []
            for (let i = 0; i < 20; i++) {
              const started = performance.now()
              assertEquals(yield* direct.apply(square, i), i * i)
              times.push(performance.now() - started)
            }
            times.sort((a, b) => a - b)
            console.log(`cluster apply round trip, direct: median ${times[10].toFixed(1)} ms`)
            const aliveBefore = (yield* direct.stats).workersAlive
            let victim: RunnerProcess | undefined
            let killedAt = 0
            const results = yield* direct.imapUnordered(nap, Array.from({ length: 24 }, () => 300)).pipe(
              Stream.tap(([, pid]) =>
                Effect.sync(() => {
                  if (victim !== undefined) return
                  victim = runners.find((r) => r.pid === pid)
                  victim?.kill("SIGKILL")
                  killedAt = performance.now()
                })
              ),
              Stream.runCollect,
            )
            assert(victim !== undefined)
            assertEquals(results.length, 24)
            const recoveredIn = performance.now() - killedAt
            console.log(`cluster recovery, direct: ${(recoveredIn / 1000).toFixed(1)} s`)
            // ~1–2 s here; the bound leaves room for a loaded machine, and is below the 10 s lock expiry.
            assert(recoveredIn < 8_000, `recovery took ${recoveredIn} ms`)
            yield* Effect.promise(() => victim!.exited)
            // The others' health checks mark it dead: an event to wait for, not a fixed sleep.
            const deadline = performance.now() + 45_000
            while ((yield* direct.stats).workersAlive >= aliveBefore) {
              assert(performance.now() < deadline, "the dead runner was never marked unhealthy")
              yield* Effect.sleep(200)
            }
          }),
        )

        yield* step(
          "with delivery stored, SIGKILLing the runner that runs the health check loses nothing, recovered within 8 s",
          Effect.gen(function* () {
            const stored = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds", delivery: "stored" })
            const checker = runners.find((r) => r.pid === healthCheckerPid(pg.port))
            assert(checker !== undefined && !isGone(checker.pid), "no live runner holds the health check")
            const input = Array.from({ length: 12 }, () => 300)
            let killedAt = 0
            const results = yield* stored.imapUnordered(nap, input).pipe(
              Stream.tap(() =>
                Effect.sync(() => {
                  if (killedAt > 0) return
                  checker.kill("SIGKILL")
                  killedAt = performance.now()
                })
              ),
              Stream.runCollect,
            )
            const recoveredIn = performance.now() - killedAt
            assertEquals(results.length, input.length)
            console.log(`cluster recovery, health-check runner: ${(recoveredIn / 1000).toFixed(1)} s after the SIGKILL`)
            // The lock expiry (10 s) bounded it before each runner watched its neighbour; ~1–2 s now.
            assert(recoveredIn < 8_000, `recovery took ${recoveredIn} ms`)
            yield* Effect.promise(() => checker.exited)
          }),
        )

        yield* step(
          "SIGTERM mid-batch stops a runner gracefully and loses nothing; the others take over its shards",
          Effect.gen(function* () {
            const live = runners.filter((r) => !isGone(r.pid))
            assert(live.length >= 2)
            const input = Array.from({ length: 16 }, () => 300)
            let stopping: Promise<{ readonly killed: boolean }> | undefined
            const results = yield* pool.imapUnordered(nap, input).pipe(
              Stream.tap(([, pid]) =>
                Effect.sync(() => {
                  const victim = live.find((r) => r.pid === pid)
                  if (stopping === undefined && victim !== undefined) stopping = stopRunner(victim)
                })
              ),
              Stream.runCollect,
            )
            assertEquals(results.length, input.length)
            assert(stopping !== undefined)
            const { killed } = yield* Effect.promise(() => stopping!)
            assert(!killed, "the runner did not exit within 20 s of SIGTERM")
            assertEquals(yield* pool.map(square, [1, 2, 3, 4, 5, 6]), [1, 4, 9, 16, 25, 36])
          }),
        )

        yield* step(
          "terminate fails running calls with PoolClosed at once",
          Effect.gen(function* () {
            const other = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
            const fiber = yield* other.submit(nap, 5_000)
            yield* Effect.yieldNow
            const started = performance.now()
            yield* other.terminate
            const error = errorOf(yield* Fiber.await(fiber))
            assert(error instanceof PoolClosed, `got ${error}`)
            assert(performance.now() - started < 3_000)
          }),
        )

        yield* step(
          "close lets running calls finish; afterwards calls fail with PoolClosed",
          Effect.gen(function* () {
            const fiber = yield* pool.submit(nap, 200)
            yield* pool.close
            assertEquals((yield* Fiber.join(fiber))[0], 200)
            assert(errorOf(yield* Effect.exit(pool.apply(square, 1))) instanceof PoolClosed)
          }),
        )

        yield* step(
          "a call running when every runner is SIGKILLed fails with NoRunners after runnerTimeout, not TaskTimeout",
          Effect.gen(function* () {
            const last = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds", runnerTimeout: "1 second" })
            assertEquals(yield* last.apply(square, 3), 9)
            const fiber = yield* last.submit(nap, 20_000)
            yield* Effect.sleep(300)
            const started = performance.now()
            for (const r of runners) if (!isGone(r.pid)) r.kill("SIGKILL")
            const error = errorOf(yield* Fiber.await(fiber))
            assert(error instanceof NoRunners, `expected NoRunners, got ${error}`)
            assert(performance.now() - started < 15_000, `took ${performance.now() - started} ms`)
          }),
        )

        // Stop every runner now and check that none is left behind.
        yield* Effect.promise(() => Promise.all(runners.map((r) => isGone(r.pid) ? r.exited : stopRunner(r))))
        for (const r of runners) assert(isGone(r.pid), `runner ${r.pid} is still alive`)
      }),
      180_000,
    ),
})
