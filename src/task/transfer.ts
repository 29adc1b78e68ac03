/**
 * Moving `ArrayBuffer`s across the boundary instead of copying them.
 *
 * @module
 */

/** @ignore The brand of `Transfer` values. */
export const TypeId = "~@mp/multiprocessing/Transfer"

/**
 * A value sent together with a list of objects to move (transfer) rather than
 * copy. The sender loses access to them (they are detached).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const pixels = new Uint8Array(1 << 20)
 * const t: mp.Transfer<Uint8Array> = mp.transfer(pixels, [pixels.buffer])
 * ```
 */
export interface Transfer<A> {
  /** The brand. */
  readonly [TypeId]: typeof TypeId
  /** The value to send. */
  readonly value: A
  /** The objects to move rather than copy. */
  readonly transfer: ReadonlyArray<Transferable>
}

/**
 * Marks a payload (or a handler's result) so that the listed buffers are
 * moved to the other side instead of copied: for large binary data this
 * replaces a copy with a constant-time hand-over. Without it, values are
 * copied, as in Python.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * export const invert = mp.Task.make(import.meta.url, "invert", {
 *   handler: (img: Uint8Array) => {
 *     for (let i = 0; i < img.length; i++) img[i] = 255 - img[i]
 *     return mp.transfer(img, [img.buffer]) // hand the buffer back without a copy
 *   },
 * })
 * ```
 */
export const transfer = <A>(value: A, transferables: ReadonlyArray<Transferable | ArrayBufferLike>): Transfer<A> => ({
  [TypeId]: TypeId,
  value,
  transfer: transferables as ReadonlyArray<Transferable>,
})

/** Whether a value is a `Transfer` marker. */
export const isTransfer = (u: unknown): u is Transfer<unknown> =>
  typeof u === "object" && u !== null && (u as Record<string, unknown>)[TypeId] === TypeId
