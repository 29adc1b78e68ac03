/**
 * Lean workers: a worker loads only what its tasks need, and the graph a new
 * worker loads (and type-checks under `deno test`) before its first task is
 * small and free of `effect`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { assert, assertEquals } from "@std/assert"
import * as mp from "../../mod.ts"
import { recordingTracer, test, testAsync } from "../support/mod.ts"
import { runChild } from "../support/child.ts"
import { leanDouble, leanEffect, leanHalf, leanRead } from "../fixtures/lean_tasks.ts"
import { echo as slowEcho } from "../fixtures/slow_import.ts"

interface InfoDependency {
  readonly code?: { readonly specifier: string }
  readonly type?: { readonly specifier: string }
  readonly isDynamic?: boolean
}
interface InfoModule {
  readonly specifier: string
  readonly dependencies?: ReadonlyArray<InfoDependency>
}

/** The modules of `deno info --json <path>`: everything Deno loads and type-checks from that root. */
const graphOf = async (path: string): Promise<ReadonlyArray<InfoModule>> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(path, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output()
  assert(out.success, new TextDecoder().decode(out.stderr))
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: ReadonlyArray<InfoModule> }).modules
}

/** The modules evaluated when `root` is imported: static code imports only (no types, no dynamic imports). */
const evaluatedFrom = (modules: ReadonlyArray<InfoModule>, root: string): Set<string> => {
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]))
  const seen = new Set<string>()
  const walk = (specifier: string): void => {
    if (seen.has(specifier)) return
    seen.add(specifier)
    for (const d of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (d.code !== undefined && d.isDynamic !== true) walk(d.code.specifier)
    }
  }
  walk(root)
  return seen
}

const fromEffect = (specifier: string): boolean => specifier.startsWith("npm:")

testAsync(
  "the worker entry's whole graph (what a new worker loads, and type-checks under deno test) is a few small modules, none of effect",
  async () => {
    const modules = await graphOf("../../src/worker/runner/entry.ts")
    const names = modules.map((m) => m.specifier)
    assertEquals(names.filter(fromEffect), [])
    assert(names.length <= 30, `${names.length} modules: ${names.join(" ")}`)
  },
)

testAsync("importing @mp/multiprocessing/task evaluates no effect module", async () => {
  const modules = await graphOf("../../src/task/mod.ts")
  const root = new URL("../../src/task/mod.ts", import.meta.url).href
  assertEquals([...evaluatedFrom(modules, root)].filter(fromEffect), [])
})

test("a lean task module's tasks run in workers: a plain handler, an Effect handler, schemas and a shared value", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    assertEquals(yield* pool.apply(leanDouble, 21), 42)
    assertEquals(yield* pool.apply(leanEffect, 41), 42)
    assertEquals(yield* pool.apply(leanHalf, 84), 42)
    const bad = yield* Effect.flip(pool.apply(leanHalf, "84" as unknown as number))
    assertEquals(bad._tag, "SerializationError")
    const value = yield* mp.Value.make("i32", 42)
    assertEquals(yield* pool.apply(leanRead, value), 42)
  }))

test("a fresh worker loads its Effect side for the first Effect handler and for a traced call of a plain one", () =>
  Effect.gen(function* () {
    const { spans, tracer } = recordingTracer()
    const first = yield* mp.Pool.make({ size: 1 })
    assertEquals(yield* first.map(leanEffect, [1, 2, 3]), [2, 3, 4])
    const second = yield* mp.Pool.make({ size: 1 })
    assertEquals(yield* second.apply(leanDouble, 4).pipe(Effect.withTracer(tracer)), 8)
    const call = spans.find((s) => s.name === "Pool.apply leanDouble")
    const worker = spans.find((s) => s.name === "Pool.worker leanDouble")
    assert(call !== undefined && worker !== undefined, `spans: ${spans.map((s) => s.name)}`)
    assertEquals(Option.getOrUndefined(worker.parent)?.spanId, call.spanId)
  }))

test("a fresh worker runs a shared value's task even when a map sends it many at once", () =>
  Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const values = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) => mp.Value.make("i32", n))
    assertEquals(yield* pool.map(leanRead, values, { chunkSize: 2 }), [1, 2, 3, 4, 5, 6])
  }))

testAsync("Task.make throws the library's InvalidArgument in a program that imported only the task entry", async () => {
  const result = await runChild(new URL("../fixtures/lean_task_only.ts", import.meta.url), [], 30_000)
  assert(!result.timedOut, result.stderr)
  assertEquals(result.code, 0, result.stderr)
  assertEquals(JSON.parse(result.stdout.trim().split("\n").pop() ?? ""), {
    isInvalidArgument: true,
    argument: "moduleUrl",
  })
})

test(
  "a task interrupted while its module still loads in a fresh worker does not cost the worker: its grace period starts once the load is over",
  () =>
    Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, interruptGrace: 300 })
      yield* pool.ready
      const gaveUp = yield* pool.apply(slowEcho, 1).pipe(Effect.timeout(100), Effect.exit)
      assert(gaveUp._tag === "Failure")
      // Answered once the module has loaded (~1.5 s): the same worker then serves.
      assertEquals(yield* pool.apply(slowEcho, 2), 2)
      const stats = yield* pool.stats
      assertEquals(stats.workersReplaced, 0)
      assertEquals(stats.interrupted, 1)
    }),
  { timeout: 30_000 },
)
