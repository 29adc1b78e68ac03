/**
 * The engine of `TRef` and `atomically`: software transactional memory over
 * cells that live in `SharedArrayBuffer`s, so transactions in different
 * workers exclude each other.
 *
 * ## A cell (one `SharedArrayBuffer` of 24 bytes)
 * Int32 words `[lock, version, sleepers, -]`, then the value's 8 bytes. `lock`
 * is a robust mutex word (`src/internal/mutex.ts`), held only while a commit writes the
 * cell; `version` counts the commits that changed it; `sleepers` counts
 * transactions blocked in `retry` on it.
 *
 * ## Isolation: serializable (and opaque)
 * - A read takes `version`, checks `lock` is free, reads the value, then
 *   checks `lock` and `version` again (a seqlock): a consistent value and the
 *   version it belongs to. Reads go in the journal; writes stay in the journal
 *   until commit (a transaction reads its own writes).
 * - After every new read, all earlier reads are validated (versions
 *   unchanged, no lock held). So the values a transaction sees were all
 *   current at one instant, even in an attempt that will be retried: no
 *   transaction ever sees a torn state (opacity).
 * - Commit locks the written cells in a global order (by cell id) with
 *   try-lock (on a busy cell: release all, wait for it, run again; no
 *   deadlock), then validates every read (version unchanged, not locked by
 *   another), then stores the values, bumps the versions and unlocks. Every
 *   read was current when the last write lock was taken, and no other
 *   transaction can read or commit the written cells until they are unlocked:
 *   the transaction takes effect at that instant. This is serializability;
 *   lost updates and write skew are impossible (a transaction that read a
 *   cell another one wrote since fails validation and runs again).
 * - A read-only transaction commits without locking.
 * - `retry` aborts the attempt and sleeps until a cell it read changes
 *   version (waiting on all of them at once with `Atomics.waitAsync`).
 *
 * A commit holds cell locks only inside one synchronous step (lock, validate,
 * write, unlock), and a worker is stopped only between such steps (Deno's
 * `Worker.terminate` does not interrupt synchronous code; see DESIGN.md), so
 * a commit is never left half applied by a dying worker. Should a cell lock
 * ever be found held by a dead owner anyway, the next reader takes it over.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { notifyAll, wait } from "../../internal/futex.ts"
import { allocateOwnerId, currentOwnerId, isOwnerDead, OWNER_MASK } from "../../internal/owner.ts"
import * as mutex from "../../internal/mutex.ts"
import type { Cells } from "./types.ts"

/** Int32 word indexes in a cell. */
export const LOCK = 0
export const VERSION = 1
export const SLEEPERS = 2
/** Byte offset of the value in a cell. */
export const VALUE_OFFSET = 16
/** Byte size of a cell. */
export const CELL_BYTES = 24

/** What the engine needs of a transactional cell. */
export interface Cell {
  readonly id: number
  readonly i32: Int32Array
  readonly cells: Cells
}

interface Entry {
  readonly cell: Cell
  /** The version read, or -1 for a write without a read. */
  version: number
  /** The value read (undefined for a write without a read). */
  readonly original: unknown
  value: unknown
  written: boolean
}

/** One attempt's journal, and why it stopped, if it did. */
export interface Tx {
  readonly entries: Map<number, Entry>
  signal: "retry" | "conflict" | undefined
  busy: Cell | undefined
  done: boolean
}

/** The transaction of the current fiber, if any. */
export const CurrentTx: Context.Reference<Tx | undefined> = Context.Reference<Tx | undefined>(
  "@mp/multiprocessing/shared/CurrentTx",
  { defaultValue: () => undefined },
)

const ID_SPAN = 2 ** 22
let idPrefix = 0
let idNext = ID_SPAN

/** A cell id unique across the threads of this process (the order commits lock in). */
export const nextCellId = (): number => {
  if (idNext >= ID_SPAN) {
    idPrefix = idPrefix === 0 ? currentOwnerId() : allocateOwnerId()
    idNext = 0
  }
  return idPrefix * ID_SPAN + idNext++
}

// Takes over a cell lock whose holder died (its commit may be half applied).
const stealIfDead = (cell: Cell, word: number): boolean => {
  if (!isOwnerDead(word & OWNER_MASK)) return false
  if (Atomics.compareExchange(cell.i32, LOCK, word, 0) === word) {
    Atomics.add(cell.i32, VERSION, 1)
    notifyAll(cell.i32, LOCK)
    notifyAll(cell.i32, VERSION)
  }
  return true
}

/** A consistent `{ version, value }` of the cell, or undefined while it is locked by a commit. */
export const readCell = (cell: Cell): { version: number; value: unknown } | undefined => {
  const i32 = cell.i32
  for (;;) {
    const v1 = Atomics.load(i32, VERSION)
    const l1 = Atomics.load(i32, LOCK)
    if (l1 !== 0) {
      if (stealIfDead(cell, l1)) continue
      return undefined
    }
    const value = cell.cells.load(0)
    if (Atomics.load(i32, LOCK) === 0 && Atomics.load(i32, VERSION) === v1) return { version: v1, value }
  }
}

const valid = (tx: Tx, except?: Cell): boolean => {
  for (const e of tx.entries.values()) {
    if (e.version < 0 || e.cell === except) continue
    const i32 = e.cell.i32
    if (Atomics.load(i32, VERSION) !== e.version) return false
    const l = Atomics.load(i32, LOCK)
    if (l !== 0) {
      tx.busy = e.cell
      return false
    }
  }
  return true
}

