/**
 * The one place where this library waits on shared memory.
 *
 * `Atomics.waitAsync` never blocks the event loop, but a pending wait does not
 * keep the loop alive (measured on Deno 2.9.6), so while any fiber waits we
 * hold one ref'd interval. A wait that is interrupted cannot be removed from
 * V8's waiter list; it lingers until its slice ends (at most `SLICE_MS`). So a
 * waker must not rely on `notify(..., 1)` reaching a live waiter: wake all
 * (`notifyAll`) or make waiters re-check in a loop, which `wait` does.
 *
 * @module
 */
import * as Effect from "effect/Effect"

/** The longest single `Atomics.waitAsync`; longer waits are made of slices. */
export const SLICE_MS = 250

let keepAliveCount = 0
let keepAliveHandle: ReturnType<typeof setInterval> | undefined

const retain = (): void => {
  if (keepAliveCount++ === 0) keepAliveHandle = setInterval(() => {}, 1 << 30)
}
const release = (): void => {
  if (--keepAliveCount === 0) {
    clearInterval(keepAliveHandle)
    keepAliveHandle = undefined
  }
}

/** What a wait ended with: woken (or value changed), or the timeout elapsed. */
export type WaitResult = "ok" | "timed-out"

const waitSlice = (
  i32: Int32Array,
  index: number,
  expected: number,
  ms: number,
): Effect.Effect<"ok" | "not-equal" | "timed-out"> =>
  Effect.callback((resume) => {
    const r = Atomics.waitAsync(i32, index, expected, ms)
    if (!r.async) {
      resume(Effect.succeed(r.value))
      return
    }
    retain()
    let done = false
    r.value.then((v) => {
      if (done) return
      done = true
      release()
      resume(Effect.succeed(v))
    })
    return Effect.sync(() => {
      if (done) return
      done = true
      release()
    })
  })

/**
 * Waits while `i32[index] === expected`, without blocking the event loop.
 * Returns `"ok"` once the value differs or a waker notified this address, and
 * `"timed-out"` when `timeoutMs` elapsed first. Interruptible at any point.
 * Spurious `"ok"` results are possible: callers re-check their condition.
 */
export const wait = (
  i32: Int32Array,
  index: number,
  expected: number,
  timeoutMs: number = Infinity,
): Effect.Effect<WaitResult> => {
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs
  const loop: Effect.Effect<WaitResult> = Effect.suspend(() => {
    if (Atomics.load(i32, index) !== expected) return Effect.succeed("ok" as const)
    const left = deadline - performance.now()
    if (left <= 0) return Effect.succeed("timed-out" as const)
    const slice = Math.min(left, SLICE_MS)
    return Effect.flatMap(waitSlice(i32, index, expected, slice), (r) => {
      if (r !== "timed-out") return Effect.succeed("ok" as const)
      return loop
    })
  })
  return loop
}

/** Wakes every waiter on `i32[index]`. */
export const notifyAll = (i32: Int32Array, index: number): number => Atomics.notify(i32, index)

/**
 * Blocks the calling thread while `i32[index] === expected`. Only for worker
 * threads (or the main thread where blocking is the point): it stops the event
 * loop of the thread that calls it.
 */
export const waitBlocking = (
  i32: Int32Array,
  index: number,
  expected: number,
  timeoutMs: number = Infinity,
): "ok" | "not-equal" | "timed-out" => Atomics.wait(i32, index, expected, timeoutMs)
