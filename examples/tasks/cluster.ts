/**
 * The tasks of `cluster.ts`. The caller and every runner import this module
 * from the same path: on several machines, deploy the same code at the same
 * path everywhere (a runner that loaded different code refuses it with
 * `ModuleMismatch`).
 */
import * as mp from "@mp/multiprocessing/task"

/** Sleeps `ms` (standing in for work), then returns the pid of the runner that ran it. */
export const work = mp.Task.make(import.meta.url, "work", {
  handler: (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(Deno.pid), ms)),
})

/** Parses a number; throws on anything else (a failure that crosses machines as `RemoteException`). */
export const parse = mp.Task.make(import.meta.url, "parse", {
  handler: (text: string): number => {
    const n = Number(text)
    if (Number.isNaN(n)) throw new TypeError(`not a number: ${JSON.stringify(text)}`)
    return n
  },
})
