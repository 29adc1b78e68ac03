/**
 * The Schemas of shared values and arrays of one element type (`schemaOf`):
 * a declared Schema that accepts the object only when its element type is
 * the one named (by name or Python typecode), so a task handler sees it as
 * `Value<"i32">`, `SharedArray<"f64">`... with typed elements and `view()`.
 *
 * @internal
 * @module
 */
import * as Schema from "effect/Schema"
import { unknownType } from "./storage.ts"
import { canonical, specOf } from "./types.ts"

/**
 * A Schema for the objects `is` recognizes whose element type is `type`.
 * Throws `InvalidArgument` for an unknown type (a module-level definition:
 * there is no Effect to fail).
 */
export const typedSchema = <S>(is: (u: unknown) => boolean, title: string, type: unknown): Schema.declare<S> => {
  const spec = typeof type === "string" ? specOf(type) : undefined
  if (spec === undefined) throw unknownType(type)
  const name = canonical(spec)
  const label = `${title}<"${name}">`
  return Schema.declare((u: unknown): u is S => is(u) && (u as { readonly type?: unknown }).type === name, {
    title: label,
    expected: label,
  })
}
