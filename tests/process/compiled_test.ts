/**
 * Programs compiled with `deno compile`: both hosts work, the process host
 * starts the program's own binary in worker mode (never its main module), and
 * a task module left out of the binary fails with a `TaskNotFound` that names
 * the `--include` flag.
 *
 * `deno compile` needs Deno's `denort` runtime for the target, which it
 * downloads unless `DENORT_BIN` names one. Where it cannot get it, the tests
 * that compile are skipped with the reason; the same program is then run
 * under `deno run` the way it runs as a binary.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert"
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { runAsIfCompiled } from "../../src/worker/parent/compiled.ts"
import { notEmbeddedHint } from "../../src/worker/runner/not_embedded.ts"
import { WORKER_MODE_ARG, workerModeParent } from "../../src/worker/wire/compiled.ts"
import { type ChildResult, lastJson, runChild } from "../support/child.ts"
import { errorOf, test } from "../support/mod.ts"
import * as tasks from "../fixtures/tasks.ts"

const program = new URL("../fixtures/compiled/main.ts", import.meta.url)
const root = new URL("../../", import.meta.url)

interface Report {
  readonly standalone: boolean
  readonly pid: number
  readonly threadSquares: ReadonlyArray<number>
  readonly processSquares: ReadonlyArray<number>
  readonly processWorkers: ReadonlyArray<{ readonly pid: number; readonly workerMode: boolean }>
  readonly spawnedSquare: number
  readonly processExit: { readonly tag: string; readonly exitCode?: number }
  readonly threadFailure: { readonly tag: string; readonly value: number }
  readonly processFailure: { readonly tag: string; readonly value: number }
  readonly pluginResult: {
    readonly value?: number
    readonly tag?: string
    readonly reason?: string
    readonly message?: string
  }
}

/** What every run of the fixture program must show, compiled or not. */
const assertProgramWorked = (result: ChildResult, standalone: boolean): Report => {
  assertEquals(result.code, 0, `the program failed:\n${result.stdout}\n${result.stderr}`)
  const report = lastJson<Report>(result)
  assertEquals(report.standalone, standalone)
  assertEquals(report.threadSquares, [1, 4, 9])
  assertEquals(report.processSquares, [16, 25, 36])
  assertEquals(report.spawnedSquare, 144)
  // Deno.exit in a task ends its process with that code (in a binary, from the worker's thread).
  assertEquals(report.processExit, { tag: "WorkerCrashed", exitCode: 3 })
  assertEquals(report.threadFailure, { tag: "Odd", value: 7 })
  assertEquals(report.processFailure, { tag: "Odd", value: 9 })
  assertEquals(report.processWorkers.length, 2)
  for (const worker of report.processWorkers) {
    assert(worker.pid !== report.pid, "a process worker runs in a process of its own")
    assert(worker.workerMode, "a process worker is the program's executable started in worker mode")
  }
  // The main module's body ran in the program, and in none of its process workers (Pool's or Process.spawn's).
  assertEquals(result.stdout.split("\n").filter((line) => line === "main body ran").length, 1, result.stdout)
  return report
}

Deno.test("A compiled program's process workers run its own executable in worker mode, never its main module's body", async () => {
  // `deno run` standing in for the binary: the process host starts `deno run -A main.ts <worker mode>`.
  const result = await runChild(program, ["--as-if-compiled"], 60_000)
  const report = assertProgramWorked(result, false)
  assertEquals(report.pluginResult, { value: 2 })
})

Deno.test("A compiled program started in worker mode ends with code 0 and no error when its parent lets it go", async () => {
  // As the process host starts it (the program's executable, worker mode, this pid); stdin closes at once.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", program.pathname, WORKER_MODE_ARG, String(Deno.pid)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output()
  const stdout = new TextDecoder().decode(out.stdout)
  const stderr = new TextDecoder().decode(out.stderr)
  // The worker thread's exit ends the process: the main thread never reports its held module graph.
  assertEquals({ code: out.code, stderr }, { code: 0, stderr: "" })
  assert(!stdout.includes("main body ran"), stdout)
})

// ---- the real thing, where `deno compile` can get its runtime ----

/** Why `deno compile` cannot run here, or `undefined` when it can. */
const compileUnavailable = async (): Promise<string | undefined> => {
  const dir = await Deno.makeTempDir({ prefix: "mp-compile-probe-" })
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, "console.log(1)\n")
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--quiet", "--output", `${dir}/probe`, `${dir}/probe.ts`],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output()
    if (out.success) return undefined
    // deno-lint-ignore no-control-regex
    const stderr = new TextDecoder().decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "")
    // Its causes say why ("Setting up base binary", then the download that failed).
    const causes = stderr.split("\n").filter((l) => /^\s+\d+: /.test(l)).map((l) => l.replace(/^\s+\d+: /, ""))
    const why = causes.length > 0 ? causes.slice(0, 2).join(": ") : stderr.trim().split("\n")[0] ?? `exit ${out.code}`
    return `deno compile cannot get its runtime (denort ${Deno.version.deno}) here: ${why}. ` +
      `To run these tests, set DENORT_BIN to the path of the denort binary of Deno ${Deno.version.deno} for ` +
      `${Deno.build.target} (from the denort-${Deno.build.target}.zip of that release), or let deno compile ` +
      `download it once (it keeps it in DENO_DIR)`
  } catch (e) {
    return `deno compile could not be run: ${e}`
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {})
  }
}

