/**
 * Fiber-inherited ownership of re-entrant locks. An `RLock` records the fiber
 * that took it (its id, in the lock's shared words). `withLock` also provides
 * a `Holds` entry for the section; Effect copies a fiber's context into every
 * fiber it forks, so the child fibers that `Effect.timeout`, `Effect.race`,
 * `Effect.all({ concurrency })` or `Effect.forkScoped` create inside the
 * section carry the entry too and count as the owner: they may re-enter the
 * lock, wait on a `Condition` over it, and release the levels they take.
 *
 * An entry names the lock by its memory (buffer and index) and the owner
 * recorded there by the acquiring fiber; it confers ownership only while the
 * lock word still records that owner on this thread. (A fiber forked inside a
 * section that outlives it therefore counts as an owner again if the fiber
 * that forked it takes the lock again: it is still that fiber's child.)
 *
 * @internal
 * @module
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** One lock held by an ancestor fiber: the owner it recorded in the lock's words. */
export interface Hold {
  readonly buffer: SharedArrayBuffer
  readonly index: number
  readonly owner: number
}

/** The locks held, inside whose sections the current fiber runs (or was forked). */
export const Holds: Context.Reference<ReadonlyArray<Hold>> = Context.Reference<ReadonlyArray<Hold>>(
  "@mp/multiprocessing/Holds",
  { defaultValue: () => [] },
)

/** The holds visible to `fiber` (the running one when omitted). */
export const holdsOf = (fiber: Fiber.Fiber<unknown, unknown> | undefined = Fiber.getCurrent()): ReadonlyArray<Hold> =>
  fiber === undefined ? [] : Context.get(fiber.context, Holds)

/** Whether `holds` has an entry for the lock at `buffer[index]` with `owner`. */
export const hasHold = (
  holds: ReadonlyArray<Hold>,
  buffer: SharedArrayBuffer,
  index: number,
  owner: number,
): boolean => {
  for (const h of holds) if (h.owner === owner && h.index === index && h.buffer === buffer) return true
  return false
}

/** Runs `effect` with `hold` added to the inherited holds (unless it is there already). */
export const withHold = <A, E, R>(
  fiber: Fiber.Fiber<unknown, unknown>,
  hold: Hold,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R> => {
  const holds = holdsOf(fiber)
  if (hasHold(holds, hold.buffer, hold.index, hold.owner)) return effect
  return Effect.provideService(effect, Holds, [...holds, hold])
}
