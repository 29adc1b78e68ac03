/**
 * Inter-process communication: queues, pipes and managed shared objects,
 * all usable from the parent and from any worker they are passed to.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const queue = yield* mp.Queue.make<number>()
 *   const [left, right] = yield* mp.Pipe.make<string>()
 *   yield* queue.put(1)
 *   yield* left.send("hi")
 *   console.log(yield* queue.take(), yield* right.recv)
 * })
 * ```
 *
 * @module
 */
// A statement between the module doc and the first `export * as`: otherwise `deno doc` shows the
// module doc as that namespace's description instead of the namespace's own module doc.
export {}

export * as Queue from "./Queue.ts"
export * as SimpleQueue from "./SimpleQueue.ts"
export * as JoinableQueue from "./JoinableQueue.ts"
export * as Pipe from "./Pipe.ts"
export * as Manager from "./Manager.ts"
export {
  DecodeError,
  EncodeError,
  ManagerShutdown,
  PipeClosed,
  QueueClosed,
  QueueEmpty,
  QueueFull,
  TaskDoneTooManyTimes,
  UpstreamFailed,
} from "./errors.ts"
// The same class as the shared arrays' error (one export, whichever path it is reached by).
export { IndexOutOfRange } from "../shared/errors.ts"
