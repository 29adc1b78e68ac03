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
 * The registry lives on `globalThis` so duplicate module instances share it.
 *
 * @module
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { globalValue } from "./global.ts"

type ErrorClass = Schema.Codec<unknown, unknown, never, never> & { readonly identifier: string }

interface Entry {
  readonly encode: (u: unknown) => Result.Result<unknown, unknown>
  readonly decode: (u: unknown) => Result.Result<unknown, unknown>
}

const registry: Map<string, Entry> = globalValue("known-errors", () => new Map<string, Entry>())

/** Adds error classes to the registry (behind the public `registerErrors` of `src/errors.ts`). */
export const addKnownErrors = (classes: ReadonlyArray<unknown>): void => {
  for (const cls of classes) {
    const c = cls as ErrorClass
    if (typeof c.identifier !== "string" || registry.has(c.identifier)) continue
    registry.set(c.identifier, {
      encode: Schema.encodeUnknownResult(c),
      decode: Schema.decodeUnknownResult(c),
    })
  }
}

const TAGGED = "__mpTaggedError"
const PLAIN = "__mpError"

/** Worker side: the wire form of a failure that has no failure schema. */
export const encodeFailure = (error: unknown): unknown => {
  if (typeof error !== "object" || error === null) return error
  const tag = (error as { _tag?: unknown })._tag
  if (typeof tag === "string") {
    const entry = registry.get(tag)
    if (entry !== undefined) {
      const r = entry.encode(error)
      if (Result.isSuccess(r)) return { [TAGGED]: tag, value: r.success }
    }
  }
  if (error instanceof Error) {
    const fields: Record<string, unknown> = {}
    for (const k of Object.keys(error)) fields[k] = (error as unknown as Record<string, unknown>)[k]
    return { [PLAIN]: { name: error.name, message: error.message, stack: error.stack ?? "", fields } }
  }
  return error
}

/** Parent side: the failure back from its wire form. */
export const decodeFailure = (wire: unknown): unknown => {
  if (typeof wire !== "object" || wire === null) return wire
  if (TAGGED in wire) {
    const { [TAGGED]: tag, value } = wire as { [TAGGED]: string; value: unknown }
    const entry = registry.get(tag)
    if (entry !== undefined) {
      const r = entry.decode(value)
      if (Result.isSuccess(r)) return r.success
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
