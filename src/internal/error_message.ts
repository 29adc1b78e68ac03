/**
 * The message of a thrown value: an `Error`'s `message`, anything else as a string.
 *
 * @module
 */

/** The message of a thrown value: `e.message` for an `Error`, `String(e)` otherwise. */
export const errorMessage = (e: unknown): string => e instanceof Error ? e.message : String(e)
