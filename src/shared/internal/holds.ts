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

/** One lock held by an ancestor fiber: the owner it recorded in the lock's words; `next` is the rest of the list. */
export interface Hold {
  readonly buffer: SharedArrayBuffer
  readonly index: number
  readonly owner: number
  readonly next: Hold | undefined
}

/** The locks held, inside whose sections the current fiber runs (or was forked): a list, newest first. */
export const Holds: Context.Reference<Hold | undefined> = Context.Reference<Hold | undefined>(
  "@mp/multiprocessing/Holds",
  { defaultValue: () => undefined },
)

/** The holds visible to `fiber` (the running one when omitted). */
export const holdsOf = (fiber: Fiber.Fiber<unknown, unknown> | undefined = Fiber.getCurrent()): Hold | undefined =>
  fiber === undefined ? undefined : Context.get(fiber.context, Holds)

/** Whether `holds` has an entry for the lock at `buffer[index]` with `owner`. */
export const hasHold = (
  holds: Hold | undefined,
  buffer: SharedArrayBuffer,
  index: number,
  owner: number,
): boolean => {
  for (let h = holds; h !== undefined; h = h.next) {
    if (h.owner === owner && h.index === index && h.buffer === buffer) return true
  }
  return false
}

/** Runs `effect` with the lock at `buffer[index]` held for `owner` added to `fiber`'s holds (unless there already). */
export const withHold = <A, E, R>(
  fiber: Fiber.Fiber<unknown, unknown>,
  buffer: SharedArrayBuffer,
  index: number,
  owner: number,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R> => {
  const holds = holdsOf(fiber)
  if (hasHold(holds, buffer, index, owner)) return effect
  const hold: Hold = { buffer, index, owner, next: holds }
  // `updateContext` rather than `provideService`: one closure, no curried wrapper per call (withLock's hot path).
  return Effect.updateContext(effect, (context: Context.Context<R>) => Context.add(context, Holds, hold))
}
