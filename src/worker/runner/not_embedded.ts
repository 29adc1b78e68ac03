/**
 * Why a task module could not be imported in a compiled program: a binary
 * made by `deno compile` holds only the modules it was compiled with, and
 * the worker finds a task's module by its URL. A module the program imports
 * statically is inside; one reached only through a computed dynamic import
 * (or named by URL) must be added with `--include`.
 *
 * @internal
 * @module
 */

/** The directory of a compiled binary's embedded files, as it shows in their URLs (Deno 2.9). */
const EMBEDDED_ROOT = /\/deno-compile-[^/]+\/(.+)$/

/**
 * What to add to the reason an import of `moduleUrl` failed with `error`:
 * in a compiled program, when the module is not inside the binary, the flag
 * that puts it there; otherwise nothing.
 */
export const notEmbeddedHint = (moduleUrl: string, error: unknown, standalone: boolean): string => {
  if (!standalone) return ""
  const message = error instanceof Error ? error.message : String(error)
  if (!/Module not found/i.test(message)) return ""
  let path = moduleUrl
  try {
    const url = new URL(moduleUrl)
    const inside = url.protocol === "file:" ? EMBEDDED_ROOT.exec(url.pathname) : null
    path = inside !== null
      ? decodeURIComponent(inside[1])
      : url.protocol === "file:"
      ? decodeURIComponent(url.pathname)
      : moduleUrl
  } catch {
    // not a URL: name it as given
  }
  return ` (this compiled program does not contain the module: compile it with \`deno compile --include ${path}\`, ` +
    `the module's path in the project, or import the module statically from the main module)`
}
