/**
 * The `permissions` option of `Pool.make` and `Process.spawn`: checked up
 * front (a bad entry is `InvalidArgument`, never a worker that dies at
 * start-up), and turned into the `--allow-*` flags of a child `deno` process.
 *
 * A child gets exactly what it was granted, no more:
 * - Deno splits `--allow-read=a,b` at commas and cannot escape them, so an
 *   entry with a comma (`"/x,/etc"`) would grant more: it is refused for
 *   `isolation: "process"`.
 * - A `deno` process given no import flag may import from Deno's default list
 *   of public module hosts (`DEFAULT_IMPORT_HOSTS`, measured on 2.9.6), and a
 *   bare `--deny-import` does not take that list away. So a child granted no
 *   imports gets `--deny-import=<that list>` and `--cached-only` (an `npm:`
 *   import would otherwise download from the npm registry whatever its
 *   permissions); a child granted some hosts gets `--allow-import=<them>`,
 *   which replaces the default list.
 *
 * @internal
 * @module
 */
import { errorMessage } from "../../internal/error_message.ts"
import type { WorkerPermissions } from "./host.ts"

/** The Deno permission kinds, in flag order, each with what its entries name. */
const FIELD: Readonly<Record<string, string>> = {
  read: "path",
  write: "path",
  net: "host",
  env: "variable",
  run: "command",
  ffi: "path",
  sys: "kind",
  import: "host",
}

/** Deno permission kinds, in flag order. */
const KINDS: ReadonlyArray<string> = Object.keys(FIELD)

/** The hosts a `deno` process given no import flag may import from (Deno 2.9.6). */
export const DEFAULT_IMPORT_HOSTS: ReadonlyArray<string> = [
  "deno.land:443",
  "jsr.io:443",
  "esm.sh:443",
  "cdn.jsdelivr.net:443",
  "raw.githubusercontent.com:443",
  "gist.githubusercontent.com:443",
]

/**
 * The `sys` kinds `deno run --allow-sys=<kind>` accepts (measured on 2.9.6;
 * its type declarations also name `ca` and `umask`, which the flag refuses).
 */
const SYS_KINDS: ReadonlyArray<string> = [
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "username",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
]

/** An entry as Deno sees it: a `file:` URL becomes its path. */
const entryText = (entry: string | URL): string =>
  entry instanceof URL ? (entry.protocol === "file:" ? decodeURIComponent(entry.pathname) : entry.href) : entry

/** Why `entry` of `kind` cannot be granted, or `undefined`. */
const badEntry = (kind: string, entry: string | URL, isolation: "worker" | "process"): string | undefined => {
  if (entry instanceof URL && entry.protocol !== "file:") return `it is not a file: URL`
  const text = entryText(entry)
  if (text.trim() === "") return `it is empty`
  if (text.includes("\0")) return `it contains a NUL character`
  if (isolation === "process" && text.includes(",")) {
    return `it contains a comma, and a child process's --allow-${kind}=${text} would be split there into several grants`
  }
  if (kind === "net" || kind === "import") {
    let url: URL
    try {
      url = new URL(`http://${text}`)
    } catch {
      return `it is not a host or host:port`
    }
    if (url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
      return `it is not a host or host:port`
    }
  }
  if (kind === "env" && text.includes("=")) return `an environment variable name cannot contain "="`
  if (kind === "sys" && !SYS_KINDS.includes(text)) return `it is not one of the sys kinds ${SYS_KINDS.join(", ")}`
  return undefined
}

/**
 * The first problem with `permissions` that can be seen up front: an unknown
 * kind, a value of the wrong shape, or an entry Deno would refuse or (for a
 * child process) split. `undefined` when there is none.
 */
