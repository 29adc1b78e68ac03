/**
 * The worker side of `shared_bench.ts`: builds the shared object from the
 * buffers it is sent, says "ready", then runs `n` operations when told "go"
 * and says "done".
 *
 * @module
 */
/// <reference lib="deno.worker" />
import * as Effect from "effect/Effect"
import * as mutex from "../src/internal/mutex.ts"
import { Cells, specOf } from "../src/shared/internal/types.ts"
import { LockImpl as Lock } from "../src/shared/internal/lock.ts"
import { RLockImpl as RLock } from "../src/shared/internal/rlock.ts"
import { ValueImpl as Value } from "../src/shared/internal/value.ts"
import { TRefImpl as TRef } from "../src/shared/internal/tref.ts"
import { atomically } from "../src/shared/stm.ts"

/** What one bench worker is asked to do. */
export interface Job {
  readonly kind: "atomics" | "mutex" | "lock" | "lock-sync" | "value" | "value-sync" | "atomically" | "spawn"
  readonly a: SharedArrayBuffer
  readonly b: SharedArrayBuffer
  readonly n: number
}

const spinLock = (i32: Int32Array): void => {
  // The textbook futex mutex (0 free, 1 locked, 2 contended) with blocking waits.
  let c = Atomics.compareExchange(i32, 0, 0, 1)
  if (c === 0) return
  if (c !== 2) c = Atomics.exchange(i32, 0, 2)
  while (c !== 0) {
    Atomics.wait(i32, 0, 2)
    c = Atomics.exchange(i32, 0, 2)
  }
}
const spinUnlock = (i32: Int32Array): void => {
  if (Atomics.exchange(i32, 0, 0) === 2) Atomics.notify(i32, 0, 1)
}

const run = (job: Job): Effect.Effect<void> => {
  const data = new Int32Array(job.b)
  switch (job.kind) {
    case "spawn":
      return Effect.void
    case "atomics":
      return Effect.sync(() => {
        const i32 = new Int32Array(job.a)
        for (let i = 0; i < job.n; i++) {
          spinLock(i32)
          data[0]++
          spinUnlock(i32)
        }
      })
    case "mutex":
      return Effect.sync(() => {
        const i32 = new Int32Array(job.a)
        for (let i = 0; i < job.n; i++) {
          mutex.lockBlocking(i32, 0)
          data[0]++
          mutex.unlock(i32, 0)
        }
      })
    case "lock": {
      const lock = new Lock(job.a, 0)
      const step = lock.withLock(Effect.sync(() => void data[0]++))
      return Effect.gen(function* () {
        for (let i = 0; i < job.n; i++) yield* step
      }).pipe(Effect.orDie)
    }
    case "lock-sync":
      return Effect.sync(() => {
        const lock = new Lock(job.a, 0)
        const step = () => void data[0]++
        for (let i = 0; i < job.n; i++) lock.withLockSync(step)
      })
    case "value-sync":
      return Effect.sync(() => {
        const value = new Value("i32", job.b, new RLock(job.a, 0))
        for (let i = 0; i < job.n; i++) value.updateSync((x) => x + 1)
      })
    case "value": {
      const value = new Value("i32", job.b, new RLock(job.a, 0))
      const step = value.update((x) => x + 1)
      return Effect.gen(function* () {
        for (let i = 0; i < job.n; i++) yield* step
      }).pipe(Effect.orDie)
    }
    case "atomically": {
      const ref = new TRef("i32", job.a, 1)
      const cells = new Cells(specOf("i32")!, job.a, 16, 1)
      void cells
      const step = atomically(ref.update((x) => x + 1))
      return Effect.gen(function* () {
        for (let i = 0; i < job.n; i++) yield* step
      }).pipe(Effect.orDie)
    }
  }
}

self.onmessage = (event: MessageEvent<Job | "go">) => {
  if (event.data === "go") return
  const job = event.data
  const go = new Promise<void>((resolve) => {
    self.onmessage = () => resolve()
  })
  self.postMessage("ready")
  void go.then(() => Effect.runPromise(run(job))).then(() => self.postMessage("done"))
}
