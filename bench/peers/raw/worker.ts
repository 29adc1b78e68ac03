/**
 * The raw floor's worker: plain `onmessage`, no library. One message kind per
 * workload; replies carry the request id.
 */
import { checksum, countPrimes, double } from "../../common.ts"
import { lock, RING_DATA, RING_HEAD, RING_TAIL, unlock } from "./shm.ts"

/** Messages the raw bench sends. */
export type Request =
  | { op: "map"; id: number; xs: Array<number> }
  | { op: "one"; id: number; x: number }
  | { op: "primes"; id: number; limit: number }
  | { op: "counter"; id: number; i32: Int32Array; n: number }
  | { op: "ring"; id: number; i32: Int32Array; n: number }
  | { op: "post"; id: number; n: number }
  | { op: "sum"; id: number; a: Uint8Array }

const self_ = self as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null
  postMessage: (m: unknown) => void
}

const produceRing = (i32: Int32Array, n: number): void => {
  const capacity = i32.length - RING_DATA
  let head = 0
  for (let i = 0; i < n; i++) {
    for (;;) {
      const tail = Atomics.load(i32, RING_TAIL)
      if (head - tail < capacity) break
      Atomics.wait(i32, RING_TAIL, tail)
    }
    i32[RING_DATA + (head % capacity)] = i
    head++
    Atomics.store(i32, RING_HEAD, head)
    Atomics.notify(i32, RING_HEAD, 1)
  }
}

self_.onmessage = (e) => {
  const m = e.data
  switch (m.op) {
    case "map":
      return self_.postMessage({ id: m.id, ys: m.xs.map(double) })
    case "one":
      return self_.postMessage({ id: m.id, y: double(m.x) })
    case "primes":
      return self_.postMessage({ id: m.id, y: countPrimes(m.limit) })
    case "counter":
      for (let i = 0; i < m.n; i++) {
        lock(m.i32, 0)
        m.i32[1]++
        unlock(m.i32, 0)
      }
      return self_.postMessage({ id: m.id, y: 0 })
    case "ring":
      produceRing(m.i32, m.n)
      return self_.postMessage({ id: m.id, y: 0 })
    case "post":
      for (let i = 0; i < m.n; i++) self_.postMessage({ item: i })
      return self_.postMessage({ id: m.id, y: 0 })
    case "sum":
      return self_.postMessage({ id: m.id, y: checksum(m.a) })
  }
}
self_.postMessage({ ready: true })
