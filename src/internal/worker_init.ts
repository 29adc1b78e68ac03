/**
 * A seam for modules that need per-worker shared state (lock ownership, for
 * example) without the worker runtime knowing them. In the parent, a provider
 * returns a value put into every worker's INIT message under its key; in the
 * worker, a hook receives it. Hooks registered after INIT (when the module is
 * first imported by a task module) run at once.
 *
 * @module
 */
import { globalValue } from "./global.ts"

type Provider = (workerId: number) => unknown
type Hook = (value: unknown, workerId: number) => void

interface State {
  readonly providers: Map<string, Provider>
  readonly hooks: Map<string, Hook>
  received: { readonly extras: Readonly<Record<string, unknown>>; readonly workerId: number } | undefined
}

const state: State = globalValue<State>("worker-init", () => ({
  providers: new Map(),
  hooks: new Map(),
  received: undefined,
}))

/** Parent side: contributes `provide(workerId)` to every new worker's INIT message under `key`. */
export const registerInitProvider = (key: string, provide: Provider): void => {
  state.providers.set(key, provide)
}

/** Worker side: receives the value its parent provided under `key`. */
export const registerInitHook = (key: string, hook: Hook): void => {
  state.hooks.set(key, hook)
  const received = state.received
  if (received !== undefined && key in received.extras) hook(received.extras[key], received.workerId)
}

/** Parent side: the extras for a new worker. */
export const collectExtras = (workerId: number): Record<string, unknown> => {
  const extras: Record<string, unknown> = {}
  for (const [key, provide] of state.providers) extras[key] = provide(workerId)
  return extras
}

/** Worker side: called by the runtime on INIT. */
export const applyExtras = (extras: Readonly<Record<string, unknown>>, workerId: number): void => {
  state.received = { extras, workerId }
  for (const [key, hook] of state.hooks) if (key in extras) hook(extras[key], workerId)
}

/** Whether this thread is one of our workers (it has received INIT). */
export const isWorkerThread = (): boolean => state.received !== undefined

/** Worker side: this worker's id in its parent (`undefined` outside our workers). */
export const workerIdOf = (): number | undefined => state.received?.workerId
