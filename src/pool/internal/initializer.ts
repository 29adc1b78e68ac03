/**
 * The initializer of a new worker: sent as the worker's first chunk, with the
 * pool's load deadline. It makes the worker ready, or breaks the pool: an
 * initializer that fails, never loads, or kills its worker would do the same
 * in every replacement.
 *
 * @internal
 * @module
 */
import { clearTimer, setTimer } from "../../internal/timer.ts"
import { describeInitOutcome } from "../../worker/parent/outcome.ts"
import type { Initializer, Slot } from "./model.ts"

/** What the initializer's outcome does to the pool. */
export interface InitializerEvents {
  /** It succeeded: the worker is ready. */
  readonly ready: () => void
  /** It failed (`reason` says how): the pool is broken. */
  readonly broken: (reason: string) => void
  /** Whether its outcome no longer matters (the pool closed or broke, the worker is ready or dead). */
  readonly moot: () => boolean
}

/** Runs `init` on the worker of `slot` (which is "starting"); arms `slot.initTimer` while its module loads. */
export const runInitializer = (
  slot: Slot,
  init: Initializer,
  loadMs: number | undefined,
  on: InitializerEvents,
): void => {
  try {
    slot.client.runMany([{
      moduleUrl: init.task.moduleUrl,
      taskName: init.task.name,
      payloads: [init.payload],
      reportStart: loadMs !== undefined,
      handler: {
        onStarted: () => {
          slot.initTimer = clearTimer(slot.initTimer)
        },
        onResults: (_i, kinds, values) => {
          slot.initTimer = clearTimer(slot.initTimer)
          const failure = describeInitOutcome(kinds[0], values[0])
          if (failure === undefined) on.ready()
          else on.broken(`the initializer failed: ${failure}`)
        },
        // A worker that dies during its initializer (it exited, crashed) would die again in its
        // replacement: break the pool rather than restart workers forever.
        onLost: (crash) => {
          slot.initTimer = clearTimer(slot.initTimer)
          if (on.moot()) return
          on.broken(`the initializer failed: the worker died while running it: ${crash.reason}`)
        },
      },
    }])
    // An initializer whose module never loads would keep every task waiting: break the pool instead.
    if (loadMs !== undefined) {
      slot.initTimer = setTimer(() => {
        slot.initTimer = undefined
        if (on.moot()) return
        on.broken(
          `the initializer ${init.task.name} did not start within ${loadMs} ms: ` +
            `its module did not finish loading in the worker (loadTimeout)`,
        )
      }, loadMs)
    }
  } catch (e) {
    on.broken(`the initializer failed: the initializer's payload cannot be cloned: ${String(e)}`)
  }
}
