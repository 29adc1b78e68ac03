/**
 * Shared objects (values, arrays, locks, queues, pipes, proxies) cross a
 * worker boundary by structured clone: their `SharedArrayBuffer`s are shared,
 * their own enumerable fields are copied, and their class is lost. Each shared
 * class puts a brand in the field `__mp` and registers a reviver for it here;
 * the runtime calls `revive` on every payload and result that arrives, which
 * turns branded plain objects back into live instances.
 *
 * The registry lives on `globalThis` so that two copies of this module (for
 * example one loaded by URL and one through an import map) share it.
 *
 * @module
 */
import { globalValue } from "./global.ts"

/** The field that carries a shared object's brand. */
export const BRAND = "__mp"

/** A plain object that still carries a shared object's brand. */
export interface Branded {
  readonly __mp: string
}

type Reviver = (plain: Branded) => object

const registry: Map<string, Reviver> = globalValue("revivers", () => new Map<string, Reviver>())

// Set when a walk meets a brand with no reviver: in a worker whose task module did not load the
// shared classes, the runtime then loads them (`revivers.ts`) and revives again.
const unknown: { seen: boolean } = globalValue("revivers-unknown", () => ({ seen: false }))

/** Whether a `revive` since the last call met a brand with no reviver registered (and forgets it). */
export const takeUnknownBrand = (): boolean => {
  const seen = unknown.seen
  unknown.seen = false
  return seen
}

/** Registers how to turn a cloned object with `__mp === brand` back into an instance. */
export const registerReviver = (brand: string, revive: Reviver): void => {
  registry.set(brand, revive)
}

const isPlainContainer = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null || Array.isArray(v)
}

const walk = (value: unknown, seen: Map<object, unknown>): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value
  // The same object reached twice (structured clone keeps identity) revives to the same instance.
  if (seen.has(value)) return seen.get(value)
  seen.set(value, value)
  const brand = (value as Partial<Branded>)[BRAND]
  if (typeof brand === "string") {
    const reviver = registry.get(brand)
    if (reviver !== undefined && Object.getPrototypeOf(value) === Object.prototype) {
      const revived = reviver(value as Branded)
      seen.set(value, revived)
      return revived
    }
    if (reviver === undefined) unknown.seen = true
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i]
      if (typeof v === "object" && v !== null) value[i] = walk(v, seen)
    }
    return value
  }
  if (value instanceof Map) {
    for (const [k, v] of value) if (typeof v === "object" && v !== null) value.set(k, walk(v, seen))
    return value
  }
  if (value instanceof Set) return value
  if (!isPlainContainer(value)) return value
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k]
    if (typeof v === "object" && v !== null) (value as Record<string, unknown>)[k] = walk(v, seen)
  }
  return value
}

/**
 * Revives every branded shared object inside `value`, in place, and returns
 * the (possibly replaced) value. Primitives cost one `typeof`.
 */
export const revive = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  return walk(value, new Map())
}
