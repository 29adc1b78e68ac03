/**
 * The registry of live workers and child processes started by this library,
 * behind `mp.activeChildren()`. Every host adds itself when it starts and
 * removes itself when it is terminated or seen dead. Lives on `globalThis` so
 * duplicate module instances agree.
 *
 * @module
 */
import { globalValue } from "./global.ts"

/** One live worker (or child process) of ours. */
export interface ChildInfo {
  /** Unique id within this process. */
  readonly id: number
  /** The name given at spawn, or a generated one (`Pool-1-Worker-3`). */
  readonly name: string
  /** What runs it: a Deno Worker thread or an OS process. */
  readonly isolation: "worker" | "process"
  /** The OS pid for `"process"` children. */
  readonly pid?: number | undefined
}

interface Registry {
  nextId: number
  readonly live: Map<number, ChildInfo>
}

const registry: Registry = globalValue<Registry>("children", () => ({
  nextId: 1,
  live: new Map(),
}))

/** Allocates a fresh child id. */
export const nextChildId = (): number => registry.nextId++

/** Records a child as alive. */
export const addChild = (info: ChildInfo): void => {
  registry.live.set(info.id, info)
}

/** Records a child as gone. */
export const removeChild = (id: number): void => {
  registry.live.delete(id)
}

/** The children alive right now. */
export const liveChildren = (): ReadonlyArray<ChildInfo> => Array.from(registry.live.values())
