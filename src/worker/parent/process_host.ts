/**
 * The subprocess host: each worker is a child `deno` process running
 * `process_entry.ts`, for hard isolation. A busy loop is stopped by SIGKILL,
 * a V8 heap limit caps memory, and a crash ends only the child.
 *
 * - Wire: length-prefixed frames (`frames.ts`) of `node:v8` serialized
 *   messages, parent -> child on stdin, child -> parent on stdout. What the
 *   task prints to stdout is passed through to the parent's stdout.
 * - stderr is passed through to the parent's stderr as it arrives (the
 *   user's logs and Deno's own errors stay visible) and its last few KB are
 *   kept, so a crash reason can quote them (and an out-of-memory death is
 *   recognised by V8's "Fatal JavaScript out of memory" line).
 * - Exit: the child's status is watched from the start, so a death is seen at
 *   once, with its exit code or signal. Messages the child wrote before it
 *   died are read first (the pipes are drained, for at most `DRAIN_MS`).
 * - In a compiled program (`deno compile`), the child is the program's own
 *   binary started in worker mode (`compiled.ts`), not `deno run`.
 * - No orphans: `terminate` sends SIGKILL at once; the child also exits when
 *   its stdin closes and has a watchdog for a parent that was killed (see
 *   `process_entry.ts`); an `unload` listener kills every child when this
 *   process exits normally.
 *
 * @internal
 * @module
 */
import { deserialize } from "node:v8"
import { addChild, removeChild } from "../../internal/children.ts"
import { errorMessage } from "../../internal/error_message.ts"
import { encodeFrame, FrameReader, serializeMessage, writeAll } from "../wire/frames.ts"
import { isCompiled, selfWorkerArgs } from "./compiled.ts"
import type { Host, HostExit, HostFactory, HostOptions } from "./host.ts"
import { permissionFlags } from "./permissions.ts"
import type * as P from "../wire/protocol.ts"

/** Settings of the child processes beyond the per-host options. */
export interface ProcessHostConfig {
  /** V8 old-space limit of each child, in MiB (`--max-old-space-size`). */
  readonly maxMemoryMb?: number | undefined
}

const entry = new URL("../runner/process_entry.ts", import.meta.url)
const entrySpecifier = entry.protocol === "file:" ? decodeURIComponent(entry.pathname) : entry.href

/** How long to wait, after the exit status, for the child's pipes to drain. */
const DRAIN_MS = 250
/** How much of the child's stderr to keep for crash reasons. */
const STDERR_TAIL = 4096

/** Every child not yet reaped: killed on unload. */
const live = new Set<Deno.ChildProcess>()
let unloadHooked = false

const killAll = (): void => {
  for (const child of live) kill(child)
}

const kill = (child: Deno.ChildProcess): void => {
  try {
    child.kill("SIGKILL")
  } catch {
    // already exited
  }
}

/**
 * Passes a child's output through to ours. Output that cannot be written (the
 * reader went away, as in `deno run main.ts | head -1`: BrokenPipe) is
 * dropped: it must never stop the pump that also carries the task traffic.
 */
