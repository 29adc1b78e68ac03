/**
 * The pool's job queue: jobs wait from `head` on (taking one moves the head,
 * not the array), cancelled jobs stay until dispatch skips them, and the
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

  push(jobs: ReadonlyArray<Job>): void {
    for (const job of jobs) {
      this.jobs.push(job)
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
