/**
 * Affinity keys (`pool.apply(task, payload, { key })`): a key is bound to one
 * live worker, and the calls with that key wait in that worker's own list
 * (outside the shared queue) until it is idle. When the worker dies or
 * retires, its bindings are dropped and its waiting calls are bound again, to
 * another worker: the key moves. A broadcast's jobs wait here too, one per
 * worker, without a key: they fail with the crash when their worker dies.
 *
 * @internal
 * @module
 */
import type { Job, Slot } from "./model.ts"
import { pickKeyWorker } from "./policy.ts"

/** Keys bound to workers, and the keyed calls waiting for them. */
export class Affinity {
  private readonly keys = new Map<string, Slot>()
  private readonly pinned = new Map<Slot, Array<Job>>()
  /** Keyed calls waiting (cancelled ones leave at once). */
  count = 0

  /** The live worker a key is bound to, if any. */
  boundTo(key: string): Slot | undefined {
    const slot = this.keys.get(key)
    if (slot === undefined) return undefined
    if (slot.state === "ready" || slot.state === "starting") return slot
    return undefined
  }

  /** Keyed calls waiting for `slot`. */
  waitingFor(slot: Slot): number {
    return this.pinned.get(slot)?.length ?? 0
  }

  /** Whether `slot` has keyed calls waiting (then it takes nothing from the shared queue). */
  holds(slot: Slot): boolean {
    return this.pinned.has(slot)
  }

  /** Binds the job's key (if any: a broadcast's job has none) to `slot` and makes the job wait for it. */
  pin(job: Job, slot: Slot): void {
    if (job.key !== undefined) this.keys.set(job.key, slot)
    job.slot = slot
    const list = this.pinned.get(slot)
    if (list === undefined) this.pinned.set(slot, [job])
    else list.push(job)
    this.count++
  }

  /** The next keyed call for an idle ready `slot`, taken out of its list. */
  next(slot: Slot): Job | undefined {
    const list = this.pinned.get(slot)
    if (list === undefined) return undefined
    const job = list.shift()
    if (list.length === 0) this.pinned.delete(slot)
    if (job !== undefined) this.count--
    return job
  }

  /** The workers with keyed calls waiting. */
  workers(): IterableIterator<Slot> {
    return this.pinned.keys()
  }

  /** A waiting keyed call was cancelled: it leaves its list. Returns whether it was there. */
  drop(job: Job): boolean {
    const list = job.slot === undefined ? undefined : this.pinned.get(job.slot)
    const i = list === undefined ? -1 : list.indexOf(job)
    if (i < 0) return false
    list!.splice(i, 1)
    if (list!.length === 0) this.pinned.delete(job.slot!)
    this.count--
    job.slot = undefined
    return true
  }

  /** `slot` died or retired: its keys are unbound; returns its waiting calls (to bind again). */
  release(slot: Slot): Array<Job> {
    for (const [key, s] of this.keys) if (s === slot) this.keys.delete(key)
    const list = this.pinned.get(slot) ?? []
    this.pinned.delete(slot)
    this.count -= list.length
    for (const job of list) job.slot = undefined
    return list
  }

  /** Empties it; returns every waiting call. */
  clear(): Array<Job> {
    const all: Array<Job> = []
    for (const list of this.pinned.values()) all.push(...list)
    this.pinned.clear()
    this.keys.clear()
    this.count = 0
    return all
  }

  /**
   * The worker a new key is bound to (`pickKeyWorker` over the live `slots`: the least
   * loaded one); `undefined` when the pool, under `size`, should start a new one for it.
   */
  pick(slots: ReadonlyArray<Slot>, size: number): Slot | undefined {
    const live = slots.filter((s) => s.state === "ready" || s.state === "starting")
    const i = pickKeyWorker(
      live.map((s) => ({ load: s.client.inflightItems + this.waitingFor(s), ready: s.state === "ready" })),
      live.length < size,
    )
    return i >= 0 ? live[i] : undefined
  }

  /** Sends (`send`) each idle ready worker with keyed calls waiting the next of them. */
  dispatch(send: (slot: Slot, job: Job) => void): void {
    for (const slot of Array.from(this.workers())) {
      if (slot.state !== "ready" || slot.client.inflightItems > 0) continue
      const job = this.next(slot)
      if (job === undefined) continue
      job.slot = undefined
      slot.dispatched += job.payloads.length
      send(slot, job)
    }
  }
}
