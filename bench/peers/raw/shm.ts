/** Shared-memory primitives of the raw floor: a futex mutex and a single-producer ring. */

/** Drepper's futex mutex: 0 free, 1 locked, 2 locked with waiters. */
export const lock = (i32: Int32Array, at: number): void => {
  let c = Atomics.compareExchange(i32, at, 0, 1)
  if (c === 0) return
  if (c !== 2) c = Atomics.exchange(i32, at, 2)
  while (c !== 0) {
    Atomics.wait(i32, at, 2)
    c = Atomics.exchange(i32, at, 2)
  }
}

/** Releases the mutex taken by `lock`. */
export const unlock = (i32: Int32Array, at: number): void => {
  if (Atomics.sub(i32, at, 1) !== 1) {
    Atomics.store(i32, at, 0)
    Atomics.notify(i32, at, 1)
  }
}

/** Ring layout (Int32): [0] head (items written), [1] tail (items read), [2..] slots. */
export const RING_HEAD = 0
/** Index of the ring's read counter. */
export const RING_TAIL = 1
/** Index of the first slot. */
export const RING_DATA = 2
