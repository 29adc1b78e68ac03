/**
 * What every shared value or array of one element type holds (`Value`,
 * `RawValue`, `Array`, `RawArray`, `TRef`): its type, its memory, and the
 * cells over that memory.
 *
 * @internal
 * @module
 */
import { hidden } from "../../internal/hidden.ts"
import { type Canonical, Cells, specOf } from "./types.ts"

/** The base of the classes behind typed shared values and arrays. */
export abstract class TypedCells<T extends Canonical> {
  /** The element type, as given to `make`. */
  readonly type: T
  /** The shared memory the cells live in. */
  readonly buffer: SharedArrayBuffer
  /** The typed cells (a per-thread view; not cloned). */
  declare readonly cells: Cells

  /** `length` cells of `type` from `byteOffset` in `buffer`. */
  constructor(type: T, buffer: SharedArrayBuffer, byteOffset: number, length: number) {
    this.type = type
    this.buffer = buffer
    hidden(this, "cells", new Cells(specOf(type)!, buffer, byteOffset, length))
  }
}
