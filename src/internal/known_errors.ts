/**
 * Typed errors that cross a worker boundary even when a task declares no
 * `failure` schema. Structured clone keeps an `Error`'s name, message and
 * stack but drops its class and its own fields (`_tag` among them), so the
 * worker wraps a failure before it crosses:
 *
 * - an error whose `_tag` names a registered class (this library's errors,
 *   or any class passed to the public `registerErrors` in `src/errors.ts`) is encoded with that class's
 *   schema and decoded in the parent into the same class;
 * - any other `Error` crosses with its own enumerable fields, and the parent
 *   rebuilds an `Error` with them, so `_tag`-based matching still works.
 *
 * The registry lives on `globalThis` so duplicate module instances share it;
 * it and `encodeFailure` are in `known_errors_wire.ts`, which workers load
 * without `effect`.
 *
 * @module
 */
import * as Schema from "effect/Schema"
import { type KnownError, PLAIN, registry, TAGGED } from "./known_errors_wire.ts"

export { encodeFailure } from "./known_errors_wire.ts"

type ErrorClass = Schema.Codec<unknown, unknown, never, never> & { readonly identifier: string }

/** Adds error classes to the registry (behind the public `registerErrors` of `src/errors.ts`). */
export const addKnownErrors = (classes: ReadonlyArray<unknown>): void => {
  for (const cls of classes) {
    const c = cls as ErrorClass
    if (typeof c.identifier !== "string" || registry.has(c.identifier)) continue
    registry.set(c.identifier, {
      encode: Schema.encodeUnknownResult(c),
      decode: Schema.decodeUnknownResult(c),
    } as KnownError)
  }
}

/** Parent side: the failure back from its wire form. */
export const decodeFailure = (wire: unknown): unknown => {
  if (typeof wire !== "object" || wire === null) return wire
  if (TAGGED in wire) {
    const { [TAGGED]: tag, value } = wire as { [TAGGED]: string; value: unknown }
    const entry = registry.get(tag)
    if (entry !== undefined) {
      const r = entry.decode(value)
      if (r._tag === "Success") return r.success
    }
    return value
  }
  if (PLAIN in wire) {
    const { name, message, stack, fields } = (wire as { [PLAIN]: PlainError })[PLAIN]
    const error = new Error(message)
    error.name = name
    error.stack = stack
    return Object.assign(error, fields)
  }
  return wire
}

interface PlainError {
  readonly name: string
  readonly message: string
  readonly stack: string
  readonly fields: Record<string, unknown>
}
