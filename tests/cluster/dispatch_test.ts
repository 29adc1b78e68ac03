/**
 * How a cluster pool places chunks, without PostgreSQL: the caller computes
 * which runner owns each shard as the runners do, and a chunk goes to the
 * runner with the most free workers, waiting at the caller while all are
 * full (dispatch like a pool, not by hashing ids).
 */
import { assert, assertEquals } from "@std/assert"
import * as Runner from "effect/cluster/Runner"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { makeCapacity, type Slot } from "../../src/cluster/internal/capacity.ts"
import type { Dispatcher } from "../../src/cluster/internal/client.ts"
import { makeCoalescer } from "../../src/cluster/internal/coalesce.ts"
import { fromWire, isResend, outcomesOf, toWire } from "../../src/cluster/internal/entity.ts"
import { runChunk } from "../../src/cluster/internal/handler.ts"
import type { Pool } from "../../src/pool/Pool.ts"
import { makePool } from "../../src/cluster/internal/pool.ts"
import { bigResult, square } from "../fixtures/cluster_tasks.ts"
import { idsByShard, placements, type RunnerView } from "../../src/cluster/internal/placement.ts"

const SHARDS = 300

const runner = (port: number, weight: number) =>
  Runner.make({ address: RunnerAddress.make("10.0.0.1", port), groups: ["default"], weight })

/** A stand-in for the cluster's id hash (any function of the id will do for the policy). */
const shardOf = (id: string): number => {
  let h = 0
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0
  return Math.abs(h % SHARDS) + 1
}

Deno.test("the caller's placement gives each healthy runner shards in proportion to its workers, and ids on them", () => {
  const ids = idsByShard(SHARDS, shardOf)
  assertEquals(ids.size, SHARDS, "every shard has an entity id")
  for (const [shard, id] of ids) assertEquals(shardOf(id), shard)
  const { runners, owners } = placements(
    [[runner(3001, 1), true], [runner(3002, 3), true], [runner(3003, 8), false]],
    ids,
    SHARDS,
  )
  assertEquals(runners.map((r) => [r.key, r.capacity]), [["10.0.0.1:3001", 1], ["10.0.0.1:3002", 3]])
  assertEquals(owners.length, SHARDS)
  const share = owners.filter((o) => o === "10.0.0.1:3001").length / SHARDS
  assert(share > 0.2 && share < 0.3, `a runner of 1 worker beside one of 3 owns ${share} of the shards`)
  assert(!owners.includes("10.0.0.1:3003"), "an unhealthy runner owns no shard")
  for (const r of runners) {
    assert(r.entityIds.length > 0)
    for (const id of r.entityIds) assertEquals(owners[shardOf(id) - 1], r.key, "an id routes to its runner")
  }
  assertEquals(placements([[runner(3001, 1), false]], ids, SHARDS), { runners: [], owners: [] })
})

const view = (key: string, capacity: number): RunnerView => ({ key, capacity, entityIds: [`${key}-a`, `${key}-b`] })

/** Takes a slot and holds it until `release` completes; the fiber's result is the slot. */
const hold = (
  capacity: ReturnType<typeof makeCapacity>,
  release: Deferred.Deferred<void>,
  priority = 0,
  order?: Array<string>,
) =>
  Effect.forkChild(
    capacity.withSlot(priority, (slot: Slot) =>
      Effect.sync(() =>
        order?.push(slot.runner!)
      ).pipe(Effect.andThen(Deferred.await(release)), Effect.as(slot))),
    { startImmediately: true },
  )

