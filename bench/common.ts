/**
 * What every Deno-side bench program shares (this library's programs in
 * `bench/lib/` and the raw-worker floor in `bench/peers/raw/`): the workload
 * sizes, the algorithms that must be the same in every language, argument
 * parsing and the machine-readable result line that `compare.ts` parses.
 *
 * The Python and Node peers repeat the same constants and algorithms in their
 * own language; keep them in step (`bench/peers/python/bench.py`,
 * `bench/peers/node/worker.mjs`).
 *
 * @module
 */

/** Workload sizes, the same for every peer. */
export const SIZES = {
  /** Workers in every pool. */
  workers: 2,
  /** W1: items of the chunked `map`. */
  mapItems: 100_000,
  /** W1: separate tasks, all in flight. */
  separateTasks: 10_000,
  /** W1: sequential `apply` calls. */
  applyCalls: 10_000,
  /** W2: CPU-bound tasks. */
  primeTasks: 8,
  /** W2: primes below this limit per task in JavaScript (~250 ms on the 2-core machine). */
  primeLimitJs: 1_700_000,
  /** W3: increments per worker. */
  increments: 100_000,
  /** W4: items through the queue. */
  queueItems: 100_000,
  /** W6: arrays mapped. */
  bigArrays: 64,
  /** W6: bytes per array. */
  bigBytes: 1 << 20,
} as const

/** `x * 2`: the W1 task. */
export const double = (x: number): number => x * 2

/** Counts the primes below `limit` by trial division: the W2 task, the same in every language. */
export const countPrimes = (limit: number): number => {
  let count = 0
  for (let n = 2; n < limit; n++) {
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) count++
  }
  return count
}

/** The W6 task: touches one byte in every 4 KiB page and adds the length, so it measures moving data, not work. */
export const checksum = (a: Uint8Array): number => {
  let sum = a.length
  for (let i = 0; i < a.length; i += 4096) sum += a[i]
  return sum
}

/** The W6 inputs: `bigArrays` arrays of `bigBytes` bytes, array `i` filled with `i % 251`. */
export const makeBigArrays = (): Array<Uint8Array> =>
  Array.from({ length: SIZES.bigArrays }, (_, i) => new Uint8Array(SIZES.bigBytes).fill(i % 251))

/** What the W6 checksums add up to. */
export const expectedBigSum = (): number => {
  let total = 0
  for (let i = 0; i < SIZES.bigArrays; i++) total += SIZES.bigBytes + (SIZES.bigBytes / 4096) * (i % 251)
  return total
}

/** The command line of a bench program: `--reps N` (timed repetitions after one warm-up). */
export interface BenchArgs {
  /** Timed repetitions. */
  readonly reps: number
  /** Other `--name value` flags. */
  readonly flags: Readonly<Record<string, string>>
}

/** Parses `--reps N --name value ...`. */
export const parseArgs = (args: ReadonlyArray<string>): BenchArgs => {
  const flags: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a.startsWith("--")) {
      const next = args[i + 1]
      if (next === undefined || next.startsWith("--")) flags[a.slice(2)] = "true"
      else {
        flags[a.slice(2)] = next
        i++
      }
    }
  }
  const reps = Number(flags.reps ?? 5)
  return { reps: Number.isInteger(reps) && reps > 0 ? reps : 5, flags }
}

/** Samples of one metric, in the metric's unit. */
export type Samples = Record<string, Array<number>>

/** The prefix of the line `compare.ts` looks for. */
export const RESULT_PREFIX = "BENCH_RESULT "

/** Prints the result line: `BENCH_RESULT {"metrics":{...},"notes":[...]}`. */
export const emit = (metrics: Samples, notes: ReadonlyArray<string> = []): void => {
  console.log(RESULT_PREFIX + JSON.stringify({ metrics, notes }))
}

/** Prints a result line saying the workload cannot run here, and why. */
export const emitUnavailable = (reason: string): void => {
  console.log(RESULT_PREFIX + JSON.stringify({ unavailable: reason }))
}

/** Milliseconds since `start`. */
export const since = (start: number): number => performance.now() - start

/** Throws when a result is wrong: a fast wrong answer must never count. */
export const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(`wrong result: ${what}`)
}

/** Sum of `double(i)` for `i < n`. */
export const doubledSum = (n: number): number => n * (n - 1)
