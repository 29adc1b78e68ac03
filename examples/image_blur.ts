/**
 * Image-like data processing with transferable buffers: generate a large
 * grayscale image, blur it in horizontal strips on a pool (each strip travels
 * with a one-row halo and comes back without a copy), and check the result
 * against a single-threaded blur.
 *
 * Run: `deno task example:image_blur`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

/** A 3×3 box blur of rows `[from, to)` of `src` (width `w`, height `h`) into a new buffer. */
export const blurRows = (src: Uint8Array, w: number, h: number, from: number, to: number): Uint8Array => {
  const out = new Uint8Array((to - from) * w)
  for (let y = from; y < to; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0
      let n = 0
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy
        if (yy < 0 || yy >= h) continue
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx
          if (xx < 0 || xx >= w) continue
          sum += src[yy * w + xx]
          n++
        }
      }
      out[(y - from) * w + x] = Math.round(sum / n)
    }
  }
  return out
}

interface Strip {
  /** The strip's rows plus one halo row above and below (where they exist). */
  readonly pixels: Uint8Array
  readonly width: number
  /** Rows in `pixels`. */
  readonly height: number
  /** Rows of `pixels` to produce: `[from, to)`. */
  readonly from: number
  readonly to: number
}

export const blurStrip = mp.Task.make(import.meta.url, "blurStrip", {
  handler: (s: Strip) => {
    const out = blurRows(s.pixels, s.width, s.height, s.from, s.to)
    return mp.transfer(out, [out.buffer]) // hand the result back without a copy
  },
})

const program = Effect.gen(function* () {
  const width = 2048
  const height = Number(Deno.args[0] ?? 2048)
  const image = new Uint8Array(width * height)
  for (let i = 0; i < image.length; i++) image[i] = (i * 2654435761) >>> 24 // noise
  const pool = yield* mp.Pool.make()
  // warm the workers up (they load this module on their first task)
  yield* pool.map(blurStrip, [{ pixels: new Uint8Array(4), width: 2, height: 2, from: 0, to: 2 }])
  const strips = 16
  const rows = Math.ceil(height / strips)
  const t = performance.now()
  const payloads = Array.from({ length: strips }, (_, i) => {
    const from = i * rows
    const to = Math.min(height, from + rows)
    const top = Math.max(0, from - 1)
    const bottom = Math.min(height, to + 1)
    const pixels = image.slice(top * width, bottom * width) // a copy we can give away
    return mp.transfer<Strip>(
      { pixels, width, height: bottom - top, from: from - top, to: to - top },
      [pixels.buffer],
    )
  })
  const parts = yield* pool.map(blurStrip, payloads, { chunkSize: 1 })
  const blurred = new Uint8Array(width * height)
  let offset = 0
  for (const part of parts) {
    blurred.set(part, offset)
    offset += part.length
  }
  const parallelMs = performance.now() - t
  const s = performance.now()
  const reference = blurRows(image, width, height, 0, height)
  const sequentialMs = performance.now() - s
  const same = reference.every((v, i) => v === blurred[i])
  console.log(
    `blurred ${width}x${height} in ${strips} strips: ${parallelMs.toFixed(0)} ms (sequential ${
      sequentialMs.toFixed(0)
    } ms), matches: ${same}`,
  )
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