export const checkPermissions = (
  permissions: WorkerPermissions | undefined,
  isolation: "worker" | "process",
): string | undefined => {
  if (permissions === undefined || permissions === "inherit" || permissions === "none") return undefined
  if (typeof permissions !== "object" || permissions === null || Array.isArray(permissions)) {
    return `permissions must be "inherit", "none" or an object, got ${String(permissions)}`
  }
  for (const [kind, value] of Object.entries(permissions)) {
    const field = FIELD[kind]
    if (field === undefined) return `unknown permission kind "${kind}"`
    if (value === undefined || value === false || value === true || value === "inherit") continue
    if (!Array.isArray(value) || !value.every((e) => typeof e === "string" || e instanceof URL)) {
      return `permissions.${kind} must be true, false, "inherit" or a list of ${field}s, got ${JSON.stringify(value)}`
    }
    for (const entry of value as Array<string | URL>) {
      const why = badEntry(kind, entry, isolation)
      if (why !== undefined) return `permissions.${kind} cannot grant ${JSON.stringify(entryText(entry))}: ${why}`
    }
  }
  return undefined
}

/**
 * Permissions this process lacks (call after `checkPermissions`): a Worker
 * thread would be refused them with a defect, and a child process could be
 * given them on the command line.
 */
export const findEscalation = (permissions: WorkerPermissions | undefined): string | undefined => {
  if (permissions === undefined || typeof permissions === "string") return undefined
  for (const [kind, value] of Object.entries(permissions)) {
    if (value === undefined || value === false || value === "inherit") continue
    const field = FIELD[kind]
    const entries: Array<string | URL | undefined> = value === true ? [undefined] : value as Array<string | URL>
    for (const entry of entries) {
      const descriptor: Record<string, unknown> = { name: kind }
      if (entry !== undefined) descriptor[field] = entryText(entry)
      let state: Deno.PermissionState
      try {
        state = Deno.permissions.querySync(descriptor as unknown as Deno.PermissionDescriptor).state
      } catch (e) {
        return `permissions.${kind} is not valid (${String(entry)}): ${errorMessage(e)}`
      }
      if (state !== "granted") {
        return `a worker cannot get ${kind} access this process does not have${
          entry === undefined ? "" : `: ${String(entry)}`
        }`
      }
    }
  }
  return undefined
}

const granted = (descriptor: Record<string, unknown>): boolean =>
  Deno.permissions.querySync(descriptor as unknown as Deno.PermissionDescriptor).state === "granted"

/**
 * The permission flags of a child `deno` process for `permissions`:
 * `"inherit"` gives the kinds this process holds in full (a partial grant such
 * as `--allow-read=./data` cannot be read back, so it is not passed on; for
 * imports, the hosts of Deno's default list this process may import from),
 * `"none"` gives nothing, a descriptor gives exactly what it lists (`"inherit"`
 * per kind as above). `entry` is the URL of the child's main module: a remote
 * one needs import access to its host.
 */
export const permissionFlags = (permissions: WorkerPermissions | undefined, entry: URL): Array<string> => {
  const p = permissions ?? "inherit"
  const flags: Array<string> = []
  let imports: "all" | Array<string> = []
  for (const kind of KINDS) {
    const value = p === "none" ? undefined : p === "inherit" ? "inherit" : (p as Record<string, unknown>)[kind]
    if (value === undefined || value === false) continue
    if (kind === "import") {
      if (value === true || (value === "inherit" && granted({ name: "import" }))) imports = "all"
      else if (value === "inherit") imports = DEFAULT_IMPORT_HOSTS.filter((host) => granted({ name: "import", host }))
      else if (Array.isArray(value)) imports = value.map(entryText)
      continue
    }
    if (value === "inherit") {
      if (granted({ name: kind })) flags.push(`--allow-${kind}`)
    } else if (value === true) flags.push(`--allow-${kind}`)
    else if (Array.isArray(value) && value.length > 0) flags.push(`--allow-${kind}=${value.map(entryText)}`)
  }
  if (imports === "all") return [...flags, "--allow-import"]
  // The child's own module graph may come from a remote host (the library imported from JSR).
  if (entry.protocol === "https:" || entry.protocol === "http:") {
    const host = `${entry.hostname}:${entry.port || (entry.protocol === "https:" ? "443" : "80")}`
    if (!imports.includes(host)) imports = [...imports, host]
  }
  if (imports.length > 0) return [...flags, `--allow-import=${imports}`]
  return [...flags, `--deny-import=${DEFAULT_IMPORT_HOSTS}`, "--cached-only"]
}
