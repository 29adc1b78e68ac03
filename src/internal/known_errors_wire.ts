/**
 * The worker side of `known_errors.ts`: the registry of known error classes
 * and the wire form of a failure that has no failure schema. It imports
 * nothing from `effect`: the registry's entries are compiled where the classes
 * are registered (`addKnownErrors`), which has `effect/Schema` at hand.
 *
 * @internal
 * @module
 */
import { globalValue } from "./global.ts"

/** A registered class, compiled: encode and decode return a `Result`. */
export interface KnownError {
  readonly encode: (u: unknown) => KnownResult
  readonly decode: (u: unknown) => KnownResult
}

/** The part of an `effect/Result` read here. */
export type KnownResult = { readonly _tag: "Success"; readonly success: unknown } | { readonly _tag: "Failure" }

/** The registry, by `_tag`: one per thread, shared by duplicate module instances. */
export const registry: Map<string, KnownError> = globalValue("known-errors", () => new Map<string, KnownError>())

/** The field of the wire form of a registered tagged error. */
export const TAGGED = "__mpTaggedError"
/** The field of the wire form of any other `Error`. */
export const PLAIN = "__mpError"

/** Worker side: the wire form of a failure that has no failure schema. */
export const encodeFailure = (error: unknown): unknown => {
  if (typeof error !== "object" || error === null) return error
  const tag = (error as { _tag?: unknown })._tag
  if (typeof tag === "string") {
    const entry = registry.get(tag)
    if (entry !== undefined) {
      const r = entry.encode(error)
      if (r._tag === "Success") return { [TAGGED]: tag, value: r.success }
    }
  }
  if (error instanceof Error) {
    const fields: Record<string, unknown> = {}
    for (const k of Object.keys(error)) fields[k] = (error as unknown as Record<string, unknown>)[k]
    return { [PLAIN]: { name: error.name, message: error.message, stack: error.stack ?? "", fields } }
  }
  return error
}
