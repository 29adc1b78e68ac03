/**
 * Output that cannot be written is dropped, and task traffic goes on: a
 * parent whose stdout or stderr reader went away (`deno run main.ts | head -1`)
 * keeps running process-host tasks that print to it.
 */
import * as Effect from "effect/Effect"
import { assertEquals } from "@std/assert"
import { test } from "../support/mod.ts"

const script = new URL("../fixtures/broken_pipe_parent.ts", import.meta.url).pathname

const readLine = async (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> => {
  let text = ""
  const decoder = new TextDecoder()
  while (!text.includes("\n")) {
    const r = await reader.read()
    if (r.done) break
    text += decoder.decode(r.value, { stream: true })
  }
  return text
}

for (const stream of ["stdout", "stderr"] as const) {
  test(
    `Process host: tasks that print go on answering after the parent's ${stream} reader went away (| head -1)`,
    () =>
      Effect.promise(async () => {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", script, stream],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn()
        const timer = setTimeout(() => child.kill("SIGKILL"), 40_000)
        const brokenReader = (stream === "stdout" ? child.stdout : child.stderr).getReader()
        const other = stream === "stdout" ? child.stderr : child.stdout
        const otherText = new Response(other).text()
        // What `head -1` does: read the first line, then close the pipe.
        const first = await readLine(brokenReader)
        await brokenReader.cancel()
        const stdin = child.stdin.getWriter()
        await stdin.write(new TextEncoder().encode("go\n"))
        await stdin.close()
        const status = await child.status
        clearTimeout(timer)
        const text = await otherText
        assertEquals(first.includes("ready"), true, first)
        assertEquals(status.code, 0, text)
        const report = JSON.parse(text.trim().split("\n").pop() ?? "")
        assertEquals(report, { outcomes: Array(20).fill("Success"), doubled: 42, spawned: "Success" })
      }),
    { timeout: 60_000 },
  )
}
