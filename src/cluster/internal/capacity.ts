/**
 * Dispatch like a pool: a chunk goes to the runner with the most free
 * workers (as a share of its workers), and waits at the caller while every
 * runner is full, so runners of different sizes each run as many chunks at
 * once as they have workers, and a runner that finishes sooner gets the next
 * chunk. Waiting chunks start highest `priority` first, then in order.
 *
 * The counts are this caller's own: two callers that share runners each
 * fill them, and the runners' local pools queue the excess. With no runner
 * known yet (none registered), a chunk goes out at once to a random entity
 * id, as before, and the caller's liveness check bounds its wait.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type { RunnerView } from "./placement.ts"

/** Where one chunk goes: an entity id on the chosen runner (both `undefined` when no runner is known). */
export interface Slot {
  readonly runner: string | undefined
  readonly entityId: string | undefined
}

/** The caller's free capacity across runners. */
export interface Capacity {
  /** Takes a new view of the runners (a refresh), and starts waiting chunks that now fit. */
  readonly update: (runners: ReadonlyArray<RunnerView>) => void
  /**
   * Runs `use` on a slot of the runner with the most free capacity, waiting
   * while every runner is full; the slot is freed when `use` ends, however
   * it ends.
   */
  readonly withSlot: <A, E, R>(priority: number, use: (slot: Slot) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Counts `use` against the runner `key` (a keyed call goes to its own runner) without waiting. */
  readonly withRunner: <A, E, R>(key: string | undefined, use: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Chunks running now, and waiting for a free runner. */
  readonly load: () => { readonly running: number; readonly waiting: number }
  /** Whether a chunk would start now (a runner has a free worker and nothing waits, or no runner is known). */
  readonly free: () => boolean
}

interface Runner {
  view: RunnerView
  busy: number
}

interface Waiter {
  readonly grant: (slot: Taken) => void
  cancelled: boolean
}

interface Taken extends Slot {
  readonly release: () => void
}

const NOWHERE: Taken = { runner: undefined, entityId: undefined, release: () => {} }

/** A fresh Capacity with no runner known. */
export const makeCapacity = (): Capacity => {
  let runners: Array<Runner> = []
  let running = 0
  // Waiting chunks by priority (highest first), each list in arrival order, read from `head`.
  const queues = new Map<number, { items: Array<Waiter>; head: number }>()
  let priorities: Array<number> = []
  let waiting = 0

  /** The runner with the largest share of free workers; ties go to the first (a sequential caller stays on one). */
  const pick = (): Runner | undefined => {
    let best: Runner | undefined
    let bestFree = 0
    for (const r of runners) {
      const free = (r.view.capacity - r.busy) / r.view.capacity
      if (free > bestFree) {
        best = r
        bestFree = free
      }
    }
    return best
  }

  const take = (r: Runner): Taken => {
    const entityId = r.view.entityIds[r.busy % r.view.entityIds.length]
    r.busy++
    running++
    let released = false
    return {
      runner: r.view.key,
      entityId,
      release: () => {
        if (released) return
        released = true
        r.busy-- // on a record dropped by a refresh this changes nothing that is read
        running--
        pump()
      },
    }
  }

  const nextWaiter = (): Waiter | undefined => {
    for (const p of priorities) {
      const q = queues.get(p)!
      while (q.head < q.items.length) {
        const w = q.items[q.head++]
        // Drop what was read (granted or cancelled waiters hold their fibers' callbacks).
        if (q.head === q.items.length) {
          q.items = []
          q.head = 0
        } else if (q.head > 1024 && q.head * 2 > q.items.length) {
          q.items = q.items.slice(q.head)
          q.head = 0
        }
        if (!w.cancelled) return w
      }
    }
    return undefined
  }

  /** Starts waiting chunks while some runner has a free worker (or every one, once no runner is known). */
  const pump = (): void => {
    while (waiting > 0) {
      const r = runners.length === 0 ? undefined : pick()
      if (runners.length > 0 && r === undefined) return
      const w = nextWaiter()
      if (w === undefined) return
      waiting--
      w.grant(r === undefined ? NOWHERE : take(r))
    }
  }

  const enqueue = (priority: number, w: Waiter): void => {
    let q = queues.get(priority)
    if (q === undefined) {
      q = { items: [], head: 0 }
      queues.set(priority, q)
      priorities = [...queues.keys()].sort((a, b) => b - a)
    }
    q.items.push(w)
    waiting++
  }

  const acquire = (priority: number): Effect.Effect<Taken> =>
    Effect.suspend(() => {
      if (runners.length === 0) return Effect.succeed(NOWHERE)
      const r = waiting === 0 ? pick() : undefined
      if (r !== undefined) return Effect.succeed(take(r))
      return Effect.callback<Taken>((resume) => {
        let granted: Taken | undefined
        const w: Waiter = {
          cancelled: false,
          grant: (slot) => {
            granted = slot
            resume(Effect.succeed(slot))
          },
        }
        enqueue(priority, w)
        // Interrupted while waiting: leave the queue, or hand back a slot granted in the meantime.
        return Effect.sync(() => {
          if (granted !== undefined) return granted.release()
          w.cancelled = true
          waiting--
        })
      })
    })

  return {
    update: (views) => {
      const old = new Map(runners.map((r) => [r.view.key, r]))
      runners = views.map((view) => {
        const r = old.get(view.key)
        if (r === undefined) return { view, busy: 0 }
        r.view = view
        return r
      })
      pump()
    },
    withSlot: (priority, use) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(
          restore(acquire(priority)),
          (slot) => restore(use(slot)).pipe(Effect.ensuring(Effect.sync(slot.release))),
        )
      ),
    withRunner: (key, use) =>
      Effect.suspend(() => {
        const r = key === undefined ? undefined : runners.find((x) => x.view.key === key)
        if (r === undefined) return use
        const slot = take(r)
        return Effect.ensuring(use, Effect.sync(slot.release))
      }),
    load: () => ({ running, waiting }),
    free: () => runners.length === 0 || (waiting === 0 && pick() !== undefined),
  }
}
