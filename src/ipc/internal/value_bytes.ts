/**
 * The byte encoding of values that cross a queue, a pipe or a manager: a
 * structured-clone-equivalent format with fast paths for what queues carry
 * most (numbers, short strings, small plain objects and arrays, typed arrays),
 * and `node:v8` serialization for everything else (Errors, RegExps, class
 * instances, cyclic or shared references). Measured on Deno 2.9.6: a `node:v8`
 * round trip of a small object costs ~25 µs, this format ~1 µs.
 *
 * Values are written into a thread-local `Writer` (never into shared memory
 * directly) and read from a thread-local copy, so a value that cannot be
 * encoded fails before anything is queued.
 *
 * @internal
 * @module
 */
export { EncodeFailure, Reader, shrink, Writer } from "./value_format.ts"
export { encode, MAX_DEPTH } from "./value_encode.ts"
export { decode } from "./value_decode.ts"
