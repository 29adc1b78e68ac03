/**
 * Locks and transactions against raw `Atomics`, on this machine.
 *
 * `deno bench -A bench/shared_bench.ts`
 *
 * - *uncontended*: one thread, 1,000 lock/unlock (or update) per iteration.
 * - *contended*: two workers, each 50,000 increments of one shared counter
 *   under the primitive; only the work is timed (the workers are started and
 *   ready before the clock starts).
 * - *one worker*: the synchronous fast path alone, 100,000 increments in one
 *   worker (it is refused on the main thread, where `deno bench` runs).
 *
 * Raw `Atomics` is the floor: a futex mutex with blocking `Atomics.wait`, no
 * Effect. `mutex` is our robust mutex word (owner id in the word) with
 * blocking waits; `Lock.withLockSync` and `Value.updateSync` are the public
 * synchronous fast path over it (for a worker's hot loops); `Lock.withLock`
 * adds Effect and never blocks the event loop (`Atomics.waitAsync`);
 * `atomically` runs a transaction per increment.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as EffectSemaphore from "effect/Semaphore"
import * as mutex from "../src/internal/mutex.ts"
import { atomically, Lock, RawValue, RLock, TRef, Value } from "../src/shared/mod.ts"
import type { Job } from "./shared_bench_worker.ts"

const OPS = 1_000

// ---- uncontended ----

const word = new Int32Array(new SharedArrayBuffer(8))
let plain = 0

Deno.bench("raw Atomics CAS lock + store unlock (x1000)", { group: "uncontended", baseline: true }, () => {
  for (let i = 0; i < OPS; i++) {
    if (Atomics.compareExchange(word, 0, 0, 1) !== 0) throw new Error("busy")
    plain++
    if (Atomics.exchange(word, 0, 0) === 2) Atomics.notify(word, 0)
  }
})

Deno.bench("mutex.tryLock + unlock (x1000)", { group: "uncontended" }, () => {
  for (let i = 0; i < OPS; i++) {
    if (!mutex.tryLock(word, 0)) throw new Error("busy")
    plain++
    mutex.unlock(word, 0)
  }
})

const repeat = <A, E>(step: Effect.Effect<A, E>): Effect.Effect<void, E> =>
  Effect.gen(function* () {
    for (let i = 0; i < OPS; i++) yield* step
  })

const lock = Effect.runSync(Lock.make())
const rlock = Effect.runSync(RLock.make())
const value = Effect.runSync(Value.make("i", 0))
const raw = Effect.runSync(RawValue.make("i", 0))
const tref = Effect.runSync(TRef.make("i", 0))
const effectSemaphore = Effect.runSync(EffectSemaphore.make(1))

const benches: ReadonlyArray<readonly [string, Effect.Effect<void, unknown>]> = [
  ["Lock.withLock (x1000)", repeat(lock.withLock(Effect.sync(() => plain++)))],
  ["RLock.withLock (x1000)", repeat(rlock.withLock(Effect.sync(() => plain++)))],
  ["Value.update (x1000)", repeat(value.update((x) => x + 1))],
  ["RawValue.update, lock-free CAS (x1000)", repeat(raw.update((x) => x + 1))],
  ["atomically(TRef.update) (x1000)", repeat(atomically(tref.update((x) => x + 1)))],
  [
    "in-thread Effect Semaphore.withPermits(1) (x1000, not cross-worker)",
    repeat(
      EffectSemaphore.withPermits(effectSemaphore, 1)(Effect.sync(() => plain++)),
    ),
  ],
]
for (const [name, effect] of benches) {
  Deno.bench(name, { group: "uncontended" }, () => Effect.runSync(effect))
}

// ---- contended: two workers ----

const N = 50_000
const workerUrl = new URL("./shared_bench_worker.ts", import.meta.url)

const inWorkers =
  (group: string, workerCount: number, n: number) => (name: string, kind: Job["kind"], baseline = false): void => {
    Deno.bench(name, { group, baseline, n: 5, warmup: 1 }, async (b) => {
      const a = new SharedArrayBuffer(24)
      const counter = new SharedArrayBuffer(8)
      const workers = Array.from({ length: workerCount }, () => new Worker(workerUrl, { type: "module" }))
      try {
        const next = (w: Worker) => new Promise<unknown>((resolve) => w.onmessage = (e) => resolve(e.data))
        let replies = workers.map(next)
        for (const w of workers) w.postMessage({ kind, a, b: counter, n } satisfies Job)
        await Promise.all(replies)
        replies = workers.map(next)
        b.start()
        for (const w of workers) w.postMessage("go")
        await Promise.all(replies)
        b.end()
        const total = new Int32Array(kind === "atomically" ? a : counter, kind === "atomically" ? 16 : 0, 1)[0]
        if (kind !== "spawn" && total !== workerCount * n) {
          throw new Error(`${name}: counted ${total}, expected ${workerCount * n}`)
        }
      } finally {
        for (const w of workers) w.terminate()
      }
    })
  }

const contended = inWorkers("contended 2 workers x 50,000", 2, N)
const oneWorker = inWorkers("one worker x 100,000 (uncontended, synchronous paths)", 1, 100_000)

contended("raw Atomics futex mutex, blocking waits", "atomics", true)
contended("mutex (owner id in the word), lockBlocking", "mutex")
contended("Lock.withLockSync (sync path, blocking waits)", "lock-sync")
contended("Value.updateSync (sync path, RLock)", "value-sync")
contended("Lock.withLock (Effect, Atomics.waitAsync)", "lock")
contended("Value.update (RLock)", "value")
contended("atomically(TRef.update)", "atomically")

oneWorker("raw Atomics futex mutex", "atomics", true)
oneWorker("mutex (owner id in the word), lockBlocking", "mutex")
oneWorker("Lock.withLockSync", "lock-sync")
oneWorker("Value.updateSync (RLock)", "value-sync")