Deno.test("chunks fill runners up to their workers, the largest free share first; the rest wait for a free worker", () =>
  Effect.runPromise(Effect.gen(function* () {
    const capacity = makeCapacity()
    capacity.update([view("a", 1), view("b", 3)])
    const releases: Array<Deferred.Deferred<void>> = []
    const order: Array<string> = []
    const fibers = []
    for (let i = 0; i < 6; i++) {
      releases.push(yield* Deferred.make<void>())
      fibers.push(yield* hold(capacity, releases[i], 0, order))
    }
    // a (1 free of 1) ties b (3 of 3): the first in order; then b, whose share is larger than a's 0.
    assertEquals(order, ["a", "b", "b", "b"])
    assertEquals(capacity.load(), { running: 4, waiting: 2 })
    // The waiters go where a worker frees: b's first chunk ends, then a's.
    yield* Deferred.succeed(releases[1], undefined)
    yield* Fiber.join(fibers[1])
    assertEquals(order, ["a", "b", "b", "b", "b"])
    yield* Deferred.succeed(releases[0], undefined)
    yield* Fiber.join(fibers[0])
    assertEquals(order, ["a", "b", "b", "b", "b", "a"])
    for (const r of releases) yield* Deferred.succeed(r, undefined)
    const slots = yield* Fiber.joinAll(fibers)
    assertEquals(capacity.load(), { running: 0, waiting: 0 })
    // Concurrent chunks on one runner rotate over its entity ids.
    assertEquals(new Set(slots.filter((s) => s.runner === "b").map((s) => s.entityId)).size, 2)
  })))

Deno.test("a sequential caller stays on one runner (its worker is warm)", () =>
  Effect.runPromise(Effect.gen(function* () {
    const capacity = makeCapacity()
    capacity.update([view("a", 2), view("b", 2)])
    const seen = new Set<string | undefined>()
    for (let i = 0; i < 5; i++) yield* capacity.withSlot(0, (slot) => Effect.sync(() => seen.add(slot.entityId)))
    assertEquals([...seen], ["a-a"])
  })))

Deno.test("waiting chunks start highest priority first, then in order; an interrupted waiter leaves, a new runner takes waiters", () =>
  Effect.runPromise(Effect.gen(function* () {
    const capacity = makeCapacity()
    capacity.update([view("a", 1)])
    const first = yield* Deferred.make<void>()
    const started: Array<string> = []
    const blocker = yield* hold(capacity, first)
    const later = yield* Deferred.make<void>()
    const tagged = (name: string, priority: number) =>
      Effect.forkChild(
        capacity.withSlot(priority, () =>
          Effect.sync(() => started.push(name)).pipe(Effect.andThen(Deferred.await(later)))),
        { startImmediately: true },
      )
    const low = yield* tagged("low", 0)
    const gone = yield* tagged("gone", 9)
    const high = yield* tagged("high", 5)
    const low2 = yield* tagged("low2", 0)
    assertEquals(capacity.load(), { running: 1, waiting: 4 })
    yield* Fiber.interrupt(gone)
    assertEquals(capacity.load().waiting, 3)
    // A runner joins: one waiter starts at once, the highest priority.
    capacity.update([view("a", 1), view("c", 1)])
    assertEquals(started, ["high"])
    yield* Deferred.succeed(first, undefined)
    yield* Fiber.join(blocker)
    assertEquals(started, ["high", "low"])
    yield* Deferred.succeed(later, undefined)
    yield* Fiber.joinAll([low, high, low2])
    assertEquals(started, ["high", "low", "low2"])
    assertEquals(capacity.load(), { running: 0, waiting: 0 })
  })))

Deno.test("an interrupted chunk frees its runner's worker; with no runner known a chunk goes out at once", () =>
  Effect.runPromise(Effect.gen(function* () {
    const capacity = makeCapacity()
    const nowhere = yield* capacity.withSlot(0, (slot) => Effect.succeed(slot))
    assertEquals([nowhere.runner, nowhere.entityId], [undefined, undefined])
    capacity.update([view("a", 1)])
    const fiber = yield* hold(capacity, yield* Deferred.make<void>())
    assertEquals(capacity.load().running, 1)
    yield* Fiber.interrupt(fiber)
    assertEquals(capacity.load(), { running: 0, waiting: 0 })
    const slot = yield* capacity.withSlot(0, (s) => Effect.succeed(s))
    assertEquals(slot.runner, "a")
    // A keyed call counts on its runner without waiting, even over its workers.
    const key = yield* Deferred.make<void>()
    const keyed = yield* Effect.forkChild(capacity.withRunner("a", Deferred.await(key)), { startImmediately: true })
    const unkeyed = yield* Effect.forkChild(capacity.withRunner("a", Effect.void), { startImmediately: true })
    yield* Fiber.join(unkeyed)
    assertEquals(capacity.load(), { running: 1, waiting: 0 })
    yield* Deferred.succeed(key, undefined)
    yield* Fiber.join(keyed)
    assertEquals(capacity.load(), { running: 0, waiting: 0 })
  })))

