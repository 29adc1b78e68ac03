/**
 * Thread identities for lock ownership, and the process-wide set of dead
 * owners that makes our locks robust: a lock word records the id of the
 * thread that holds it, and a waiter that finds the holder dead takes the lock
 * over and learns it through `LockAbandoned`.
 *
 * ## What the runtime must do (the lead's part)
 *
 * 1. **When a worker is gone** (exited, crashed, closed itself, terminated:
 *    wherever the parent settles a dead worker, e.g. `WorkerClient.died`),
 *    call `markWorkerDead(workerId)` in the thread that spawned it, with the
 *    same `workerId` that went into its INIT message. That is all.
 *
 * Everything else is wired through `src/internal/worker_init.ts`, which this
 * module registers with when it loads: in the parent, a provider allocates a
 * fresh owner id for every new worker and sends `{ table, ownerId }` in the
 * INIT extras under `"mp/owner"` (and remembers `workerId -> ownerId`); in the
 * worker, a hook calls `installOwnerTable(table, ownerId)`. The lower-level
 * `ownerTableBuffer`, `installOwnerTable`, `allocateOwnerId` and
 * `markOwnerDead` are exported for hosts that do not use that seam.
 *
 * ## Layout of the owner table (one `SharedArrayBuffer`, Int32 words)
 *
 * | word | meaning |
 * | --- | --- |
 * | 0 | next owner id to hand out (the creating thread took 1) |
 * | 1 | death epoch: incremented (and notified) by every `markOwnerDead` |
 * | 2 .. 2 + MAX_OWNERS / 32 | dead bitmap: bit `id` set when owner `id` died |
 *
 * Ids are in `1 .. MAX_OWNERS - 1` and wrap around after that (the dead bit
 * of a reused id is cleared when it is handed out again; a lock still held by
 * the dead first user of that id then looks held by a live thread, so wrap
 * needs about a million workers spawned over one process's life). A thread
 * that never received a table (not started by our runtime) uses a random id
 * in `MAX_OWNERS .. 2^30 - 1`, which is never reported dead.
 *
 * @internal
 * @module
 */
import { registerInitHook, registerInitProvider } from "./worker_init.ts"

/** Owner ids handed out from the table are below this; bits 30 and 31 of a lock word are flags. */
export const MAX_OWNERS = 1 << 20
/** Largest owner id that fits a lock word. */
export const OWNER_MASK = 0x3fffffff

const NEXT = 0
const EPOCH = 1
const BITMAP = 2
const WORDS = BITMAP + MAX_OWNERS / 32

interface State {
  table: Int32Array | undefined
  ownerId: number
  readonly workers: Map<number, number>
}

const KEY = Symbol.for("@mp/multiprocessing/owner")
const state: State = ((globalThis as Record<symbol, unknown>)[KEY] ??= {
  table: undefined,
  ownerId: 0,
  workers: new Map(),
}) as State

const isWorkerScope: boolean = typeof (globalThis as Record<string, unknown>).WorkerGlobalScope === "function"

const table = (): Int32Array => {
  if (state.table === undefined) {
    const t = new Int32Array(new SharedArrayBuffer(WORDS * 4))
    t[NEXT] = 2
    state.table = t
    if (state.ownerId === 0 && !isWorkerScope) state.ownerId = 1
  }
  return state.table
}

/** The owner table of this process, created on first use in the thread that first asks. */
export const ownerTableBuffer = (): SharedArrayBuffer => table().buffer as SharedArrayBuffer

/** Worker side: adopts the parent's table and the id it allocated for this thread. */
export const installOwnerTable = (sab: SharedArrayBuffer, ownerId: number): void => {
  state.table = new Int32Array(sab)
  state.ownerId = ownerId
}

/** Hands out a fresh owner id from the table (for a thread about to start). */
export const allocateOwnerId = (): number => {
  const t = table()
  for (;;) {
    const id = Atomics.add(t, NEXT, 1)
    if (id >= 2 && id < MAX_OWNERS) {
      Atomics.and(t, BITMAP + (id >>> 5), ~(1 << (id & 31)))
      return id
    }
    // Wrap around (only one thread wins the reset; the others retry).
    Atomics.compareExchange(t, NEXT, id + 1, 2)
  }
}

/** This thread's owner id: a non-zero int32 below 2^30, unique among live threads. */
export const currentOwnerId = (): number => {
  if (state.ownerId === 0) {
    if (!isWorkerScope) table()
    else state.ownerId = MAX_OWNERS + Math.floor(Math.random() * (OWNER_MASK - MAX_OWNERS))
  }
  return state.ownerId
}

/** Records that the thread with this owner id is gone; its locks become abandoned. */
export const markOwnerDead = (ownerId: number): void => {
  if (ownerId <= 0 || ownerId >= MAX_OWNERS) return
  const t = table()
  Atomics.or(t, BITMAP + (ownerId >>> 5), 1 << (ownerId & 31))
  Atomics.add(t, EPOCH, 1)
  Atomics.notify(t, EPOCH)
}

/** Whether the thread with this owner id is known to be dead. */
export const isOwnerDead = (ownerId: number): boolean => {
  if (ownerId <= 0 || ownerId >= MAX_OWNERS) return false
  const t = state.table
  if (t === undefined) return false
  return (Atomics.load(t, BITMAP + (ownerId >>> 5)) & (1 << (ownerId & 31))) !== 0
}

/** The death epoch (changes whenever an owner is marked dead). */
export const deathEpoch = (): number => (state.table === undefined ? 0 : Atomics.load(state.table, EPOCH))

/** The owner id given to one of this thread's workers, if any. */
export const ownerIdOfWorker = (workerId: number): number | undefined => state.workers.get(workerId)

/**
 * Parent side: the worker with this id (as sent in its INIT message) is gone.
 * Every lock it held becomes abandoned. Idempotent.
 */
export const markWorkerDead = (workerId: number): void => {
  const ownerId = state.workers.get(workerId)
  if (ownerId === undefined) return
  state.workers.delete(workerId)
  markOwnerDead(ownerId)
}

/** The key of the owner table in a worker's INIT extras. */
export const INIT_KEY = "mp/owner"

interface OwnerInit {
  readonly table: SharedArrayBuffer
  readonly ownerId: number
}

registerInitProvider(INIT_KEY, (workerId): OwnerInit => {
  const ownerId = allocateOwnerId()
  state.workers.set(workerId, ownerId)
  return { table: ownerTableBuffer(), ownerId }
})

registerInitHook(INIT_KEY, (value) => {
  const init = value as OwnerInit
  installOwnerTable(init.table, init.ownerId)
})