const passThrough = (file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void => {
  try {
    writeAll(file, bytes)
  } catch {
    // dropped
  }
}

/** A host that starts a child `deno` process. */
export const processHost = (config: ProcessHostConfig = {}): HostFactory => (options) => {
  // The child watches this pid from its first instant: it must not outlive us (see process_entry.ts).
  // A compiled program starts itself in worker mode: its flags are fixed by `deno compile` (see compiled.ts).
  const args = isCompiled() ? selfWorkerArgs(Deno.pid) : denoArgs(config, options.permissions)
  let child: Deno.ChildProcess
  try {
    child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).spawn()
  } catch (e) {
    return failedHost(options.events.onExit, e)
  }
  if (!unloadHooked) {
    unloadHooked = true
    globalThis.addEventListener("unload", killAll)
  }
  live.add(child)
  addChild({ id: options.id, name: options.name, isolation: "process", pid: child.pid })

  let alive = true
  const stdin = child.stdin.getWriter()
  let stdinClosed: Promise<void> | undefined
  const closeStdin = (): Promise<void> => stdinClosed ??= stdin.close().catch(() => {})

  let tail: Uint8Array = new Uint8Array(0)
  const stdoutReader = child.stdout.getReader()
  const stderrReader = child.stderr.getReader()
  const frames = new FrameReader(
    (body) => {
      if (!alive) return
      let message: P.FromWorker
      try {
        message = deserialize(body) as P.FromWorker
      } catch (e) {
        return end({ reason: `protocol violation: a frame from the child process could not be deserialized: ${e}` })
      }
      try {
        options.events.onMessage(message)
      } catch (e) {
        end({ reason: `a message from the child process could not be handled: ${e}` })
      }
    },
    (raw) => passThrough(Deno.stdout, raw),
    (reason) => end({ reason: `protocol violation: ${reason}` }),
  )
  const pump = async (
    reader: ReadableStreamDefaultReader<Uint8Array>,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<void> => {
    try {
      for (;;) {
        const r = await reader.read()
        if (r.done) return
        onChunk(r.value)
      }
    } catch {
      // the pipe broke or was cancelled: the exit status tells what happened
    }
  }
  const stdoutDone = pump(stdoutReader, (chunk) => frames.push(chunk))
  const stderrDone = pump(stderrReader, (chunk) => {
    passThrough(Deno.stderr, chunk)
    tail = keepTail(tail, chunk)
  })

  /** Marks the child ended and kills it; `false` when it had already ended. */
  const stop = (): boolean => {
    if (!alive) return false
    alive = false
    removeChild(options.id)
    kill(child)
    return true
  }
  const end = (exit: HostExit): void => {
    if (stop()) options.events.onExit(exit)
  }

  const settled = child.status.then(async (status) => {
    live.delete(child)
    // Read what the child wrote before it died (its last results, EXIT or FATAL, the stderr tail) first.
    const drained = await within(Promise.all([stdoutDone, stderrDone]), DRAIN_MS)
    if (!drained) {
      // A grandchild may hold the pipes open: stop reading them.
      await Promise.all([stdoutReader.cancel().catch(() => {}), stderrReader.cancel().catch(() => {})])
    }
    end(describeExit(status, new TextDecoder().decode(tail), config.maxMemoryMb))
    await Promise.all([closeStdin(), stdoutDone, stderrDone])
  })

  const host: Host & { readonly pid: number } = {
    isolation: "process",
    pid: child.pid,
    // The owner's finalizer awaits this: the child is reaped and its pipes are closed.
    settled,
    post: (message, _transfer) => {
      // Serialize first: a value that cannot be cloned throws here, and nothing is sent.
      const frame = encodeFrame(serializeMessage(message))
      if (!alive || stdinClosed !== undefined) return
      // A write to a dead child fails; its exit status reports the death.
      stdin.write(frame).catch(() => {})
    },
    terminate: () => {
      if (stop()) closeStdin()
    },
  }
  return host
}

/** `deno run` arguments that start `process_entry.ts` as a child of this process. */
const denoArgs = (config: ProcessHostConfig, permissions: HostOptions["permissions"]): Array<string> => {
  const args = ["run", "--no-prompt", ...permissionFlags(permissions, entry)]
  if (config.maxMemoryMb !== undefined) args.push(`--v8-flags=--max-old-space-size=${config.maxMemoryMb}`)
  args.push(entrySpecifier, String(Deno.pid))
  return args
}

/** A host whose process could not be started: it reports its exit on the next turn. */
const failedHost = (onExit: (exit: HostExit) => void, e: unknown): Host => {
  let alive = true
  const reason = `the child process could not be started: ${errorMessage(e)}`
  const timer = setTimeout(() => {
    if (!alive) return
    alive = false
    onExit({ reason })
  }, 0)
  return {
    isolation: "process",
    post: () => {},
    terminate: () => {
      alive = false
      clearTimeout(timer)
    },
  }
}

const keepTail = (tail: Uint8Array, chunk: Uint8Array): Uint8Array => {
  if (chunk.length >= STDERR_TAIL) return chunk.slice(chunk.length - STDERR_TAIL)
  const keep = Math.min(tail.length, STDERR_TAIL - chunk.length)
  const out = new Uint8Array(keep + chunk.length)
  out.set(tail.subarray(tail.length - keep), 0)
  out.set(chunk, keep)
  return out
}

/** Resolves `true` when `promise` settles within `ms`, `false` otherwise; leaves no timer behind. */
const within = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    promise.then(() => {
      clearTimeout(timer)
      resolve(true)
    })
  })

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g

/** The reason, exit code and signal of a child's death. Signal deaths get Python's exit code `-N`. */
export const describeExit = (status: Deno.CommandStatus, stderr: string, maxMemoryMb?: number): HostExit => {
  const signal = status.signal ?? undefined
  const exitCode = signal !== undefined && status.code > 128 ? -(status.code - 128) : status.code
  if (/out of memory|Reached heap limit/i.test(stderr)) {
    const limit = maxMemoryMb === undefined ? "" : ` (heap limit maxMemoryMb: ${maxMemoryMb} MB)`
    return { reason: `the child process ran out of memory${limit}`, exitCode, signal }
  }
  const lines = stderr.replace(ANSI, "").split("\n").map((l) => l.trim()).filter((l) => l.length > 0)
  const last = lines.length === 0 ? "" : `; its stderr ended with: ${lines.slice(-2).join(" | ").slice(-300)}`
  const how = signal !== undefined ? `was killed by ${signal}` : `exited with code ${status.code}`
  return { reason: `the child process ${how}${last}`, exitCode, signal }
}
