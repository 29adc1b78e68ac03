/**
 * The Pool's hot paths, each against the raw-worker floor as its baseline:
 * `map` of 100,000 tiny tasks (default chunking) and 1,000 sequential
 * `apply` calls.
 *
 * `deno bench -A bench/pool_bench.ts`
 *
 * One pool (and one pair of raw workers) serves every iteration; they are
 * started before the first timed iteration and stopped when the process
 * unloads.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as mp from "../mod.ts"
import { check, doubledSum, SIZES } from "./common.ts"
import { double } from "./lib/tasks.ts"

const APPLY_CALLS = 1_000

interface Harness {
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  readonly pool: mp.Pool.Pool
}

let harness: Promise<Harness> | undefined
const scope = Effect.runSync(Scope.make())
const getHarness = (): Promise<Harness> =>
  harness ??= Effect.runPromise(Scope.provide(mp.Pool.make({ size: SIZES.workers }), scope)).then((pool) => ({
    pool,
    run: (effect) => Effect.runPromise(effect),
  }))

/** Raw workers answering `{ id, xs }` with `{ id, ys }` (the floor). */
const RAW_WORKER = `self.onmessage = (e) => self.postMessage({ id: e.data.id, ys: e.data.xs.map((x) => x * 2) })`
let raw: Promise<{ call: (w: number, xs: Array<number>) => Promise<Array<number>>; workers: Array<Worker> }> | undefined
const getRaw = () =>
  raw ??= (async () => {
    const url = URL.createObjectURL(new Blob([RAW_WORKER], { type: "text/javascript" }))
    const workers = Array.from({ length: SIZES.workers }, () => new Worker(url, { type: "module" }))
    const pending = new Map<number, (ys: Array<number>) => void>()
    let nextId = 0
    for (const w of workers) {
      w.onmessage = (e: MessageEvent<{ id: number; ys: Array<number> }>) => {
        pending.get(e.data.id)?.(e.data.ys)
        pending.delete(e.data.id)
      }
    }
    const call = (w: number, xs: Array<number>) =>
      new Promise<Array<number>>((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        workers[w].postMessage({ id, xs })
      })
    await Promise.all(workers.map((_, w) => call(w, [0])))
    return { call, workers }
  })()

globalThis.addEventListener("unload", () => {
  Effect.runSync(Scope.close(scope, Exit.void))
  void raw?.then(({ workers }) => workers.forEach((w) => w.terminate()))
})

const xs = Array.from({ length: SIZES.mapItems }, (_, i) => i)

Deno.bench({
  name: "Pool.map 100k tiny tasks",
  group: "map 100k",
  async fn(b) {
    const { pool, run } = await getHarness()
    b.start()
    const ys = await run(pool.map(double, xs))
    b.end()
    check(ys.length === xs.length && ys[xs.length - 1] === 2 * (xs.length - 1), "map")
  },
})

Deno.bench({
  name: "raw workers, same chunks",
  group: "map 100k",
  baseline: true,
  async fn(b) {
    const { call } = await getRaw()
    b.start()
    const chunk = Math.ceil(xs.length / (4 * SIZES.workers))
    const parts: Array<Promise<Array<number>>> = []
    for (let i = 0, k = 0; i < xs.length; i += chunk, k++) parts.push(call(k % SIZES.workers, xs.slice(i, i + chunk)))
    const ys = (await Promise.all(parts)).flat()
    b.end()
    check(ys.length === xs.length, "raw map")
  },
})

Deno.bench({
  name: "Pool.apply × 1000, sequential",
  group: "apply",
  async fn(b) {
    const { pool, run } = await getHarness()
    b.start()
    const sum = await run(Effect.gen(function* () {
      let sum = 0
      for (let i = 0; i < APPLY_CALLS; i++) sum += yield* pool.apply(double, i)
      return sum
    }))
    b.end()
    check(sum === doubledSum(APPLY_CALLS), "apply")
  },
})

Deno.bench({
  name: "raw worker round trip × 1000",
  group: "apply",
  baseline: true,
  async fn(b) {
    const { call } = await getRaw()
    b.start()
    let sum = 0
    for (let i = 0; i < APPLY_CALLS; i++) sum += (await call(0, [i]))[0]
    b.end()
    check(sum === doubledSum(APPLY_CALLS), "raw apply")
  },
})
