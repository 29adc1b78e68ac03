/** `deno task runner`'s options: flags, then the environment, then defaults; bad values are refused with a message. */
import { assert, assertEquals } from "@std/assert"
import { optionsFrom } from "../../src/cluster/runner_cli.ts"
import { runnerExits } from "../support/runners.ts"

const clean = () => {
  for (const k of ["MP_CLUSTER_URL", "MP_RUNNER_HOST", "MP_RUNNER_LISTEN", "MP_RUNNER_PORT", "MP_RUNNER_WORKERS"]) {
    Deno.env.delete(k)
  }
}

Deno.test("deno task runner reads its options from flags, then MP_* variables, then defaults", () => {
  clean()
  try {
    assertEquals(optionsFrom(["--url", "postgres://a@h/db"]), {
      url: "postgres://a@h/db",
      host: "127.0.0.1",
      listen: undefined,
      port: 34431,
      workers: undefined,
    })
    Deno.env.set("MP_CLUSTER_URL", "postgres://env@h/db")
    Deno.env.set("MP_RUNNER_PORT", "4000")
    Deno.env.set("MP_RUNNER_WORKERS", "3")
    assertEquals(optionsFrom(["--host", "10.0.0.5", "--listen", "0.0.0.0", "--port", "5000"]), {
      url: "postgres://env@h/db",
      host: "10.0.0.5",
      listen: "0.0.0.0",
      port: 5000,
      workers: 3,
    })
  } finally {
    clean()
  }
})

Deno.test("deno task runner refuses a missing URL, a bad port and a bad worker count with a message", () => {
  clean()
  assert(String(optionsFrom([])).includes("--url"))
  assert(String(optionsFrom(["--url", "postgres://a@h/db", "--port", "99999"])).includes("--port"))
  assert(String(optionsFrom(["--url", "postgres://a@h/db", "--workers", "0"])).includes("--workers"))
})

Deno.test("deno task runner with an unreachable PostgreSQL exits 1 with one line that names it, password hidden", async () => {
  const { code, output } = await runnerExits(["--url", "postgres://mp:secret@127.0.0.1:1/mp", "--port", "34997"])
  assertEquals(code, 1, output)
  assert(output.includes("cannot reach the cluster's PostgreSQL (postgres://mp:***@127.0.0.1:1/mp)"), output)
  assert(output.includes("ECONNREFUSED"), output)
  assert(!output.includes("secret") && !output.includes("    at "), `a password or a stack trace:\n${output}`)
})
