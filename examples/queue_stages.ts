/**
 * Long-running stages connected by queues, each in a Process of its own:
 * lines → parse → square → format → the parent. `mp.Queue.stage` drains a
 * stage's input queue, runs an Effect on each item, puts the result on its
 * output queue and closes the output when the input ends, so the next stage
 * ends in turn (`mp.Queue.stageBatches` does the same a batch at a time).
 *
 * The second run feeds a bad line: the parse stage fails with its typed
 * error, the stages after it deliver what came before and then end with
 * `UpstreamFailed` instead of waiting for ever, and the parent sees both.
 *
 * Run: `deno task example:queue_stages`
 */
import { Effect, Exit, Schema, Stream } from "effect"
import * as mp from "@mp/multiprocessing"

/** A line that is not a number (registered, so it crosses back to the parent as itself). */
export class BadLine extends Schema.TaggedError<BadLine>()("BadLine", { line: Schema.String }) {}
mp.registerErrors([BadLine])

/** A stage's two queues. */
interface Ends<A, B> {
  readonly input: mp.Queue.Queue<A>
  readonly output: mp.Queue.Queue<B>
}

export const parse = mp.Task.make(import.meta.url, "parse", {
  handler: ({ input, output }: Ends<string, number>) =>
    mp.Queue.stage(input, output, (line) => {
      const n = Number(line)
      return Number.isInteger(n) ? Effect.succeed(n) : Effect.fail(new BadLine({ line }))
    }),
})

export const square = mp.Task.make(import.meta.url, "square", {
  handler: ({ input, output }: Ends<number, number>) => mp.Queue.stage(input, output, (n) => Effect.succeed(n * n)),
})

/** Formats a batch at a time. */
export const format = mp.Task.make(import.meta.url, "format", {
  handler: ({ input, output }: Ends<number, string>) =>
    mp.Queue.stageBatches(input, output, (ns) => Effect.succeed(ns.map((n) => n.toLocaleString("en-US")))),
})

/** Runs `lines` through the three stages; returns what reached the end and how each stage ended. */
const run = (lines: ReadonlyArray<string>) =>
  Effect.scoped(Effect.gen(function* () {
    const make = <A>() => mp.Queue.make<A>({ capacity: 256 })
    const [lineQ, numberQ, squareQ, textQ] = [
      yield* make<string>(),
      yield* make<number>(),
      yield* make<number>(),
      yield* make<string>(),
    ]
    const stages = [
      yield* mp.Process.spawn(parse, { input: lineQ, output: numberQ }, { name: "parse" }),
      yield* mp.Process.spawn(square, { input: numberQ, output: squareQ }, { name: "square" }),
      yield* mp.Process.spawn(format, { input: squareQ, output: textQ }, { name: "format" }),
    ]
    // Feed in the background (a failed stage closes its input, so this put may fail: that is fine here).
    yield* Effect.forkScoped(Effect.ignore(Effect.andThen(lineQ.putAll(lines), lineQ.close)))
    const out = yield* Stream.runCollect(textQ.toStream)
    // Join in pipeline order: the first failure is the cause, the later ones say "an earlier stage failed".
    const ended = []
    for (const s of stages) ended.push(`${s.name}: ${describe(yield* s.await)}`)
    return { out, ended }
  }))

const describe = (exit: Exit.Exit<mp.Queue.StageSummary, unknown>): string => {
  if (Exit.isSuccess(exit)) return `${exit.value.taken} in, ${exit.value.put} out`
  const error = Exit.findErrorOption(exit)
  if (error._tag === "None") return "interrupted"
  if (error.value instanceof BadLine) return `BadLine ${JSON.stringify(error.value.line)}`
  return error.value instanceof mp.UpstreamFailed ? "UpstreamFailed" : String(error.value)
}

const program = Effect.gen(function* () {
  const lines = Array.from({ length: 1000 }, (_, i) => String(i + 1))
  const ok = yield* run(lines)
  console.log(`${ok.out.length} results, last ${ok.out.at(-1)}; ${ok.ended.join(", ")}`)

  const bad = yield* run([...lines.slice(0, 10), "eleven", ...lines.slice(11)])
  console.log(`with a bad line: ${bad.out.length} results, last ${bad.out.at(-1)}; ${bad.ended.join(", ")}`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(program)