/** A Dispatcher with `workers` workers that runs each chunk in 5 ms and records what it saw. */
const fakeDispatcher = (workers: number) => {
  const seen = { running: 0, most: 0, chunkSizes: [] as Array<number> }
  const dispatcher: Dispatcher = {
    run: (_task, payloads) =>
      Effect.gen(function* () {
        seen.running++
        seen.most = Math.max(seen.most, seen.running)
        seen.chunkSizes.push(payloads.length)
        yield* Effect.sleep(5)
        seen.running--
        return payloads.map((p) => Exit.succeed((p as number) * (p as number)))
      }),
    runnersAlive: Effect.succeed(1),
    load: () => ({ running: seen.running, waiting: 0 }),
    workers: () => workers,
  }
  return { dispatcher, seen }
}

Deno.test("a cluster pool keeps every worker of the cluster busy: its size and a call's chunks in flight follow the runners' workers", () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const scope = yield* Effect.scope
    const big = fakeDispatcher(40)
    const pool = makePool(big.dispatcher, undefined, scope)
    assertEquals(pool.size, 40)
    const input = Array.from({ length: 200 }, (_, i) => i)
    assertEquals(yield* pool.map(square, input, { chunkSize: 1 }), input.map((n) => n * n))
    assertEquals(big.seen.most, 80, "twice the workers in flight, the rest waits for a free worker")
    big.seen.chunkSizes.length = 0
    yield* pool.map(square, Array.from({ length: 1000 }, (_, i) => i))
    assertEquals(Math.max(...big.seen.chunkSizes), Math.ceil(1000 / (4 * 40)), "four chunks per worker")
    // Given, `concurrency` bounds a call and is the pool's size.
    const capped = fakeDispatcher(40)
    const five = makePool(capped.dispatcher, 5, scope)
    assertEquals(five.size, 5)
    yield* five.map(square, input, { chunkSize: 1 })
    assertEquals(capped.seen.most, 5)
    // Few workers: at least 16 chunks in flight.
    const small = fakeDispatcher(2)
    yield* makePool(small.dispatcher, undefined, scope).map(square, input, { chunkSize: 1 })
    assertEquals(small.seen.most, 16)
  }))))

/** A coalescer over a fake cluster of `workers` workers, always busy: groups wait for `open` to get a worker. */
const busyCluster = (workers: number, maxShare = 1_000) =>
  Effect.gen(function* () {
    const open = yield* Deferred.make<void>()
    const sent: Array<ReadonlyArray<unknown>> = []
    const coalescer = yield* makeCoalescer({
      free: () => false,
      workers: () => workers,
      maxShare: () => maxShare,
      onWorker: (_priority, use) => Effect.andThen(Deferred.await(open), use({ runner: "a", entityId: "a-a" })),
    })
    const send = (_slot: Slot, payloads: ReadonlyArray<unknown>) =>
      Effect.sync(() => {
        sent.push(payloads)
        return payloads.map((p) => p === "boom" ? Exit.fail("boom") : Exit.succeed((p as number) * 10))
      })
    const call = (payload: unknown) =>
      coalescer.one("task", 0, payload, undefined, Effect.die("no worker is free: never alone"), send)
    return { open, sent, call, coalescer }
  })

Deno.test("separate calls that wait for a worker travel together in fair shares, each gets its own result", () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const cluster = yield* busyCluster(2)
    const payloads: Array<unknown> = Array.from({ length: 40 }, (_, i) => i)
    payloads[7] = "boom"
    const fibers = []
    for (const p of payloads) fibers.push(yield* Effect.forkChild(cluster.call(p), { startImmediately: true }))
    assertEquals(cluster.coalescer.load(), { calls: 40, requests: 1 }, "40 calls wait as one request for a worker")
    yield* Deferred.succeed(cluster.open, undefined)
    const exits = yield* Fiber.joinAll(fibers)
    exits.forEach((e, i) => assertEquals(e, i === 7 ? Exit.fail("boom") : Exit.succeed(i * 10), `call ${i}`))
    // 40 waiting on 2 workers: a chunk takes a fair share of those still waiting, ceil(40 / 8) = 5 at most.
    assertEquals(Math.max(...cluster.sent.map((c) => c.length)), 5)
    assertEquals(cluster.sent.flat().length, 40)
    assert(cluster.sent.length < 20, `${cluster.sent.length} chunks for 40 calls`)
    assertEquals(cluster.coalescer.load(), { calls: 0, requests: 0 })
  }))))

