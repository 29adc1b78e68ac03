/**
 * How deep a value nests, as structured clone and `node:v8` see it: a value
 * that nests deeper than the receiver's stack allows is serialized by the
 * sender but cannot be read on the other side (see `P.MAX_DEPTH`). A worker
 * checks its results with `nestsDeeperThan` before they leave, so that such
 * a result fails only its own task.
 *
 * The walk visits what the serializer visits (array elements, own enumerable
 * properties, Map keys and values, Set members, an error's `cause`). It first
 * runs without remembering what it saw (no allocation: a few nanoseconds per
 * object, ~1% of serializing it); only when that walk reaches the limit (a
 * value that is deep, or cyclic) or visits `QUICK_VISITS` objects (a huge
 * value, or one that shares objects many times over) does it run again with
 * a `Set`, visiting each object once, as the serializer writes a second visit
 * as a back-reference.
 *
 * @internal
 * @module
 */

/** Objects the quick walk visits before it gives way to the one that remembers what it saw. */
const QUICK_VISITS = 4_000_000

let visits = 0

const isObject = (u: unknown): u is object => typeof u === "object" && u !== null

const ObjectProto = Object.prototype

/**
 * Whether `value` nests more than `limit` objects deep. A hostile value (a
 * Proxy whose traps throw) throws here as it would in the serializer.
 */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  if (!isObject(value)) return false
  try {
    visits = 0
    if (!quick(value, limit)) return false
    return full(value, limit, new Set())
  } catch (e) {
    // Our own recursion ran out of stack: the receiver's would too.
    if (e instanceof RangeError) return true
    throw e
  }
}

/**
 * Calls `f` on each object the serializer would write inside `v`, until `f`
 * returns `true`; returns whether it did.
 */
const someChild = (v: object, f: (child: object) => boolean): boolean => {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]
      if (isObject(x) && f(x)) return true
    }
    return false
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false
  if (v instanceof Map) {
    for (const [k, x] of v) if ((isObject(k) && f(k)) || (isObject(x) && f(x))) return true
    return false
  }
  if (v instanceof Set) {
    for (const x of v) if (isObject(x) && f(x)) return true
    return false
  }
  if (v instanceof Error) {
    const cause = (v as { cause?: unknown }).cause
    return isObject(cause) && f(cause)
  }
  return someProperty(v, f)
}

const someProperty = (v: object, f: (child: object) => boolean): boolean => {
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k]
    if (isObject(x) && f(x)) return true
  }
  return false
}

/** The quick walk: `true` when it reached the limit or gave up (then `full` decides). Plain objects and arrays inline. */
const quick = (v: object, budget: number): boolean => {
  if (budget <= 0 || ++visits > QUICK_VISITS) return true
  const next = budget - 1
  if (Object.getPrototypeOf(v) === ObjectProto) {
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k]
      if (isObject(x) && quick(x, next)) return true
    }
    return false
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]
      if (isObject(x) && quick(x, next)) return true
    }
    return false
  }
  return someChild(v, (x) => quick(x, next))
}

/** The walk that visits each object once: `true` when `v` nests deeper than `budget`. */
const full = (v: object, budget: number, seen: Set<object>): boolean => {
  if (budget <= 0) return true
  if (seen.has(v)) return false
  seen.add(v)
  const next = budget - 1
  return someChild(v, (x) => full(x, next, seen))
}
