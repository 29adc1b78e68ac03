import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { assertEquals } from "@std/assert"
import { int32s, test } from "../support/mod.ts"
import * as spinning from "../fixtures/spinning_import.ts"

test(
  "A worker thread terminated while it still loads its task module never runs the task (Deno runs the import's continuation anyway)",
  () =>
    Effect.gen(function* () {
      const flag = int32s(1)
      const channel = new BroadcastChannel("mp-spinning-import")
      const loading = Effect.callback<void>((resume) => {
        channel.onmessage = () => resume(Effect.void)
      })
      yield* Effect.scoped(Effect.gen(function* () {
        const p = yield* mp.Process.spawn(spinning.mark, flag)
        // The worker is evaluating the task module (it spins for 1.5 s): terminate it now.
        yield* loading
        yield* p.terminate
        assertEquals(yield* p.isAlive, false)
      })).pipe(Effect.ensuring(Effect.sync(() => channel.close())))
      // The module finishes evaluating after ~1.5 s; give the continuation every chance to run.
      yield* Effect.sleep(3_000)
      assertEquals(Atomics.load(flag, 0), 0, "the terminated worker ran its task")
    }),
  { timeout: 30_000 },
)
