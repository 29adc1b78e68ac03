/**
 * Timers for delays that come from users. `setTimeout` fires after about 1 ms
 * when its delay exceeds 2^31−1 ms (about 24.8 days): a `taskTimeout` of
 * "30 days" would time every task out at once. `setTimer` re-arms past that
 * limit, and an infinite delay arms nothing at all ("never").
 *
 * @internal
 * @module
 */

/** The longest delay `setTimeout` honours, in milliseconds. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** The clock a timer runs on (injectable for tests). */
export interface TimerClock {
  readonly setTimeout: (f: () => void, ms: number) => unknown
  readonly clearTimeout: (handle: unknown) => void
  /** The longest delay one `setTimeout` call may take. */
  readonly maxDelayMs: number
}

const realClock: TimerClock = {
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
  maxDelayMs: MAX_TIMEOUT_MS,
}

/** A pending timer; cancel it with `clearTimer`. */
export interface Timer {
  /** The handle of the current `setTimeout`, or `undefined` once it fired, was cleared, or never armed. */
  handle: unknown
  readonly clock: TimerClock
}

/**
 * Calls `f` once after `ms` milliseconds, however long: a delay above the
 * platform's limit is armed in steps; `Infinity` arms nothing (the timer
 * never fires). A negative or NaN delay counts as 0.
 */
export const setTimer = (f: () => void, ms: number, clock: TimerClock = realClock): Timer => {
  const timer: Timer = { handle: undefined, clock }
  if (ms === Infinity) return timer
  let remaining = ms > 0 ? ms : 0
  const arm = (): void => {
    const step = Math.min(remaining, clock.maxDelayMs)
    remaining -= step
    timer.handle = clock.setTimeout(() => {
      timer.handle = undefined
      if (remaining > 0) arm()
      else f()
    }, step)
  }
  arm()
  return timer
}

/**
 * Cancels a timer (a no-op for `undefined`, or one that fired already).
 * Returns `undefined`, so a field is cleared in one line:
 * `job.timer = clearTimer(job.timer)`.
 */
export const clearTimer = (timer: Timer | undefined): undefined => {
  if (timer === undefined || timer.handle === undefined) return undefined
  timer.clock.clearTimeout(timer.handle)
  timer.handle = undefined
  return undefined
}

/**
 * Timers that must not outlive their owner: `set` arms one (an infinite delay
 * arms nothing), a timer leaves the set when it fires, `clear` cancels those
 * still pending.
 */
export class TimerSet {
  private readonly timers = new Set<Timer>()

  /** Calls `f` once after `ms` milliseconds, unless `clear` comes first. */
  set(f: () => void, ms: number): void {
    const timer = setTimer(() => {
      this.timers.delete(timer)
      f()
    }, ms)
    if (timer.handle !== undefined) this.timers.add(timer)
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const timer of this.timers) clearTimer(timer)
    this.timers.clear()
  }
}
