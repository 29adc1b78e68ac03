/**
 * Thread identities for lock ownership, and the process-wide set of dead
 * owners that makes our locks robust: a lock word records the id of the
 * thread that holds it, and a waiter that finds the holder dead takes the lock
 * over and learns it through `LockAbandoned`.
 *
 * ## Dead, or terminated but maybe still running
 *
 * A lock may be taken over only from a thread that has provably stopped:
 * otherwise the old holder could still be inside its critical section and
 * mutual exclusion would break (Deno's `Worker.terminate` does not stop a
 * busy synchronous loop, see DESIGN.md). So a gone worker is recorded in one
 * of two ways:
 *
 * - **dead** (`markOwnerDead`): it announced its own exit (an EXIT or FATAL
 *   message), or it was terminated while it ran no task (it was idle in its
 *   event loop, where termination does stop it). Its locks are taken over
 *   (`LockAbandoned` with reason `"died"`, the caller holds the lock).
 * - **may still run** (`markOwnerMayStillRun`): it was terminated while a
 *   task was in flight. Its locks are NOT taken over: an acquirer that finds
 *   one held by it fails with `LockAbandoned` with reason `"may-still-run"`
 *   and does not hold the lock. If the thread goes on and releases the lock,
 *   the lock is usable again; if it goes on and takes a free lock, acquirers
 *   see that lock held by a thread that "may still run" in the same way.
 *
 * ## What the runtime must do (the lead's part)
 *
 * 1. **When a worker is gone** (exited, crashed, closed itself, terminated:
 *    wherever the parent settles a dead worker, e.g. `WorkerClient.died`),
 *    call `markWorkerDead(workerId, mayStillRun)` in the thread that spawned
 *    it, with the same `workerId` that went into its INIT message, and
 *    `mayStillRun` true when it was terminated with a task in flight and did
 *    not announce its exit. That is all.
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
 * | then MAX_OWNERS / 32 words | may-still-run bitmap: bit `id` set when owner `id` was terminated mid-task |
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
import { globalValue } from "./global.ts"

/** Owner ids handed out from the table are below this; bits 30 and 31 of a lock word are flags. */
export const MAX_OWNERS = 1 << 20
/** Largest owner id that fits a lock word. */
export const OWNER_MASK = 0x3fffffff

const NEXT = 0
const EPOCH = 1
const BITMAP = 2
const ZOMBIES = BITMAP + MAX_OWNERS / 32
const WORDS = ZOMBIES + MAX_OWNERS / 32

interface State {
  table: Int32Array | undefined
  ownerId: number
  readonly workers: Map<number, number>
}

const state: State = globalValue<State>("owner", () => ({
  table: undefined,
  ownerId: 0,
  workers: new Map(),
}))

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
      Atomics.and(t, ZOMBIES + (id >>> 5), ~(1 << (id & 31)))
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

/** Sets the owner's bit in the bitmap that starts at word `region`, and wakes whoever watches the epoch. */
const markOwner = (region: number, ownerId: number): void => {
  if (ownerId <= 0 || ownerId >= MAX_OWNERS) return
  const t = table()
  Atomics.or(t, region + (ownerId >>> 5), 1 << (ownerId & 31))
  Atomics.add(t, EPOCH, 1)
  Atomics.notify(t, EPOCH)
}

/** Records that the thread with this owner id is gone; its locks become abandoned. */
export const markOwnerDead = (ownerId: number): void => markOwner(BITMAP, ownerId)

/**
 * Records that the thread with this owner id was terminated while it ran a
 * task and may still be running: its locks are never taken over.
 */
export const markOwnerMayStillRun = (ownerId: number): void => markOwner(ZOMBIES, ownerId)

const bit = (base: number, ownerId: number): boolean => {
  if (ownerId <= 0 || ownerId >= MAX_OWNERS) return false
  const t = state.table
  if (t === undefined) return false
  return (Atomics.load(t, base + (ownerId >>> 5)) & (1 << (ownerId & 31))) !== 0
}

/** Whether the thread with this owner id is known to have stopped (its locks may be taken over). */
export const isOwnerDead = (ownerId: number): boolean => bit(BITMAP, ownerId) && !bit(ZOMBIES, ownerId)

/** Whether the thread with this owner id was terminated mid-task and may still be running. */
export const isOwnerMayStillRun = (ownerId: number): boolean => bit(ZOMBIES, ownerId)

/** The death epoch (changes whenever an owner is marked dead). */
export const deathEpoch = (): number => (state.table === undefined ? 0 : Atomics.load(state.table, EPOCH))

/** The owner id given to one of this thread's workers, if any. */
export const ownerIdOfWorker = (workerId: number): number | undefined => state.workers.get(workerId)

/**
 * Parent side: the worker with this id (as sent in its INIT message) is gone.
 * With `mayStillRun` false (it announced its exit, or was terminated with no
 * task in flight) every lock it held becomes abandoned and is taken over by
 * the next acquirer. With `mayStillRun` true (terminated with a task in
 * flight: its thread may still be running) its locks are never taken over;
 * acquirers fail with `LockAbandoned` (`"may-still-run"`). Idempotent.
 */
export const markWorkerDead = (workerId: number, mayStillRun: boolean = false): void => {
  const ownerId = state.workers.get(workerId)
  if (ownerId === undefined) return
  state.workers.delete(workerId)
  if (mayStillRun) markOwnerMayStillRun(ownerId)
  else markOwnerDead(ownerId)
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
