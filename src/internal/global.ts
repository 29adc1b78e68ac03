/**
 * State that must be one per thread even when this library is loaded twice
 * (two copies of a module, e.g. `jsr:` and a local path, each evaluate their
 * top level). Effect v3's `GlobalValue.globalValue` did this; Effect v4 has no
 * equivalent, so this is the same idea in a few lines.
 *
 * @module
 */

/**
 * Returns the value stored on `globalThis` under `Symbol.for("@mp/multiprocessing/" + key)`,
 * creating it with `make()` the first time any copy of this library asks.
 */
export const globalValue = <A>(key: string, make: () => A): A => {
  const store = globalThis as unknown as Record<symbol, unknown>
  const symbol = Symbol.for(`@mp/multiprocessing/${key}`)
  return (store[symbol] ??= make()) as A
}
