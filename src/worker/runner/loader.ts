/**
 * Finds a task in its worker: imports the module that defines it (once per
 * module, behind the main-module guard) and looks the task up by name. A task
 * with schemas is returned once `effect/Schema` is loaded (with the library's
 * errors, `errors.ts`); a worker whose tasks have none never loads it.
 *
 * @internal
 * @module
 */
import { guardedImport, refusalOf } from "../../internal/import_guard.ts"
import { errorMessage } from "../../internal/error_message.ts"
import { hasTaskBrand, type TaskShape } from "../../task/brand.ts"
import { hasSchemaCompiler, hasSchemas } from "../../task/codec.ts"
import { notEmbeddedHint } from "./not_embedded.ts"

// By URL, not a literal specifier, like `effects.ts`; the program imports it statically anyway.
const ERRORS = new URL("../../errors.ts", import.meta.url).href

/** A task, or why it cannot run (its module could not be imported, or does not export it). */
export type Found = TaskShape | string

/** A loader with its own caches: the task at once when known, else a Promise of it. */
export type Loader = (moduleUrl: string, name: string) => Found | Promise<Found>

/**
 * Makes a loader (one per runtime). `afterLoad` runs once a task module is
 * imported and may return what to wait for before its tasks count as loaded
 * (the runtime loads its Effect side there when the module brought `effect`).
 */
export const makeLoader = (afterLoad: () => Promise<unknown> | undefined = () => undefined): Loader => {
  const modules = new Map<string, Promise<Record<string, unknown>>>()
  const tasks = new Map<string, Found>()
  return (moduleUrl, name) => {
    const key = `${moduleUrl}#${name}`
    const cached = tasks.get(key)
    if (cached !== undefined) return cached
    let mod = modules.get(moduleUrl)
    if (mod === undefined) {
      mod = guardedImport(moduleUrl) // remembers the import: its top-level code may not start pools
      modules.set(moduleUrl, mod)
    }
    return mod.then(
      (ns) => {
        let found: Found = `the module does not export a Task named "${name}"`
        for (const k in ns) {
          const v = ns[k] as TaskShape
          if (hasTaskBrand(v) && v.name === name && v.moduleUrl === moduleUrl) found = v
        }
        found = refusalOf(moduleUrl) ?? found
        if (typeof found === "string") {
          tasks.set(key, found)
          return found
        }
        const task = found
        const schemas = hasSchemas(task.codec) && !hasSchemaCompiler() ? import(ERRORS) : undefined
        const ready = schemas === undefined ? afterLoad() : schemas.then(afterLoad)
        if (ready === undefined) {
          tasks.set(key, task)
          return task
        }
        return ready.then(
          () => {
            tasks.set(key, task)
            return task
          },
          (e) =>
            `the worker could not load what the task needs (effect/Schema, the Effect runtime): ${errorMessage(e)}`,
        )
      },
      (e) => {
        const reason = refusalOf(moduleUrl) ??
          `the module could not be imported: ${errorMessage(e)}${notEmbeddedHint(moduleUrl, e, Deno.build.standalone)}`
        tasks.set(key, reason)
        return reason
      },
    )
  }
}
