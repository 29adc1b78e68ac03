/**
 * The Python guide's `Pipe`: a child sends a message through its end of the
 * pipe and the parent receives it; then the two ends play ping-pong until the
 * parent closes its end and the child sees end-of-file.
 *
 * ```py
 * def f(conn):
 *     conn.send([42, None, "hello"])
 *     conn.close()
 *
 * if __name__ == "__main__":
 *     parent_conn, child_conn = Pipe()
 *     p = Process(target=f, args=(child_conn,))
 *     p.start()
 *     print(parent_conn.recv())   # prints "[42, None, 'hello']"
 *     p.join()
 * ```
 *
 * Run: `deno task example:pipe_ping_pong`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

export const hello = mp.Task.make(import.meta.url, "hello", {
  handler: (conn: mp.Pipe.Connection<unknown>) => Effect.andThen(conn.send([42, null, "hello"]), conn.close),
})

/** Answers every "ping n" with "pong n" until the other end is closed. */
export const ponger = mp.Task.make(import.meta.url, "ponger", {
  handler: (conn: mp.Pipe.Connection<string>) =>
    Effect.gen(function* () {
      let answered = 0
      for (;;) {
        const message = yield* conn.recv.pipe(Effect.catchTag("PipeClosed", () => Effect.succeed(undefined)))
        if (message === undefined) return answered // end of file: the parent closed its end
        yield* conn.send(message.replace("ping", "pong"))
        answered++
      }
    }),
})

const program = Effect.gen(function* () {
  const [parentConn, childConn] = yield* mp.Pipe.make<unknown>()
  const p = yield* mp.Process.spawn(hello, childConn)
  console.log(yield* parentConn.recv) // [ 42, null, "hello" ]
  yield* p.join

  const [here, there] = yield* mp.Pipe.make<string>()
  const child = yield* mp.Process.spawn(ponger, there, { name: "ponger" })
  for (let i = 1; i <= 3; i++) {
    yield* here.send(`ping ${i}`)
    console.log("parent got:", yield* here.recv)
  }
  yield* here.close
  console.log(`the child answered ${yield* child.join} pings and saw end-of-file`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
