/**
 * `deno task demo`: a short tour of the library, following the Python
 * `multiprocessing` guide in order, ending with a CPU-bound job on every core
 * with a live progress bar and its speed-up over running sequentially.
 */
import { Effect, Exit, Fiber, Stream } from "effect"
import * as mp from "@mp/multiprocessing"
import { printContinent } from "./process_basic.ts"
import { double } from "./pool_map.ts"
import { inverse } from "./pool_apply_async.ts"
import { countPrimes, countPrimesIn } from "./cpu_bound.ts"
import { increment } from "./shared_value.ts"
import { append } from "./shared_lock.ts"
import { consumer, producer } from "./queue_producer_consumer.ts"
import { ponger } from "./pipe_ping_pong.ts"
import { addItem } from "./manager_list.ts"
import { describeLoad } from "./support/load.ts"
import { progress } from "./support/progress.ts"

const heading = (title: string) => console.log(`\n\x1b[1m▸ ${title}\x1b[0m`)

const program = Effect.gen(function* () {
  console.log(`@mp/multiprocessing demo · ${mp.cpuCount()} cores`)

  heading("Process: start workers, join them")
  const procs = yield* Effect.forEach(["America", "Europe", "Africa"], (name) => mp.Process.spawn(printContinent, name))
  yield* Effect.forEach(procs, (p) => p.join)
  console.log("Main process completed")

  heading("Shared Value: a child increments a number in shared memory")
  const num = yield* mp.Value.make("i", 0)
  const child = yield* mp.Process.spawn(increment, num)
  yield* child.join
  console.log("Value:", yield* num.get)

  heading("Lock: four workers append to a shared array under one lock")
  const lock = yield* mp.Lock.make()
  const items = yield* mp.RawArray.make("i", 12)
  const length = yield* mp.RawValue.make("i", 0)
  const appenders = yield* Effect.forEach(
    [0, 1, 2, 3],
    (worker) => mp.Process.spawn(append, { lock, items, length, worker }),
  )
  yield* Effect.forEach(appenders, (p) => p.join, { concurrency: "unbounded" })
  const filled = yield* length.get
  console.log(`Shared list: [${(yield* items.toArray).slice(0, filled).sort((a, b) => a - b).join(", ")}]`)

  heading("Queue: a producer and a consumer worker")
  const queue = yield* mp.Queue.make<number>({ capacity: 4 })
  const consuming = yield* mp.Process.spawn(consumer, queue)
  const producing = yield* mp.Process.spawn(producer, queue)
  yield* producing.join
  console.log(`The consumer took every item: sum ${yield* consuming.join}`)

  heading("Pipe: ping-pong with a worker")
  const [here, there] = yield* mp.Pipe.make<string>()
  const pongs = yield* mp.Process.spawn(ponger, there)
  for (let i = 1; i <= 3; i++) {
    yield* here.send(`ping ${i}`)
    console.log("parent got:", yield* here.recv)
  }
  yield* here.close
  console.log(`the child answered ${yield* pongs.join} pings`)

  heading("Manager: a list shared with a worker")
  const manager = yield* mp.Manager.make()
  const list = yield* manager.list(["First item"])
  const adder = yield* mp.Process.spawn(addItem, { lock, list })
  yield* adder.join
  console.log(yield* list.toArray)

  heading("Pool.map")
  const pool = yield* mp.Pool.make()
  console.log(yield* pool.map(double, [1, 2, 3, 4, 5]))

  heading("Pool.submit (apply_async) with a task that fails on 0")
  const fibers = yield* Effect.forEach([1, 2, 0, 4, 5], (n) => pool.submit(inverse, n))
  for (const exit of yield* Effect.forEach(fibers, Fiber.await)) {
    console.log(
      Exit.isSuccess(exit)
        ? `  value ${exit.value}`
        : `  typed error ${Exit.findErrorOption(exit)._tag === "Some" ? "DivisionByZero" : "?"}`,
    )
  }

  heading("Pool.imap streams results in order")
  console.log(yield* Stream.runCollect(pool.imap(double, [10, 20, 30])))

  heading("CPU-bound: count primes on every core")
  const step = 200_000
  const chunks = 16
  const ranges = Array.from({ length: chunks }, (_, i) => [i * step, (i + 1) * step] as const)
  let t = performance.now()
  const seqBar = progress("sequential", chunks, "ranges")
  let sequentialTotal = 0
  for (const [a, b] of ranges) {
    sequentialTotal += countPrimesIn(a, b)
    seqBar.tick()
  }
  seqBar.done()
  const sequentialMs = performance.now() - t
  yield* pool.apply(countPrimes, [0, 10]) // warm-up: workers load the task module
  t = performance.now()
  const bar = progress(`${pool.size} workers`, chunks, "ranges")
  let total = 0
  yield* pool.imapUnordered(countPrimes, ranges).pipe(
    Stream.runForEach((n) =>
      Effect.sync(() => {
        total += n
        bar.tick()
      })
    ),
  )
  bar.done()
  const parallelMs = performance.now() - t
  if (total !== sequentialTotal) throw new Error("parallel and sequential counts differ")
  console.log(`${total} primes below ${chunks * step}`)
  const speedUp = (sequentialMs / parallelMs).toFixed(2)
  console.log(
    `sequential ${sequentialMs.toFixed(0)} ms · parallel ${
      parallelMs.toFixed(0)
    } ms · speed-up ${speedUp}x · ${describeLoad()}`,
  )
})

// The workers import the example modules above for their tasks; runMain closes the Scope on Ctrl-C.
if (import.meta.main) mp.runMain(Effect.scoped(program))
