/**
 * Message texts shared by several call sites, so that each says what failed
 * and how to fix it the same way.
 *
 * @internal
 * @module
 */
import { errorMessage } from "./error_message.ts"

/**
 * The message of a `SerializationError` for a value that structured clone
 * refused (a function, a closure, a class instance with methods, a socket).
 */
export const notCloneable = (what: "payload" | "result" | "initializer's payload", e: unknown): string =>
  `the ${what} cannot be cloned: ${errorMessage(e)}. ` +
  `Pass data, not functions: only structured-clonable values cross to a worker (plain objects, arrays, ` +
  `strings, numbers, typed arrays, Maps, Sets, shared objects); put code in a Task and pass its input instead`
