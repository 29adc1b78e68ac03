/**
 * How busy the machine was, for lines that report a speed-up: a parallel run
 * on a machine whose cores are already taken by other programs is slower than
 * on an idle one, and should not read as "parallel is slower".
 *
 * @module
 */
import * as mp from "@mp/multiprocessing"

/**
 * `"2 cores, load average 0.4"`, plus a note when other programs kept the
 * cores busy (a 1-minute load average at or above the core count).
 */
export const describeLoad = (): string => {
  const cores = mp.cpuCount()
  let load: number
  try {
    load = Deno.loadavg()[0]
  } catch {
    return `${cores} cores`
  }
  const text = `${cores} cores, load average ${load.toFixed(1)}`
  return load >= cores
    ? `${text} (busy: other programs shared the cores, so the speed-up is lower than on an idle machine)`
    : text
}
