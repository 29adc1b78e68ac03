/**
 * The pool's bounded queue (`maxQueue`): jobs that find the queue full wait
 * here, outside it, in arrival order, and enter as room frees (a job larger
 * than the whole bound enters once the queue is empty, so a map larger than
 * `maxQueue` never deadlocks). Callers of `submit` wait for room here too.
 * A cancelled job or an interrupted waiter leaves nothing behind.
 *
 * @internal
 * @module
 */
import type { Job } from "./model.ts"

/** Jobs and callers waiting for room in a bounded queue. */
export class Admission {
  readonly maxQueue: number
  /** Jobs waiting for room, in order (cancelled ones are dropped when met). */
  private held: Array<Job> = []
  /** Items of the held jobs still queued. */
  items = 0
  private waiters = new Set<() => void>()

  constructor(maxQueue: number) {
    this.maxQueue = maxQueue
  }

  /** Whether `n` more items fit now (nothing held, and the queue has room). */
  fits(queued: number, n: number): boolean {
    return this.items === 0 && queued + n <= this.maxQueue
  }

  /** Jobs of `jobs` that fit (in order, up to the first that does not); the rest are held. */
  admit(queued: number, jobs: ReadonlyArray<Job>): Array<Job> {
    if (this.held.length === 0) {
      let i = 0
      let room = this.maxQueue - queued
      while (i < jobs.length && (jobs[i].payloads.length <= room || (i === 0 && queued === 0))) {
        room -= jobs[i].payloads.length
        i++
      }
      if (i === jobs.length) return jobs as Array<Job>
      for (let k = i; k < jobs.length; k++) this.hold(jobs[k])
      return jobs.slice(0, i)
    }
    for (const job of jobs) this.hold(job)
    return this.release(queued)
  }

  private hold(job: Job): void {
    this.held.push(job)
    this.items += job.payloads.length
  }

  /** Held jobs that fit now, taken out in order; then, if room is left, wakes the waiters of `whenRoom`. */
  release(queued: number): Array<Job> {
    const out: Array<Job> = []
    let i = 0
    while (i < this.held.length) {
      const job = this.held[i]
      if (job.state !== "queued") {
        i++
        continue
      }
      const n = job.payloads.length
      if (queued + n > this.maxQueue && !(queued === 0 && out.length === 0)) break
      queued += n
      this.items -= n
      out.push(job)
      i++
    }
    if (i > 0) this.held = this.held.slice(i)
    if (this.held.length === 0 && queued < this.maxQueue && this.waiters.size > 0) {
      const waiters = Array.from(this.waiters)
      this.waiters.clear()
      for (const f of waiters) f()
    }
    return out
  }

  /** Whether `job` is held here; if so it is dropped (its caller went away). */
  drop(job: Job): boolean {
    const i = this.held.indexOf(job)
    if (i < 0) return false
    this.held.splice(i, 1)
    this.items -= job.payloads.length
    return true
  }

  /** Calls `f` once the queue has room and nothing is held; returns the cancel. */
  whenRoom(queued: number, f: () => void): () => void {
    if (this.fits(queued, 1)) {
      f()
      return () => {}
    }
    this.waiters.add(f)
    return () => this.waiters.delete(f)
  }

  /** Empties it: returns the held jobs still queued, and wakes every waiter (they find the pool closed). */
  clear(): Array<Job> {
    const held = this.held.filter((job) => job.state === "queued")
    this.held = []
    this.items = 0
    const waiters = Array.from(this.waiters)
    this.waiters.clear()
    for (const f of waiters) f()
    return held
  }
}
