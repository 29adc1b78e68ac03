/**
 * The folders say which side of the worker boundary code runs on, and only the
 * two sides read the wire format between them (`src/worker/README.md`).
 *
 * @module
 */
import { assertEquals } from "@std/assert"
import { testAsync } from "../support/mod.ts"

const src = new URL("../../src/", import.meta.url)

/** The `.ts` files under `dir` (relative to `src/`), recursively. */
const filesUnder = async (dir: string): Promise<Array<string>> => {
  const out: Array<string> = []
  for await (const entry of Deno.readDir(new URL(dir, src))) {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory) out.push(...await filesUnder(path))
    else if (entry.name.endsWith(".ts")) out.push(path)
  }
  return out
}

testAsync("Nothing under src/pool/ or src/process/ imports the wire format (src/worker/wire/)", async () => {
  const offenders: Array<string> = []
  for (const dir of ["pool", "process"]) {
    for (const file of await filesUnder(dir)) {
      const text = await Deno.readTextFile(new URL(file, src))
      for (const m of text.matchAll(/from\s+"([^"]+)"/g)) {
        if (m[1].includes("worker/wire/")) offenders.push(`${file} imports ${m[1]}`)
      }
    }
  }
  assertEquals(offenders, [])
})
