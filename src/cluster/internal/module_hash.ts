/**
 * A task module's fingerprint, so a runner that loaded different code from
 * the same URL is caught (`ModuleMismatch`) instead of running it: SHA-256
 * (hex) of the module's own source, for a module on disk (`file:` URL).
 * Other URLs (https:, jsr:, a compiled binary's embedded modules) have none,
 * and are not compared.
 *
 * @internal
 * @module
 */

/** The module's SHA-256 in hex, or `undefined` when it is not a readable file. */
export const moduleHash = async (moduleUrl: string): Promise<string | undefined> => {
  if (!moduleUrl.startsWith("file:")) return undefined
  try {
    const bytes = await Deno.readFile(new URL(moduleUrl))
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")
  } catch {
    return undefined
  }
}
