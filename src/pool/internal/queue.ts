/**
 * The pool's job queue: jobs wait from `head` on (taking one moves the head,
 * not the array), highest priority first and in arrival order within a priority, cancelled jobs stay until dispatch skips them, and the
 * number of waiting items is kept up to date.
 *
 * @internal
 * @module
 */
import type { Job } from "./model.ts"

/** Jobs waiting for a worker, in order. */
export class JobQueue {
  /** The jobs; those before `head` were taken or skipped. */
  jobs: Array<Job> = []
  head = 0
  /** Items of the jobs still queued (kept up to date by push, take, drop and clear). */
  items = 0

  /** Whether jobs (cancelled ones included until dispatch skips them) wait. */
  get waiting(): boolean {
    return this.head < this.jobs.length
  }

  /** Adds jobs behind those of the same or a higher priority (FIFO within a priority). */
  push(jobs: ReadonlyArray<Job>): void {
    for (const job of jobs) {
      const last = this.jobs.length - 1
      if (last < this.head || this.jobs[last].priority >= job.priority) this.jobs.push(job)
      else this.jobs.splice(insertionPoint(this.jobs, this.head, job.priority), 0, job)
      this.items += job.payloads.length
    }
  }

  /** Moves the head to `head`, taking `items` items (a dispatch plan carried out). */
  take(head: number, items: number): void {
    this.head = head
    this.items -= items
    if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      this.jobs = this.jobs.slice(this.head)
      this.head = 0
    } else if (this.head >= this.jobs.length) {
      this.jobs = []
      this.head = 0
    }
  }

  /** A queued job was cancelled: its items no longer wait (dispatch skips it later). */
  drop(job: Job): void {
    this.items -= job.payloads.length
  }

  /** Empties the queue; returns the jobs that were still queued. */
  clear(): Array<Job> {
    const queued = this.jobs.slice(this.head).filter((job) => job.state === "queued")
    this.jobs = []
    this.head = 0
    this.items = 0
    return queued
  }

  /** Items of the jobs still queued, counted. */
  countItems(): number {
    let n = 0
    for (let i = this.head; i < this.jobs.length; i++) {
      if (this.jobs[i].state === "queued") n += this.jobs[i].payloads.length
    }
    return n
  }
}

/** The first index from `head` whose job has a lower priority than `priority` (the queue is sorted, highest first). */
const insertionPoint = (jobs: ReadonlyArray<Job>, head: number, priority: number): number => {
  let lo = head
  let hi = jobs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (jobs[mid].priority >= priority) lo = mid + 1
    else hi = mid
  }
  return lo
}
