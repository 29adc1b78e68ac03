/**
 * `InvalidArgument` for code that must not load `effect/Schema` up front
 * (`Task.make`, the worker runtime): `errors.ts` provides the constructor when
 * it is loaded, which the library's parent side always does. Where it is not
 * loaded (a worker whose tasks need no schema), the error is a plain `Error`
 * with the same name, `_tag`, `argument` and message: a worker reports such an
 * error as text anyway.
 *
 * @internal
 * @module
 */
import { globalValue } from "./global.ts"

type Make = (argument: string, message: string) => Error

const slot: { make: Make | undefined } = globalValue("invalid-argument", () => ({ make: undefined }))

/** Called by `errors.ts` with the real constructor. */
export const provideInvalidArgument = (make: Make): void => {
  slot.make ??= make
}

/** An `InvalidArgument` naming `argument`, with `message`. */
export const invalidArgument = (argument: string, message: string): Error => {
  if (slot.make !== undefined) return slot.make(argument, message)
  return Object.assign(new Error(message), { name: "InvalidArgument", _tag: "InvalidArgument", argument })
}
