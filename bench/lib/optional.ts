/**
 * The shared-memory and IPC namespaces (`mp.Value`, `mp.Queue`) land in
 * `mod.ts` separately from the Pool. Until they do, the bench programs load
 * them from their own modules when those exist in the checkout, and say so
 * in their notes; when neither is there, the workload reports "not built
 * yet". The specifiers are built at run time so that `deno check` of a
 * checkout without those files still passes.
 *
 * @module
 */
import * as mp from "../../mod.ts"

const FALLBACKS = {
  Value: "../../src/shared/mod.ts",
  Queue: "../../src/ipc/mod.ts",
} as const

/** A namespace found, and where. */
export interface Found<T> {
  /** The namespace. */
  readonly module: T
  /** A note when it did not come from `mod.ts`. */
  readonly note: string | undefined
}

/**
 * `mp[name]`, or the same namespace from its own module, or `undefined`.
 *
 * @example
 * ```ts
 * import { optionalNamespace } from "./optional.ts"
 *
 * const found = await optionalNamespace<{ make: unknown }>("Queue")
 * ```
 */
export const optionalNamespace = async <T>(name: keyof typeof FALLBACKS): Promise<Found<T> | undefined> => {
  const fromMod = (mp as unknown as Record<string, unknown>)[name]
  if (fromMod !== undefined) return { module: fromMod as T, note: undefined }
  const path = FALLBACKS[name]
  try {
    const m = await import(new URL(path, import.meta.url).href) as Record<string, unknown>
    if (m[name] === undefined) return undefined
    return { module: m[name] as T, note: `mp.${name} loaded from ${path.slice(6)} (mod.ts does not export it yet)` }
  } catch {
    return undefined
  }
}

/**
 * Loads the fallbacks for their side effects (registering how their objects
 * are revived when they cross into a worker); never fails.
 *
 * @example
 * ```ts
 * import { preloadFallbacks } from "./optional.ts"
 *
 * await preloadFallbacks()
 * ```
 */
export const preloadFallbacks = async (): Promise<void> => {
  await Promise.all((Object.keys(FALLBACKS) as Array<keyof typeof FALLBACKS>).map(optionalNamespace))
}
