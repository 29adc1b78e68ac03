/**
 * Item schemas of queues: attaching one to a queue that crossed into a worker
 * without it, and the payload schema of queues (`Queue.schema`,
 * `SimpleQueue.schema`, `JoinableQueue.schema`).
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { type AnySchema, itemCodec } from "./channel.ts"
import { isQueueOf, type QueueImpl, type QueueKind } from "./queue_impl.ts"

/** Attaches an item schema to a queue that crossed without it. */
export const attachSchema = <Q extends QueueImpl<unknown>>(queue: Q, schema: AnySchema | undefined): Q => {
  if (queue.codec === undefined && schema !== undefined) queue.codec = itemCodec(schema)
  return queue
}

/**
 * A schema for queues of the given kinds inside task payloads: it accepts a
 * live queue and attaches `item` (the queue's item schema) on the way in.
 */
export const queueSchema = <T>(
  kinds: ReadonlyArray<QueueKind>,
  title: string,
  item: AnySchema | undefined,
): Schema.declare<T> =>
  Schema.declareConstructor<T>()([], () => (u, ast, options) => {
    if (!isQueueOf(u, kinds)) return Effect.fail(new SchemaIssue.InvalidType(ast, u, options))
    if (u.hasSchema !== (item !== undefined)) {
      return Effect.fail(
        new SchemaIssue.InvalidValue({
          message: u.hasSchema
            ? `this ${title} was made with an item schema: declare it as ${title}.schema(itemSchema)`
            : `this ${title} was made without an item schema: declare it as ${title}.schema()`,
        }),
      )
    }
    return Effect.succeed(attachSchema(u, item) as T)
  }, { title }) as unknown as Schema.declare<T>
