/**
 * What Value, Array, RawValue, RawArray and TRef share: resolving a type,
 * validating initial values and indexes, allocating the memory.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { InvalidArgument } from "../../errors.ts"
import { intIn, invalid } from "../../internal/arguments.ts"
import { IndexOutOfRange } from "../errors.ts"
import { Cells, invalid as whyInvalid, knownTypes, type Spec, specOf } from "./types.ts"

/** The largest shared buffer of values and arrays, in bytes. */
export const MAX_BYTES = 2 ** 31 - 1

/** The `InvalidArgument` for a `type` that names no element type. */
export const unknownType = (type: unknown): InvalidArgument =>
  new InvalidArgument({
    argument: "type",
    message: `unknown shared type ${JSON.stringify(type)}; expected one of ${knownTypes}`,
  })

/** The spec of `type`, or `InvalidArgument`. */
export const resolve = (type: unknown): Effect.Effect<Spec, InvalidArgument> => {
  const spec = typeof type === "string" ? specOf(type) : undefined
  return spec !== undefined ? Effect.succeed(spec) : Effect.fail(unknownType(type))
}

/** `InvalidArgument` for a value rejected by `spec`, or undefined when it is valid. */
export const checkValue = (spec: Spec, v: unknown, argument: string): InvalidArgument | undefined => {
  const why = whyInvalid(spec, v)
  return why === undefined ? undefined : new InvalidArgument({ argument, message: why })
}

/** `IndexOutOfRange` when `i` is not an integer in `0 .. length - 1`. */
export const checkIndex = (i: number, length: number): IndexOutOfRange | undefined =>
  Number.isInteger(i) && i >= 0 && i < length ? undefined : new IndexOutOfRange({ index: i, length })

/**
 * Allocates `length` elements (at least 8 bytes, so every type is aligned)
 * holding `values` (zeros where absent, `"\0"` for `"c"`), after validating
 * every value.
 */
export const allocate = (
  spec: Spec,
  length: number,
  values: ReadonlyArray<unknown> | undefined,
  argument: string,
): Effect.Effect<Cells, InvalidArgument> =>
  Effect.suspend(() => {
    // Element offsets are Int32 byte offsets in one SharedArrayBuffer: at most 2^31 - 1 bytes.
    const most = Math.floor(MAX_BYTES / spec.bytes)
    const bad = intIn(argument, length, 0, most)
    if (bad !== undefined) {
      return Effect.fail(invalid(argument, `a length from 0 to ${most} (for ${spec.bytes}-byte elements)`, length))
    }
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) {
        const e = checkValue(spec, values[i], values.length === 1 ? argument : `${argument}[${i}]`)
        if (e !== undefined) return Effect.fail(e)
      }
    }
    const bytes = Math.max(8, Math.ceil(length * spec.bytes / 8) * 8)
    let buffer: SharedArrayBuffer
    try {
      buffer = new SharedArrayBuffer(bytes)
    } catch (e) {
      return Effect.fail(
        new InvalidArgument({
          argument,
          message: `${argument} needs ${bytes} bytes, which could not be allocated: ${e}`,
        }),
      )
    }
    const cells = new Cells(spec, buffer, 0, length)
    if (values !== undefined) { for (let i = 0; i < values.length; i++) cells.store(i, values[i]) }
    return Effect.succeed(cells)
  })

/**
 * Splits `lengthOrValues` (a length, or the initial values) into the length
 * and the values; `InvalidArgument` for anything else.
 */
export const lengthAndValues = (
  lengthOrValues: unknown,
): { readonly length: number; readonly values: ReadonlyArray<unknown> | undefined } | InvalidArgument => {
  if (typeof lengthOrValues === "number") return { length: lengthOrValues, values: undefined }
  if (Array.isArray(lengthOrValues)) return { length: lengthOrValues.length, values: lengthOrValues }
  return invalid("lengthOrValues", "a length or an array of values", lengthOrValues)
}
