/**
 * Separate calls travel together when they have to wait: an `apply` or
 * `submit` that finds every worker of the cluster busy joins the other
 * waiting calls of the same task and settings, and when a worker frees, up to
 * a fair share of them (`ceil(waiting / (4 × workers))`, at most
 * `MAX_GROUP`) go to it as one chunk, as `map` sends chunks. A call that
 * finds a free worker goes alone, at once (a sequential caller pays nothing).
 *
 * A call interrupted while it waits leaves the group; one interrupted after
 * its chunk left drops its result, and the chunk is interrupted on the
 * runner once every call in it is gone.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { Slot } from "./capacity.ts"

/** The most calls one chunk carries. */
export const MAX_GROUP = 1_000

type AnyExit = Exit.Exit<unknown, unknown>

interface Member {
  readonly payload: unknown
  readonly since: number | undefined
  readonly settle: (exit: AnyExit) => void
  /** The chunk it left in; `undefined` while it waits. */
  group: Group | undefined
  gone: boolean
}

interface Group {
  readonly members: ReadonlyArray<Member>
  fiber: Fiber.Fiber<void> | undefined
  left: number
}

/** Sends a group's payloads on a worker already held: one exit per payload, never fails. */
export type SendGroup = (
  slot: Slot,
  payloads: ReadonlyArray<unknown>,
  since: number | undefined,
) => Effect.Effect<Array<AnyExit>>

interface Bucket {
  members: Array<Member>
  /** A request for a worker is pending for this bucket. */
  asking: boolean
  readonly send: SendGroup
}

/** What the coalescer needs from the dispatcher. */
export interface CoalesceOptions {
  /** Whether a worker is free now (a call then goes alone). */
  readonly free: () => boolean
  /** The cluster's workers now. */
  readonly workers: () => number
  /** The most calls of the group `key` one chunk may carry (so that their results fit one reply). */
  readonly maxShare: (key: string) => number
  /** Waits for a free worker (highest priority first) and holds it while `use` runs (`Capacity.withSlot`). */
  readonly onWorker: (priority: number, use: (slot: Slot) => Effect.Effect<void>) => Effect.Effect<void>
}

/** The coalescer: `one` runs a call's one payload, alone or in a group. */
export interface Coalescer {
  readonly one: (
    key: string,
    priority: number,
    payload: unknown,
    since: number | undefined,
    alone: Effect.Effect<AnyExit>,
    send: SendGroup,
  ) => Effect.Effect<AnyExit>
  /** Calls waiting in groups, and the requests for a worker those groups have pending (one per group). */
  readonly load: () => { readonly calls: number; readonly requests: number }
}

/** A coalescer whose group fibers stop with the Scope. */
export const makeCoalescer = (options: CoalesceOptions): Effect.Effect<Coalescer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const fibers = new Set<Fiber.Fiber<void>>()
    const buckets = new Map<string, Bucket>()
    yield* Effect.addFinalizer(() => Fiber.interruptAll(fibers))

    const start = (effect: Effect.Effect<void>): Fiber.Fiber<void> => {
      const fiber = runFork(effect)
      fibers.add(fiber)
      fiber.addObserver(() => fibers.delete(fiber))
      return fiber
    }

    /** Asks for a worker for `bucket`; once one is free, sends a share of its waiting calls there. */
    const ask = (key: string, bucket: Bucket, priority: number): void => {
      bucket.asking = true
      start(options.onWorker(priority, (slot) =>
        Effect.suspend(() => {
          bucket.asking = false
          bucket.members = bucket.members.filter((m) => !m.gone)
          const waiting = bucket.members.length
          if (waiting === 0) {
            buckets.delete(key)
            return Effect.void
          }
          const share = Math.min(
            MAX_GROUP,
            options.maxShare(key),
            Math.max(1, Math.ceil(waiting / (4 * Math.max(1, options.workers())))),
          )
          const members = bucket.members.splice(0, share)
          // The rest waits for the next worker.
          if (bucket.members.length > 0) ask(key, bucket, priority)
          else buckets.delete(key)
          const group: Group = { members, fiber: undefined, left: 0 }
          for (const m of members) m.group = group
          const since = members.reduce<number | undefined>(
            (at, m) => m.since === undefined ? at : at === undefined ? m.since : Math.min(at, m.since),
            undefined,
          )
          return Effect.withFiber((fiber) => {
            group.fiber = fiber as Fiber.Fiber<void>
            return Effect.map(bucket.send(slot, members.map((m) => m.payload), since), (exits) => {
              members.forEach((m, i) => {
                if (!m.gone) m.settle(exits[i])
              })
            })
          })
        })))
    }

    const one: Coalescer["one"] = (key, priority, payload, since, alone, send) =>
      Effect.suspend(() => {
        const bucket = buckets.get(key)
        if (bucket === undefined && options.free()) return alone
        return Effect.callback<AnyExit>((resume) => {
          const member: Member = {
            payload,
            since,
            settle: (exit) => resume(Effect.succeed(exit)),
            group: undefined,
            gone: false,
          }
          let b = bucket
          if (b === undefined) {
            b = { members: [], asking: false, send }
            buckets.set(key, b)
          }
          b.members.push(member)
          if (!b.asking) ask(key, b, priority)
          // Interrupted: leave the bucket, or the chunk (interrupting it once every call in it is gone).
          return Effect.suspend(() => {
            member.gone = true
            const group = member.group
            if (group === undefined || ++group.left < group.members.length || group.fiber === undefined) {
              return Effect.void
            }
            return Fiber.interrupt(group.fiber)
          })
        })
      })

    return {
      one,
      load: () => {
        let calls = 0
        let requests = 0
        for (const b of buckets.values()) {
          for (const m of b.members) if (!m.gone) calls++
          if (b.asking) requests++
        }
        return { calls, requests }
      },
    }
  })
