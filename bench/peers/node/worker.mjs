// piscina's worker for bench.mjs: one named export per task. Algorithms mirror bench/common.ts.

export const double = (x) => x * 2

export const countPrimes = (limit) => {
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

export const checksum = (a) => {
  let sum = a.length
  for (let i = 0; i < a.length; i += 4096) sum += a[i]
  return sum
}

// Drepper's futex mutex over an Int32Array: 0 free, 1 locked, 2 locked with waiters.
const lock = (i32, at) => {
  let c = Atomics.compareExchange(i32, at, 0, 1)
  if (c === 0) return
  if (c !== 2) c = Atomics.exchange(i32, at, 2)
  while (c !== 0) {
    Atomics.wait(i32, at, 2)
    c = Atomics.exchange(i32, at, 2)
  }
}

const unlock = (i32, at) => {
  if (Atomics.sub(i32, at, 1) !== 1) {
    Atomics.store(i32, at, 0)
    Atomics.notify(i32, at, 1)
  }
}

export const increment = ({ i32, n }) => {
  for (let i = 0; i < n; i++) {
    lock(i32, 0)
    i32[1]++
    unlock(i32, 0)
  }
  return n
}

// W4: a MessagePort is Node's way to stream items out of a piscina task.
export const produce = ({ port, n }) => {
  for (let i = 0; i < n; i++) port.postMessage(i)
  port.close()
  return n
}