const abort = (tx: Tx, signal: "retry" | "conflict", busy?: Cell): Effect.Effect<never> => {
  tx.signal = signal
  if (busy !== undefined) tx.busy = busy
  return Effect.interrupt
}

/** Reads `cell` in `tx`. */
export const txRead = (tx: Tx, cell: Cell): Effect.Effect<unknown> => {
  const known = tx.entries.get(cell.id)
  if (known !== undefined) return Effect.succeed(known.value)
  const r = readCell(cell)
  if (r === undefined) return abort(tx, "conflict", cell)
  tx.entries.set(cell.id, { cell, version: r.version, original: r.value, value: r.value, written: false })
  if (!valid(tx, cell)) return abort(tx, "conflict")
  return Effect.succeed(r.value)
}

/** Writes `value` to `cell` in `tx` (validated by the caller). */
export const txWrite = (tx: Tx, cell: Cell, value: unknown): void => {
  const known = tx.entries.get(cell.id)
  if (known !== undefined) {
    known.value = value
    known.written = true
  } else {
    tx.entries.set(cell.id, { cell, version: -1, original: undefined, value, written: true })
  }
}

/** Tries to commit; returns false when the attempt must run again (`tx.busy` may name a cell to wait for). */
const commit = (tx: Tx): boolean => {
  const writes: Array<Entry> = []
  for (const e of tx.entries.values()) {
    if (e.written && (e.version < 0 || !Object.is(e.value, e.original))) writes.push(e)
  }
  // Read-only: every read was validated against the earlier ones, so they were all current at once.
  if (writes.length === 0) return true
  writes.sort((a, b) => a.cell.id - b.cell.id)
  let locked = 0
  for (; locked < writes.length; locked++) {
    const r = mutex.tryLockRobust(writes[locked].cell.i32, LOCK)
    if (r === mutex.BUSY) {
      tx.busy = writes[locked].cell
      break
    }
  }
  const ok = locked === writes.length && validLocked(tx)
  if (ok) {
    for (const w of writes) {
      w.cell.cells.store(0, w.value)
      Atomics.add(w.cell.i32, VERSION, 1)
    }
  }
  for (let i = 0; i < locked; i++) {
    const i32 = writes[i].cell.i32
    mutex.unlock(i32, LOCK)
    if (ok && Atomics.load(i32, SLEEPERS) > 0) notifyAll(i32, VERSION)
  }
  return ok
}

// Validation while holding the write locks: a read cell may be locked by us.
const validLocked = (tx: Tx): boolean => {
  const me = currentOwnerId()
  for (const e of tx.entries.values()) {
    if (e.version < 0) continue
    const i32 = e.cell.i32
    if (Atomics.load(i32, VERSION) !== e.version) return false
    const l = Atomics.load(i32, LOCK)
    if (l !== 0 && !(e.written && (l & OWNER_MASK) === me)) {
      tx.busy = e.cell
      return false
    }
  }
  return true
}

// Sleeps until one of the cells the attempt read changes version.
const awaitChange = (tx: Tx): Effect.Effect<void> => {
  const reads: Array<Entry> = []
  for (const e of tx.entries.values()) if (e.version >= 0) reads.push(e)
  if (reads.length === 0) {
    return Effect.die(new Error("retry in a transaction that read no TRef would wait forever"))
  }
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      for (const e of reads) Atomics.add(e.cell.i32, SLEEPERS, 1)
    }),
    () => Effect.raceAll(reads.map((e) => wait(e.cell.i32, VERSION, e.version))),
    () =>
      Effect.sync(() => {
        for (const e of reads) Atomics.sub(e.cell.i32, SLEEPERS, 1)
      }),
  )
}

/** Runs `body` as a transaction (or as part of the current one). */
export const atomically = <A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const outer = fiber.getRef(CurrentTx)
    if (outer !== undefined && !outer.done) return body
    const tx: Tx = { entries: new Map(), signal: undefined, busy: undefined, done: false }
    return Effect.uninterruptibleMask((restore) => {
      const attempt = Effect.exit(restore(Effect.provideService(body, CurrentTx, tx)))
      const loop: Effect.Effect<A, E, R> = Effect.flatMap(attempt, (exit): Effect.Effect<A, E, R> => {
        const signal = tx.signal
        if (signal !== undefined && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
          return Effect.andThen(rerun(tx, signal, restore), loop)
        }
        if (Exit.isSuccess(exit) && !commit(tx)) return Effect.andThen(rerun(tx, "conflict", restore), loop)
        tx.done = true
        tx.entries.clear()
        return exit
      })
      return loop
    })
  })

const rerun = (
  tx: Tx,
  signal: "retry" | "conflict",
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
): Effect.Effect<void> => {
  const busy = tx.busy
  const pause = signal === "retry"
    ? restore(awaitChange(tx))
    : busy !== undefined
    ? mutex.awaitFree(busy.i32, LOCK, restore)
    : Effect.yieldNow
  return Effect.ensuring(
    pause,
    Effect.sync(() => {
      tx.entries.clear()
      tx.signal = undefined
      tx.busy = undefined
    }),
  )
}

/** Aborts the current attempt; it runs again once a cell it read changes. */
export const retry: Effect.Effect<never> = Effect.withFiber((fiber) => {
  const tx = fiber.getRef(CurrentTx)
  if (tx === undefined || tx.done) return Effect.die(new Error("retry used outside atomically"))
  return abort(tx, "retry")
})
