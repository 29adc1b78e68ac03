/**
 * Bad host options are refused up front with `InvalidArgument`, never turned
 * into children that die at start-up (and a pool that restarts them in a
 * loop), and a child process gets no more rights than it was granted.
 * Worker-thread counterparts that need `--unstable-worker-options` are in
 * `tests/faults/permissions_test.ts`.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { test } from "../support/mod.ts"

const repo = new URL("../../", import.meta.url)
const lockfile = new URL("deno.lock", repo)

/**
 * Runs `body` and puts the project's lockfile back as it was: Deno records a
 * redirect for a refused `https://jsr.io/...` import and a refused `npm:`
 * package name in the lockfile of the process that tried.
 */
const keepingLockfile = <A, E>(body: Effect.Effect<A, E, Scope.Scope>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => Deno.readTextFile(lockfile).catch(() => undefined)),
    () => Effect.scoped(body), // the children are gone before the lockfile is put back
    (text) => text === undefined ? Effect.void : Effect.promise(() => Deno.writeTextFile(lockfile, text)),
  )

/** `Pool.make` and `Process.spawn` with `options`: both must fail with InvalidArgument naming `argument`. */
const refusedByBoth = (options: mp.Pool.PoolOptions & mp.Process.SpawnOptions, argument: string, says: string) =>
  Effect.gen(function* () {
    const pool = yield* Effect.flip(mp.Pool.make({ size: 1, ...options }))
    const process = yield* Effect.flip(mp.Process.spawn(tasks.double, 1, options))
    for (const error of [pool, process]) {
      assertInstanceOf(error, mp.InvalidArgument, `${JSON.stringify(options)}: ${String(error)}`)
      assertEquals(error.argument, argument)
      assertStringIncludes(error.message, says)
    }
    assertEquals(mp.activeChildren().length, 0)
  })

test("Pool.make and Process.spawn refuse a permission entry that is empty with InvalidArgument [process]", () =>
  Effect.gen(function* () {
    for (const kind of ["read", "write", "net", "env", "run", "ffi", "import"]) {
      yield* refusedByBoth({ isolation: "process", permissions: { [kind]: [""] } }, "permissions", "empty")
      yield* refusedByBoth({ isolation: "process", permissions: { [kind]: ["  "] } }, "permissions", "empty")
    }
  }))

test("Pool.make and Process.spawn refuse a permission entry with a comma: --allow-read=/x,/etc would also grant /etc [process]", () =>
  Effect.gen(function* () {
    const cases: Array<Deno.PermissionOptionsObject> = [
      { read: [repo, "/x,/etc"] },
      { write: ["/tmp/a,/home"] },
      { net: ["127.0.0.1,example.com"] },
      { env: ["HOME,PATH"] },
      { run: ["ls,rm"] },
      { ffi: ["/x,/y"] },
      { import: ["localhost,jsr.io"] },
      { read: [new URL("file:///x,/etc")] },
    ]
    for (const permissions of cases) {
      yield* refusedByBoth({ isolation: "process", permissions }, "permissions", "comma")
    }
  }))

test("Pool.make and Process.spawn refuse permission entries Deno would refuse at start-up (bad host, port, env name, sys kind) [process]", () =>
  Effect.gen(function* () {
    for (
      const permissions of [
        { net: ["a b"] },
        { net: ["example.com:99999"] },
        { import: ["https://jsr.io/x"] },
        { env: ["A=B"] },
        { sys: ["bogus"] },
        { sys: ["umask"] },
      ] as Array<Deno.PermissionOptionsObject>
    ) {
      yield* refusedByBoth({ isolation: "process", permissions }, "permissions", "cannot grant")
    }
  }))

test(
  `Pool.make and Process.spawn refuse a maxMemoryMb below the floor of ${32} MB a child deno needs to start [process]`,
  () =>
    Effect.gen(function* () {
      for (const maxMemoryMb of [1, 8, 16, 31]) {
        yield* refusedByBoth({ isolation: "process", maxMemoryMb }, "maxMemoryMb", "at least 32")
      }
      // The floor itself runs tasks.
      const pool = yield* mp.Pool.make({ size: 1, isolation: "process", maxMemoryMb: 32 })
      assertEquals(yield* pool.map(tasks.double, [1, 2, 3]), [2, 4, 6])
      const p = yield* mp.Process.spawn(tasks.double, 4, { isolation: "process", maxMemoryMb: 32 })
      assertEquals(yield* p.join, 8)
    }),
  { timeout: 30_000 },
)

/** The hosts of Deno's default import list, and a `jsr:` specifier resolved through one. */
const remote = [
  "https://jsr.io/@std/assert/1.0.0/mod.ts",
  "https://deno.land/std@0.224.0/assert/mod.ts",
  "https://esm.sh/preact@10.0.0",
  "https://cdn.jsdelivr.net/npm/preact@10.0.0/dist/preact.module.js",
  "https://raw.githubusercontent.com/denoland/std/main/assert/mod.ts",
  "https://gist.githubusercontent.com/x/y/raw/z.ts",
  "https://example.com/mod.ts",
  "jsr:@std/assert@1.0.0",
]

/**
 * The import must be refused before any network access: by the import
 * permission, or (a host outside Deno's default list) because the child may
 * only load what is cached.
 */
const refusedImport = (error: unknown, specifier: string) => {
  assertInstanceOf(error, mp.RemoteException, `${specifier}: ${String(error)}`)
  assert(
    /Requires import access|not found in cache: .*--cached-only is specified/.test(error.message) &&
      !/error sending request|dns error|Connect/.test(error.message),
    `${specifier}: not a permission refusal: ${error.message}`,
  )
}

test(
  "A process-host task with read permission only cannot import from the network: Deno's default import hosts are refused [process]",
  () =>
    keepingLockfile(Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, isolation: "process", permissions: { read: [repo] } })
      assertEquals(yield* pool.apply(tasks.double, 1), 2) // local modules it may read load
      for (const specifier of remote) {
        refusedImport(yield* Effect.flip(pool.apply(tasks.importModule, specifier)), specifier)
      }
      const p = yield* mp.Process.spawn(tasks.importModule, remote[0], {
        isolation: "process",
        permissions: { read: [repo] },
      })
      refusedImport(yield* Effect.flip(p.join), remote[0])
    })),
  { timeout: 60_000 },
)

test(
  "A process-host task granted some import hosts may import from those only [process]",
  () =>
    keepingLockfile(Effect.gen(function* () {
      const pool = yield* mp.Pool.make({
        size: 1,
        isolation: "process",
        permissions: { read: [repo], import: ["example.com:443"] },
      })
      for (const specifier of remote.filter((s) => !s.includes("example.com"))) {
        refusedImport(yield* Effect.flip(pool.apply(tasks.importModule, specifier)), specifier)
      }
    })),
  { timeout: 60_000 },
)

test(
  "A process-host task with no import permission cannot download npm: packages [process]",
  () =>
    keepingLockfile(Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: 1, isolation: "process", permissions: { read: [repo] } })
      const error = yield* Effect.flip(pool.apply(tasks.importModule, "npm:left-pad-not-cached-here@1.3.0"))
      assertInstanceOf(error, mp.RemoteException)
      assertStringIncludes(error.message, "--cached-only")
    })),
  { timeout: 60_000 },
)
