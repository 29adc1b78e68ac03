/** `every`: a background loop whose runs are fibers of their own, so it does not grow for as long as it lives. */
import { assert, assertEquals } from "@std/assert"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { every } from "../../src/internal/every.ts"

Deno.test("every runs its tick at once and then after each run, each in a fiber of its own, failures ignored, until the Scope closes", () =>
  Effect.runPromise(Effect.gen(function* () {
    const scope = yield* Scope.make()
    const fibers: Array<number> = []
    let runs = 0
    const tick = Effect.withFiber((fiber) => {
      fibers.push(fiber.id)
      runs++
      // A failing run does not stop the loop.
      return runs % 2 === 0 ? Effect.fail("boom") : Effect.sleep(1)
    })
    yield* every(5, tick).pipe(Scope.provide(scope))
    assertEquals(runs, 1, "the first run starts at once")
    while (runs < 6) yield* Effect.sleep(5)
    yield* Scope.close(scope, Exit.void)
    const stoppedAt = runs
    assertEquals(new Set(fibers).size, fibers.length, "every run is a fiber of its own")
    yield* Effect.sleep(30)
    assert(runs <= stoppedAt + 1, `ran ${runs - stoppedAt} times after the Scope closed`)
  })))
