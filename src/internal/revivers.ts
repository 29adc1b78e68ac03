/**
 * Loads every shared class, so that each registers its reviver: a worker
 * does it when a payload carries a shared object whose class its task module
 * did not load (a module that imports only `@mp/multiprocessing/task`).
 *
 * @internal
 * @module
 */

// By URL, not literal specifiers, like `worker/runner/effects.ts`; the program imports them statically anyway.
const MODULES = [new URL("../shared/mod.ts", import.meta.url).href, new URL("../ipc/mod.ts", import.meta.url).href]

let loading: Promise<void> | undefined
let loaded = false

/** Whether every shared class has been loaded in this thread by `loadRevivers`. */
export const reviversLoaded = (): boolean => loaded

/** Loads every shared class (once). */
export const loadRevivers = (): Promise<void> =>
  loading ??= Promise.all(MODULES.map((url) => import(url))).then(() => {
    loaded = true
  })
