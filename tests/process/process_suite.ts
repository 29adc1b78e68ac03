/**
 * The Process test suite, run against each host: `process_test.ts` runs it
 * with Worker threads, `process_isolation_test.ts` with child processes.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert"
import * as mp from "../../mod.ts"
import * as tasks from "../fixtures/tasks.ts"
import { test } from "../support/mod.ts"
import type { Isolation } from "../support/isolation.ts"

/** Registers every Process test for `isolation`. */
export const processSuite = (isolation: Isolation): void => {
  const name = (title: string): string => isolation === "worker" ? title : `${title} [process]`
  const spawn: typeof mp.Process.spawn = (task, ...args) =>
    mp.Process.spawn(task, ...[args[0], { ...args[1], isolation }] as unknown as typeof args)

  test(name("Process.spawn() runs a task in a worker and join returns its value"), () =>
    Effect.gen(function* () {
      const p = yield* spawn(tasks.double, 21, { name: "doubler" })
      assertEquals(p.name, "doubler")
      assertEquals(yield* p.join, 42)
      assertEquals(yield* p.exitCode, 0)
      assertEquals(yield* p.isAlive, false)
    }))

  test(name("Process.join fails with the task's typed error, same _tag and fields"), () =>
    Effect.gen(function* () {
      const p = yield* spawn(tasks.doubleChecked, 0)
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, tasks.ZeroInput)
      assertEquals(error._tag, "ZeroInput")
      assertEquals((error as tasks.ZeroInput).value, 0)
      assertEquals(yield* p.exitCode, 1)
    }))

  test(
    name("Process.join gives RemoteException with the worker's stack when the handler throws"),
    () =>
      Effect.gen(function* () {
        const p = yield* spawn(tasks.throws, "boom")
        const error = yield* Effect.flip(p.join)
        assertInstanceOf(error, mp.RemoteException)
        assertEquals(error.remoteName, "TypeError")
        assertEquals(error.remoteMessage, "boom")
        assertStringIncludes(error.remoteStack, "fixtures/tasks.ts")
      }),
  )

  test(
    name("Process.spawn() fails with SerializationError when the payload does not fit the schema"),
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(spawn(tasks.doubleChecked, "x" as unknown as number))
        assertInstanceOf(error, mp.SerializationError)
        assertEquals(error.stage, "encode-payload")
        assertEquals(mp.activeChildren().length, 0)
      }),
  )

  test(
    name("Process.spawn() fails with SerializationError when the payload cannot be cloned"),
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(spawn(tasks.double, (() => 1) as unknown as number))
        assertInstanceOf(error, mp.SerializationError)
        assertEquals(mp.activeChildren().length, 0)
      }),
  )

  test(
    name("Process.join gives SerializationError when the result does not fit the success schema"),
    () =>
      Effect.gen(function* () {
        const p = yield* spawn(tasks.badResult, 1)
        const error = yield* Effect.flip(p.join)
        assertInstanceOf(error, mp.SerializationError)
        assertEquals(error.stage, "encode-result")
      }),
  )

  test(name("Process.join gives SerializationError when the result cannot be cloned"), () =>
    Effect.gen(function* () {
      const p = yield* spawn(tasks.returnsFunction, 1)
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.SerializationError)
      assertEquals(error.stage, "encode-result")
    }))

  test(name("Process.join gives TaskNotFound for a task the module does not export"), () =>
    Effect.gen(function* () {
      const ghost = { ...tasks.double, name: "hidden" } as typeof tasks.double
      const p = yield* spawn(ghost, 1)
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.TaskNotFound)
      assertEquals(error.taskName, "hidden")
      assertStringIncludes(error.reason, "does not export")
    }))

  test(name("Process.join gives TaskNotFound naming a module that does not exist"), () =>
    Effect.gen(function* () {
      const url = new URL("../fixtures/does_not_exist.ts", import.meta.url).href
      const ghost = { ...tasks.double, moduleUrl: url } as typeof tasks.double
      const p = yield* spawn(ghost, 1)
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.TaskNotFound)
      assertEquals(error.moduleUrl, url)
      assertStringIncludes(error.reason, "could not be imported")
    }))

  test(name("Process.join gives WorkerCrashed when the worker calls Deno.exit(3)"), () =>
    Effect.gen(function* () {
      const p = yield* spawn(tasks.exitWith, 3)
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.WorkerCrashed)
      assertEquals(error.exitCode, 3)
      assertEquals(yield* p.exitCode, 3)
      assertEquals(yield* p.isAlive, false)
    }))

  test(name("Process.join gives WorkerCrashed when the worker calls self.close()"), () =>
    Effect.gen(function* () {
      const p = yield* spawn(tasks.exitWith, "close")
      const error = yield* Effect.flip(p.join)
      assertInstanceOf(error, mp.WorkerCrashed)
      assertStringIncludes(error.reason, "close()")
    }))

  test(
    name("Process.join gives WorkerCrashed when an error escapes the handler in the worker"),
    () =>
      Effect.gen(function* () {
        const p = yield* spawn(tasks.uncaught, 1)
        const error = yield* Effect.flip(p.join)
        assertInstanceOf(error, mp.WorkerCrashed)
        assertStringIncludes(error.reason, "escaped")
      }),
  )

  test(
    name("Process.terminate stops a sleeping worker: join is interrupted, exitCode is -15"),
    () =>
      Effect.gen(function* () {
        const p = yield* spawn(tasks.sleep, 60_000)
        assert(yield* p.isAlive)
        yield* p.terminate
        const exit = yield* p.await
        assert(Exit.hasInterrupts(exit))
        assertEquals(yield* p.exitCode, -15)
        assertEquals(yield* p.isAlive, false)
        assertEquals(mp.activeChildren().length, 0)
      }),
  )

  test(name("Closing the Scope of a running process leaves no worker"), () =>
    Effect.gen(function* () {
      yield* Effect.scoped(Effect.gen(function* () {
        yield* spawn(tasks.sleep, 60_000)
        assertEquals(mp.activeChildren().length, 1)
      }))
      assertEquals(mp.activeChildren().length, 0)
    }))

  test(name("Interrupting the fiber that owns a process terminates its worker"), () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(Effect.gen(function* () {
          const p = yield* spawn(tasks.sleep, 60_000)
          return yield* p.join
        })).pipe(Effect.timeout(300)),
      )
      assert(Exit.isFailure(exit))
      assertEquals(mp.activeChildren().length, 0)
    }))

  test(name("Process.spawn() rejects a value that is not a Task with InvalidArgument"), () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(spawn({} as typeof tasks.double, 1))
      assertInstanceOf(error, mp.InvalidArgument)
      assertEquals(error.argument, "task")
    }))

  test(name("Process: the handler sees the process name as the worker's name"), () =>
    Effect.gen(function* () {
      const p = yield* spawn(tasks.workerName, 0, { name: "named-one" })
      assertEquals(yield* p.join, "named-one")
    }))
}
