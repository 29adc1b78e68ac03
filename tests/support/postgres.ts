/**
 * A throwaway PostgreSQL for the cluster tests: `initdb` in a temporary
 * folder, a server on a free port of 127.0.0.1 only (no TCP elsewhere, its
 * Unix socket in that folder), stopped and deleted afterwards. As root the
 * server runs as the `postgres` user (PostgreSQL refuses to run as root).
 *
 * When PostgreSQL's binaries are missing, `postgresMissing` says how to
 * install them, and the tests that need it are skipped with that message.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

const binDir = (): string | undefined => {
  const dirs: Array<string> = []
  try {
    for (const e of Deno.readDirSync("/usr/lib/postgresql")) dirs.push(`/usr/lib/postgresql/${e.name}/bin`)
  } catch { /* not installed */ }
  dirs.sort((a, b) => parseInt(b.split("/")[4]) - parseInt(a.split("/")[4]))
  for (const dir of dirs) {
    try {
      if (Deno.statSync(`${dir}/initdb`).isFile && Deno.statSync(`${dir}/pg_ctl`).isFile) return dir
    } catch { /* next */ }
  }
  return undefined
}

const BIN = binDir()

/** Why the cluster tests cannot run here, or `undefined` when PostgreSQL is installed. */
export const postgresMissing: string | undefined = BIN === undefined
  ? "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): " +
    "install it with `apt-get update && apt-get install -y postgresql` to run the cluster tests"
  : undefined

/** A running throwaway PostgreSQL. */
export interface Postgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  readonly port: number
}

const isRoot = Deno.uid() === 0

const run = async (cmd: string, args: ReadonlyArray<string>, cwd: string): Promise<void> => {
  const [command, ...rest] = isRoot ? ["runuser", "-u", "postgres", "--", cmd, ...args] : [cmd, ...args]
  const out = await new Deno.Command(command, { args: rest, cwd, stdout: "piped", stderr: "piped" }).output()
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout)
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${text}`)
  }
}

/** A free TCP port on 127.0.0.1. */
export const freePort = (): number => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 })
  const port = (listener.addr as Deno.NetAddr).port
  listener.close()
  return port
}

const idOf = async (flag: "-u" | "-g"): Promise<number> => {
  const out = await new Deno.Command("id", { args: [flag, "postgres"], stdout: "piped" }).output()
  return Number(new TextDecoder().decode(out.stdout).trim())
}

/** Starts PostgreSQL in a temporary folder; stopped and deleted when the Scope closes. */
export const postgres: Effect.Effect<Postgres, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    if (BIN === undefined) throw new Error(postgresMissing)
    const dir = await Deno.makeTempDir({ prefix: "mp-pg-" })
    if (isRoot) await Deno.chown(dir, await idOf("-u"), await idOf("-g"))
    const data = `${dir}/data`
    try {
      await run(`${BIN}/initdb`, ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], dir)
      for (let attempt = 0;; attempt++) {
        const port = freePort()
        const settings = [
          "-c listen_addresses=127.0.0.1",
          `-p ${port}`,
          `-k ${dir}`,
          "-c fsync=off",
          "-c synchronous_commit=off",
          "-c full_page_writes=off",
          "-c max_connections=200",
        ].join(" ")
        try {
          await run(`${BIN}/pg_ctl`, ["-D", data, "-o", settings, "-l", `${dir}/log`, "-w", "-t", "60", "start"], dir)
          return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, data }
        } catch (e) {
          if (attempt >= 2) throw e // the port may have been taken in between: try another
        }
      }
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {})
      throw e
    }
  }),
  ({ dir, data }) =>
    Effect.promise(async () => {
      await run(`${BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "-t", "60", "stop"], dir).catch(() => {})
      await Deno.remove(dir, { recursive: true })
    }),
).pipe(Effect.map(({ url, port }) => ({ url, port })))
