/**
 * The Effect layer over a `Ring`: encoding items into records, putting and
 * taking with waiting (through `futex.wait` only), closing. Queues and pipes
 * are thin shapes over these functions.
 *
 * @internal
 * @module
 */
export { type AnySchema, type Encoded, encodeRecords, type ItemCodec, itemCodec, SchemaFailure } from "./records.ts"
export { PendingPut, type PutBlocked, putNow, putOneNow, putPending, putValues } from "./channel_put.ts"
export { pollRing, type TakeBlocked, takeItems, type Taken, takeNow } from "./channel_take.ts"
export { closeRing, deadlineOf, shutdownNow } from "./ring_signal.ts"