Deno.test("a group never carries more calls than their results fit in one reply (maxShare)", () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const cluster = yield* busyCluster(1, 3)
    const fibers = []
    for (let i = 0; i < 20; i++) fibers.push(yield* Effect.forkChild(cluster.call(i), { startImmediately: true }))
    yield* Deferred.succeed(cluster.open, undefined)
    assertEquals((yield* Fiber.joinAll(fibers)).length, 20)
    assertEquals(Math.max(...cluster.sent.map((c) => c.length)), 3)
  }))))

Deno.test("a waiting call that is interrupted leaves its group; the others still get their results", () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const cluster = yield* busyCluster(1)
    const a = yield* Effect.forkChild(cluster.call(1), { startImmediately: true })
    const b = yield* Effect.forkChild(cluster.call(2), { startImmediately: true })
    const c = yield* Effect.forkChild(cluster.call(3), { startImmediately: true })
    yield* Fiber.interrupt(b)
    yield* Deferred.succeed(cluster.open, undefined)
    assertEquals(yield* Fiber.join(a), Exit.succeed(10))
    assertEquals(yield* Fiber.join(c), Exit.succeed(30))
    assert(!cluster.sent.flat().includes(2), "the interrupted call was sent")
  }))))

Deno.test("a group whose calls are all interrupted is interrupted on its way; a free worker takes a call alone", () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    let interrupted = false
    const coalescer = yield* makeCoalescer({
      free: () => false,
      workers: () => 1,
      maxShare: () => 1_000,
      onWorker: (_p, use) => use({ runner: "a", entityId: "a-a" }),
    })
    const hang = () =>
      Deferred.succeed(started, undefined).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Effect.sync(() => interrupted = true)),
      )
    const f = yield* Effect.forkChild(coalescer.one("k", 0, 1, undefined, Effect.die("busy"), hang), {
      startImmediately: true,
    })
    yield* Deferred.await(started)
    yield* Fiber.interrupt(f)
    yield* Effect.yieldNow
    assert(interrupted, "the chunk went on after every call in it was interrupted")
    // With a worker free, a call goes alone at once (no group, no wait).
    const alone = yield* makeCoalescer({
      free: () => true,
      workers: () => 1,
      maxShare: () => 1_000,
      onWorker: () => Effect.die("asked for a worker"),
    })
    assertEquals(
      yield* alone.one("k", 0, 1, undefined, Effect.succeed(Exit.succeed("alone")), () => Effect.die("grouped")),
      Exit.succeed("alone"),
    )
  }))))

Deno.test("a runner answers Resend when the results of calls sent together do not fit one reply; a map chunk fails instead", () =>
  Effect.runPromise(Effect.gen(function* () {
    const big = () => Exit.succeed(new Uint8Array(3 * 1024 * 1024))
    const pool = {
      mapExit: (_task: unknown, values: ReadonlyArray<unknown>) => Effect.succeed(values.map(big)),
    } as unknown as Pool
    const request = (resendable: boolean) => ({
      moduleUrl: bigResult.moduleUrl,
      taskName: bigResult.name,
      payloads: toWire(Array.from({ length: 20 }, () => 3)),
      resendable,
    })
    const together = fromWire(yield* runChunk(pool, request(true)))
    assert(isResend(together), "calls sent together were not sent back to be split")
    const chunk = outcomesOf(fromWire(yield* runChunk(pool, request(false))))
    assertEquals(chunk.length, 20)
    assert(chunk.every((o) => !o.ok), "a map chunk over the limit crossed")
  })))
