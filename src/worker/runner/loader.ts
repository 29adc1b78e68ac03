/**
 * Finds a task in its worker: imports the module that defines it (once per
 * module, behind the main-module guard) and looks the task up by name.
 *
 * @internal
 * @module
 */
import { guardedImport, refusalOf } from "../../internal/bootstrap.ts"
import { errorMessage } from "../../internal/error_message.ts"
import { type AnyTask, isTask } from "../../task/Task.ts"
import { notEmbeddedHint } from "./not_embedded.ts"

/** A task, or why it cannot run (its module could not be imported, or does not export it). */
export type Found = AnyTask | string

/** A loader with its own caches: the task at once when known, else a Promise of it. */
export type Loader = (moduleUrl: string, name: string) => Found | Promise<Found>

/** Makes a loader (one per runtime). */
export const makeLoader = (): Loader => {
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
          const v = ns[k]
          if (isTask(v) && v.name === name && v.moduleUrl === moduleUrl) found = v
        }
        found = refusalOf(moduleUrl) ?? found
        tasks.set(key, found)
        return found
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
