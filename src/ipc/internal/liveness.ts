/**
 * Who uses a pipe end, so that the other end can see it die. Python gets
 * end-of-file when every handle of the other end is closed, which includes
 * the death of the processes holding them; here each end records the owner
 * ids (`src/internal/owner.ts`) of the threads that have used it, and a
 * waiting `recv` (or blocked `send`) on the other side treats the end as
 * closed once all of them are known dead. A thread registers on its first
 * use of an end, not when the end is made, so the parent that made both ends
 * does not keep the child's end alive. An end used by more threads than it
 * has slots is never declared dead (the safe direction).
 *
 * @internal
 * @module
 */
import { currentOwnerId, isOwnerDead } from "../../internal/owner.ts"

const OVERFLOW = 0
const SLOTS = 16

/** How often a waiter re-checks whether the other end's users died. */
export const LIVENESS_MS = 100

/** A fresh user table. */
export const allocateUsers = (): SharedArrayBuffer => new SharedArrayBuffer((SLOTS + 1) * 4)

/** Records the calling thread as a user of the end (reusing slots of dead users). */
export const register = (users: Int32Array): void => {
  const me = currentOwnerId()
  for (let i = 1; i <= SLOTS; i++) if (Atomics.load(users, i) === me) return
  for (let i = 1; i <= SLOTS; i++) {
    const v = Atomics.load(users, i)
    if ((v === 0 || isOwnerDead(v)) && Atomics.compareExchange(users, i, v, me) === v) return
  }
  Atomics.store(users, OVERFLOW, 1)
}

/** Whether the end has had users and every one of them is dead. */
export const allGone = (users: Int32Array): boolean => {
  if (Atomics.load(users, OVERFLOW) !== 0) return false
  let any = false
  for (let i = 1; i <= SLOTS; i++) {
    const v = Atomics.load(users, i)
    if (v === 0) continue
    if (!isOwnerDead(v)) return false
    any = true
  }
  return any
}
