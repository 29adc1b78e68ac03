/**
 * A terminal progress bar (done/total, rate, ETA) that degrades to plain
 * lines when output is not a TTY.
 *
 * @module
 */

/** A progress reporter. */
export interface Progress {
  /** Records `n` more items done. */
  readonly tick: (n?: number) => void
  /** Draws the final state and ends the line. */
  readonly done: () => void
}

const encoder = new TextEncoder()
const write = (s: string) => Deno.stdout.writeSync(encoder.encode(s))

const formatEta = (seconds: number): string =>
  !Number.isFinite(seconds)
    ? "--"
    : seconds < 60
    ? `${seconds.toFixed(1)}s`
    : `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`

/** Starts a progress bar for `total` items with a label. */
export const progress = (label: string, total: number, unit = "tasks"): Progress => {
  const tty = Deno.stdout.isTerminal()
  const start = performance.now()
  let count = 0
  let lastDraw = 0
  let lastPlainPercent = -1
  const line = (): string => {
    const elapsed = (performance.now() - start) / 1000
    const rate = count / Math.max(elapsed, 1e-9)
    const eta = count === 0 ? Infinity : (total - count) / rate
    const width = 30
    const filled = Math.round((count / total) * width)
    const bar = "█".repeat(filled) + "░".repeat(width - filled)
    return `${label} ${bar} ${count}/${total} ${unit} · ${rate.toFixed(1)}/s · ETA ${formatEta(eta)}`
  }
  const draw = (force: boolean) => {
    const now = performance.now()
    if (tty) {
      if (!force && now - lastDraw < 80) return
      lastDraw = now
      write(`\r\x1b[2K${line()}`)
    } else {
      const percent = Math.floor((count / total) * 4) * 25 // plain lines at 0/25/50/75/100 %
      if (percent === lastPlainPercent && !force) return
      lastPlainPercent = percent
      console.log(line())
    }
  }
  draw(true)
  return {
    tick: (n = 1) => {
      count += n
      draw(false)
    },
    done: () => {
      if (tty) {
        write(`\r\x1b[2K${line()}\n`)
      } else if (lastPlainPercent !== 100) console.log(line())
    },
  }
}
