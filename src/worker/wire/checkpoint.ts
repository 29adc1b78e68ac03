/**
 * Cooperative interruption for synchronous code in a worker. A busy loop
 * cannot receive messages, and `Worker.terminate()` does not stop it (Deno
 * 2.7.10 to 2.9.6), so the parent writes the ids of interrupted chunks into a
 * shared ring that `checkpoint()` reads with one atomic load in the common
 * case.
 *
 * @module
 */
import { INTERRUPT_RING } from "./protocol.ts"
import { globalValue } from "../../internal/global.ts"

interface CheckpointState {
  words: Int32Array | undefined
  seen: number
  current: number
  interrupted: boolean
}

/** The per-thread state shared with the worker runtime. */
export const state: CheckpointState = globalValue<CheckpointState>("checkpoint", () => ({
  words: undefined,
  seen: 0,
  current: -1,
  interrupted: false,
}))

const MARK = Symbol.for("@mp/multiprocessing/Interrupted")

/** Thrown by `checkpoint()` when the running task was interrupted. */
export class Interrupted extends Error {
  /** Brand that survives duplicate module instances. */
  readonly [MARK] = true
  constructor() {
    super("The task was interrupted")
    this.name = "Interrupted"
  }
}

/** Whether a thrown value is the checkpoint's interruption. */
export const isInterrupted = (u: unknown): boolean => typeof u === "object" && u !== null && MARK in u

/** Whether the task running on this thread has been asked to stop. */
export const interruptRequested = (): boolean => {
  const words = state.words
  if (words === undefined || state.current < 0) return false
  if (state.interrupted) return true
  const requests = Atomics.load(words, 0)
  if (requests === state.seen) return false
  state.seen = requests
  for (let i = 1; i <= INTERRUPT_RING; i++) {
    if (Atomics.load(words, i) === state.current) {
      state.interrupted = true
      return true
    }
  }
  return false
}

/**
 * Call this now and then inside a long synchronous loop in a task: it returns
 * at once (one atomic load) unless the task was interrupted or timed out, and
 * then throws, so the worker can stop the task and take the next one instead
 * of being terminated. Outside a worker it does nothing.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * export const spin = mp.Task.make(import.meta.url, "spin", {
 *   handler: (n: number) => {
 *     let x = 0
 *     for (let i = 0; i < n; i++) {
 *       if ((i & 0xffff) === 0) mp.checkpoint()
 *       x += i
 *     }
 *     return x
 *   },
 * })
 * ```
 */
export const checkpoint = (): void => {
  if (interruptRequested()) throw new Interrupted()
}

/** Parent side: records that `chunkId` should stop (read by `checkpoint`). */
export const requestInterrupt = (words: Int32Array, chunkId: number): void => {
  const n = Atomics.load(words, 0)
  Atomics.store(words, 1 + (n % INTERRUPT_RING), chunkId)
  Atomics.add(words, 0, 1)
}
