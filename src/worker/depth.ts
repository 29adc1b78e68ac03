/**
 * How deep a value nests, as structured clone and `node:v8` see it: a value
 * that nests deeper than the receiver's stack allows is serialized by the
 * sender but cannot be read on the other side (see `P.MAX_DEPTH`). A worker
 * checks its results with `nestsDeeperThan` before they leave, so that such
 * a result fails only its own task.
 *
 * The walk visits what the serializer visits (array elements, own enumerable
 * properties, Map keys and values, Set members, an error's `cause`), each
 * object once, as the serializer writes a second visit as a back-reference.
 * Small values (up to `QUICK_VISITS` objects) are walked without allocating;
 * larger or cyclic ones again with a `Set` of the objects seen.
 *
 * @internal
 * @module
 */

/** Objects walked before the quick walk gives way to the one that remembers what it saw. */
const QUICK_VISITS = 1024

let visits = 0

const isObject = (u: unknown): u is object => typeof u === "object" && u !== null

/**
 * Whether `value` nests more than `limit` objects deep. A hostile value (a
 * Proxy whose traps throw) throws here as it would in the serializer.
 */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  if (!isObject(value)) return false
  try {
    visits = 0
    const quick = walk(value, limit, undefined)
    if (quick === false) return false
    return walk(value, limit, new Set()) === true
  } catch (e) {
    // Our own recursion ran out of stack: the receiver's would too.
    if (e instanceof RangeError) return true
    throw e
  }
}

/** `true`: too deep; `false`: not; `undefined`: the quick walk gave up (too large, or cyclic). */
const walk = (v: object, budget: number, seen: Set<object> | undefined): boolean | undefined => {
  if (budget <= 0) return seen === undefined ? undefined : true
  if (seen === undefined) {
    if (++visits > QUICK_VISITS) return undefined
  } else {
    if (seen.has(v)) return false
    seen.add(v)
  }
  const next = budget - 1
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]
      if (isObject(x)) {
        const r = walk(x, next, seen)
        if (r !== false) return r
      }
    }
    return false
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false
  if (v instanceof Map) {
    for (const [k, x] of v) {
      if (isObject(k)) {
        const r = walk(k, next, seen)
        if (r !== false) return r
      }
      if (isObject(x)) {
        const r = walk(x, next, seen)
        if (r !== false) return r
      }
    }
    return false
  }
  if (v instanceof Set) {
    for (const x of v) {
      if (isObject(x)) {
        const r = walk(x, next, seen)
        if (r !== false) return r
      }
    }
    return false
  }
  if (v instanceof Error) {
    const cause = (v as { cause?: unknown }).cause
    return isObject(cause) ? walk(cause, next, seen) : false
  }
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k]
    if (isObject(x)) {
      const r = walk(x, next, seen)
      if (r !== false) return r
    }
  }
  return false
}
