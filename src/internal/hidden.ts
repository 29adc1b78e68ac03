/**
 * Per-thread state on objects that cross to workers: a non-enumerable own
 * property is left out when the object is structured-cloned, so each thread
 * derives its own (views, codecs, replicas) from the cloned fields.
 *
 * @internal
 * @module
 */

/** Defines a non-enumerable own property (derived state that must not be structured-cloned); returns `value`. */
export const hidden = <T>(target: object, key: string, value: T): T => {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true })
  return value
}