const unavailable = await compileUnavailable()
if (unavailable !== undefined) console.warn(`SKIPPED (compiled_test.ts, the tests that compile): ${unavailable}`)

/** Compiles the fixture program into `dir` with `extra` flags, runs it, and returns what it printed. */
const compileAndRun = async (dir: string, extra: ReadonlyArray<string>): Promise<ChildResult> => {
  const binary = `${dir}/app`
  const compiled = await new Deno.Command(Deno.execPath(), {
    args: ["compile", "--quiet", "-A", ...extra, "--output", binary, program.pathname],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output()
  assert(compiled.success, `deno compile failed: ${new TextDecoder().decode(compiled.stderr)}`)
  const start = performance.now()
  const run = await new Deno.Command(binary, {
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output()
  return {
    code: run.code,
    stdout: new TextDecoder().decode(run.stdout),
    stderr: new TextDecoder().decode(run.stderr),
    timedOut: false,
    elapsedMs: performance.now() - start,
  }
}

Deno.test({
  name:
    "deno compile: a compiled program maps on a thread pool and a process pool, and its task failures keep their types",
  ignore: unavailable !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mp-compiled-" })
    try {
      // No --include: the worker entries are found without it; plugin.ts (named by URL only) is left out.
      const report = assertProgramWorked(await compileAndRun(dir, []), true)
      assertEquals(report.pluginResult.tag, "TaskNotFound")
      // The module's path inside the binary (relative to the directory deno compile embedded from).
      assertStringIncludes(report.pluginResult.reason ?? "", "deno compile --include ")
      assertStringIncludes(report.pluginResult.reason ?? "", "tests/fixtures/compiled/plugin.ts")
      assertStringIncludes(report.pluginResult.message ?? "", "add the module to the compiled program")
      // With the flag the error named, the task runs.
      const included = assertProgramWorked(
        await compileAndRun(dir, ["--include", "tests/fixtures/compiled/plugin.ts"]),
        true,
      )
      assertEquals(included.pluginResult, { value: 2 })
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {})
    }
  },
})

// ---- the parts that need no binary ----

Deno.test("Worker mode is recognised by its argument, after any arguments baked in by deno compile", () => {
  assertEquals(workerModeParent([]), undefined)
  assertEquals(workerModeParent(["serve", "--port", "80"]), undefined)
  assertEquals(workerModeParent([WORKER_MODE_ARG, "1234"]), 1234)
  assertEquals(workerModeParent(["baked", "args", WORKER_MODE_ARG, "99"]), 99)
  // An unreadable pid still means worker mode (the process's parent is then taken).
  assertEquals(workerModeParent([WORKER_MODE_ARG]), 0)
})

Deno.test("A task module missing from a compiled program is reported with the --include flag that adds it", () => {
  const missing = new TypeError("Module not found: file:///tmp/deno-compile-app/src/jobs/resize.ts")
  const hint = notEmbeddedHint("file:///tmp/deno-compile-app/src/jobs/resize.ts", missing, true)
  assertStringIncludes(hint, "deno compile --include src/jobs/resize.ts")
  // Not compiled, or another failure: the reason is left as it is.
  assertEquals(notEmbeddedHint("file:///tmp/deno-compile-app/src/jobs/resize.ts", missing, false), "")
  assertEquals(notEmbeddedHint("file:///app/jobs.ts", new SyntaxError("Unexpected token"), true), "")
  const error = new mp.TaskNotFound({
    moduleUrl: "file:///tmp/deno-compile-app/src/jobs/resize.ts",
    taskName: "resize",
    reason: `the module could not be imported: ${missing.message}${hint}`,
  })
  assertStringIncludes(error.message, "--include src/jobs/resize.ts")
  assertStringIncludes(error.message, "add the module to the compiled program with that --include flag")
})

test("In a compiled program, process workers refuse the options only deno compile can set, naming the flag", () =>
  Effect.gen(function* () {
    yield* Effect.acquireRelease(
      Effect.sync(() => runAsIfCompiled(["run", "-A", program.pathname])),
      () => Effect.sync(() => runAsIfCompiled(undefined)),
    )
    const memory = yield* Effect.exit(mp.Pool.make({ size: 1, isolation: "process", maxMemoryMb: 64 }))
    const bad = errorOf(memory) as mp.InvalidArgument
    assertEquals(bad._tag, "InvalidArgument")
    assertEquals(bad.argument, "maxMemoryMb")
    assertStringIncludes(bad.message, "--v8-flags=--max-old-space-size=64")
    const narrowed = yield* Effect.exit(mp.Pool.make({ size: 1, isolation: "process", permissions: { read: true } }))
    const refused = errorOf(narrowed) as mp.InvalidArgument
    assertEquals(refused.argument, "permissions")
    assertStringIncludes(refused.message, "permissions given to deno compile")
    // Worker threads are unaffected.
    const pool = yield* mp.Pool.make({ size: 1 })
    assertEquals(yield* pool.apply(tasks.double, 21), 42)
  }))
