/**
 * A pipe between two `Connection`s, like Python's `multiprocessing.Pipe`:
 * `send` on one end, `recv` on the other, in both directions unless made
 * with `duplex: false`. Each direction is a ring buffer in shared memory, so
 * both ends may live in any thread: pass one inside a task payload.
 *
 * `close` ends this end of the pipe for everyone: the other end reads what
 * is left, then `recv` fails with `PipeClosed` (reason `"eof"`, Python's
 * `EOFError`), and its `send` fails with `"broken"`. Unlike Python, where
 * each process closes its own copy of a handle, there is one end here, shared
 * by every copy: do not close the child's end in the parent. `recv` never
 * hangs on a closed pipe. The death of every thread that used the other end
 * counts as closing it (as the death of a process closes its handles in
 * Python): a waiting `recv` sees `"eof"` within about 100 ms of it, a
 * blocked `send` sees `"broken"`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const [parent, child] = yield* mp.Pipe.make<string>()
 *   yield* child.send("hello")
 *   console.log(yield* parent.recv) // "hello"
 * })
 * ```
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { InvalidArgument } from "../errors.ts"
import { timeoutMs as checkTimeout } from "../internal/arguments.ts"
import { hidden } from "../internal/hidden.ts"
import { registerReviver } from "../internal/revive.ts"
import { SharedStateCorrupted } from "../shared/errors.ts"
import { DecodeError, EncodeError, PipeClosed } from "./errors.ts"
import {
  type AnySchema,
  closeRing,
  deadlineOf,
  type ItemCodec,
  itemCodec,
  pollRing,
  putValues,
  takeItems,
} from "./internal/channel.ts"
import { allGone, allocateUsers, register } from "./internal/liveness.ts"
import { allocate, CLOSED_BY_READER, CLOSED_BY_WRITER, Ring, type RingBuffers } from "./internal/ring.ts"

/**
 * The receiving side of a connection.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const drain = (conn: mp.Pipe.ReadConnection<string>) =>
 *   Effect.gen(function* () {
 *     while (yield* conn.poll()) console.log(yield* conn.recv)
 *   })
 * ```
 */
export interface ReadConnection<A> {
  /**
   * Receives the next message, waiting for one. Fails with `PipeClosed`:
   * `"eof"` once the other end is closed and nothing is left, `"closed"`
   * when this connection was closed.
   */
  readonly recv: Effect.Effect<A, PipeClosed | DecodeError | SharedStateCorrupted>
  /**
   * Whether `recv` would return without waiting (a message is there, or the
   * pipe is closed), waiting up to `timeout` for that (default: do not wait;
   * `Infinity` waits for ever). A negative or malformed timeout is an
   * `InvalidArgument`.
   */
  poll(timeout?: Duration.Input): Effect.Effect<boolean, InvalidArgument>
  /** Closes this end of the pipe (for every copy of it). */
  readonly close: Effect.Effect<void>
}

/**
 * The sending side of a connection.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const greet = (conn: mp.Pipe.WriteConnection<string>) => Effect.andThen(conn.send("hello"), conn.close)
 * ```
 */
export interface WriteConnection<A> {
  /**
   * Sends a message. Fails with `PipeClosed` (`"broken"` when the other end
   * is closed, `"closed"` when this one is) or `EncodeError`; a message that
   * cannot be encoded is not sent.
   */
  send(value: A): Effect.Effect<void, PipeClosed | EncodeError | SharedStateCorrupted>
  /** Closes this end of the pipe (for every copy of it). */
  readonly close: Effect.Effect<void>
}

/**
 * One end of a duplex pipe: it sends and receives.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const ping = (conn: mp.Pipe.Connection<string>) => Effect.andThen(conn.send("ping"), conn.recv)
 * ```
 */
export interface Connection<A> extends ReadConnection<A>, WriteConnection<A> {}

/**
 * Options of `make`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Pipe.MakeOptions<number> = { duplex: true, schema: Schema.Number }
 * ```
 */
export interface MakeOptions<A> {
  /** Both ends send and receive (default `true`); with `false` the first end only receives. */
  readonly duplex?: boolean | undefined
  /** Encodes and decodes every message (declare the payload with `schema(item)`). */
  readonly schema?: Schema.Codec<A, unknown, never, never> | undefined
  /** The most bytes in flight per direction (default 64 MiB); `send` waits when it is reached. */
  readonly maxBytes?: number | undefined
}

const BRAND = "Connection"
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
const INITIAL_BYTES = 16 * 1024

class ConnectionImpl<A> implements Connection<A> {
  readonly __mp: typeof BRAND = BRAND
  readonly rx: RingBuffers | null
  readonly tx: RingBuffers | null
  /** The threads that used this end (see `liveness.ts`). */
  readonly users: SharedArrayBuffer
  /** The threads that used the other end. */
  readonly peerUsers: SharedArrayBuffer
  readonly hasSchema: boolean
  declare readonly rxRing: Ring | undefined
  declare readonly txRing: Ring | undefined
  declare codec: ItemCodec | undefined
  declare registered: boolean
  declare readonly peerGone: () => boolean

  constructor(
    rx: RingBuffers | null,
    tx: RingBuffers | null,
    users: SharedArrayBuffer,
    peerUsers: SharedArrayBuffer,
    hasSchema: boolean,
    codec: ItemCodec | undefined,
  ) {
    this.rx = rx
    this.tx = tx
    this.users = users
    this.peerUsers = peerUsers
    this.hasSchema = hasSchema
    hidden(this, "rxRing", rx === null ? undefined : new Ring(rx))
    hidden(this, "txRing", tx === null ? undefined : new Ring(tx))
    hidden(this, "codec", codec)
    hidden(this, "registered", false)
    const peer = new Int32Array(peerUsers)
    // Every thread that used the other end is dead: that end is closed, in both directions.
    hidden(this, "peerGone", () => {
      if (!allGone(peer)) return false
      if (this.txRing !== undefined) closeRing(this.txRing, CLOSED_BY_READER)
      if (this.rxRing !== undefined) closeRing(this.rxRing, CLOSED_BY_WRITER)
      return true
    })
  }

  /** Registers this thread as a user of this end (once per copy); a defect when the schema did not cross. */
  private enter(): Effect.Effect<never> | undefined {
    if (!this.registered) {
      this.registered = true
      register(new Int32Array(this.users))
    }
    if (!this.hasSchema || this.codec !== undefined) return undefined
    return Effect.die(
      new Error(
        "This connection was made with a schema that did not cross into this worker: declare the task payload " +
          "with mp.Pipe.schema(itemSchema)",
      ),
    )
  }

  send(value: A): Effect.Effect<void, PipeClosed | EncodeError | SharedStateCorrupted> {
    return Effect.suspend(() => {
      const ring = this.txRing
      if (ring === undefined) return Effect.die(new Error("This end of a one-way pipe only receives"))
      const bad = this.enter()
      if (bad !== undefined) return bad
      // A few atomic loads: a send to a dead reader fails at once, as in Python.
      if (this.peerGone()) return Effect.fail(new PipeClosed({ reason: "broken" }))
      return Effect.flatMap(
        putValues(ring, [value], this.codec, Infinity, this.peerGone),
        (r): Effect.Effect<void, PipeClosed | EncodeError | SharedStateCorrupted> => {
          if (r === undefined) return Effect.void
          if (r instanceof SharedStateCorrupted) return Effect.fail(r)
          if (r === "closed") return Effect.fail(new PipeClosed({ reason: "closed" }))
          if (r === "broken") return Effect.fail(new PipeClosed({ reason: "broken" }))
          if (r === "timeout") return Effect.die(new Error("unreachable: send has no timeout"))
          return Effect.fail(new EncodeError({ message: r.encode }))
        },
      )
    })
  }

  get recv(): Effect.Effect<A, PipeClosed | DecodeError | SharedStateCorrupted> {
    return Effect.suspend(() => {
      const ring = this.rxRing
      if (ring === undefined) return Effect.die(new Error("This end of a one-way pipe only sends"))
      const bad = this.enter()
      if (bad !== undefined) return bad
      return Effect.flatMap(
        takeItems(ring, 1, this.codec, Infinity, this.peerGone),
        (t): Effect.Effect<A, PipeClosed | DecodeError | SharedStateCorrupted> => {
          if (t.ok) return Effect.succeed(t.values[0] as A)
          if (t.blocked === "decode") return Effect.fail(new DecodeError({ message: t.message }))
          if (t.blocked === "corrupted") return Effect.fail(t.error)
          return Effect.fail(new PipeClosed({ reason: t.blocked === "eof" ? "eof" : "closed" }))
        },
      )
    })
  }

  poll(timeout?: Duration.Input): Effect.Effect<boolean, InvalidArgument> {
    return Effect.suspend(() => {
      const ring = this.rxRing
      if (ring === undefined) return Effect.die(new Error("This end of a one-way pipe only sends"))
      this.enter()
      const ms = checkTimeout("timeout", timeout) ?? 0
      if (typeof ms === "object") return Effect.fail(ms)
      return pollRing(ring, ms === 0 ? -Infinity : deadlineOf(ms), this.peerGone)
    })
  }

  get close(): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.txRing !== undefined) closeRing(this.txRing, CLOSED_BY_WRITER)
      if (this.rxRing !== undefined) closeRing(this.rxRing, CLOSED_BY_READER)
    })
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as ConnectionImpl<unknown>
  return new ConnectionImpl(p.rx, p.tx, p.users, p.peerUsers, p.hasSchema, undefined)
})

/**
 * Makes a pipe and returns its two ends. Duplex (the default): both ends
 * send and receive. With `duplex: false`: the first end only receives and
 * the second only sends, as in Python.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const [a, b] = yield* mp.Pipe.make<number>()
 *   const [reader, writer] = yield* mp.Pipe.make<string>({ duplex: false })
 *   yield* writer.send("one way")
 *   console.log(yield* reader.recv)
 * })
 * ```
 */
export const make: {
  <A = unknown>(
    options: MakeOptions<A> & { readonly duplex: false },
  ): Effect.Effect<readonly [ReadConnection<A>, WriteConnection<A>], InvalidArgument>
  <A = unknown>(options?: MakeOptions<A>): Effect.Effect<readonly [Connection<A>, Connection<A>], InvalidArgument>
} = <A>(options?: MakeOptions<A>): Effect.Effect<readonly [Connection<A>, Connection<A>], InvalidArgument> =>
  Effect.suspend(() => {
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES
    if (!(Number.isInteger(maxBytes) && maxBytes >= 64)) {
      return Effect.fail(
        new InvalidArgument({ argument: "maxBytes", message: `maxBytes must be an integer >= 64, got ${maxBytes}` }),
      )
    }
    const schema = options?.schema as AnySchema | undefined
    const has = schema !== undefined
    const ring = () => allocate({ capacity: 0, initialBytes: INITIAL_BYTES, maxBytes })
    const forward = ring()
    const first = allocateUsers()
    const second = allocateUsers()
    if (options?.duplex === false) {
      return Effect.succeed(
        [
          new ConnectionImpl<A>(forward, null, first, second, has, itemCodec(schema)),
          new ConnectionImpl<A>(null, forward, second, first, has, itemCodec(schema)),
        ] as const,
      )
    }
    const backward = ring()
    return Effect.succeed(
      [
        new ConnectionImpl<A>(forward, backward, first, second, has, itemCodec(schema)),
        new ConnectionImpl<A>(backward, forward, second, first, has, itemCodec(schema)),
      ] as const,
    )
  })

/**
 * Whether a value is a connection (either end, duplex or not).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * mp.Pipe.isConnection(null) // false
 * ```
 */
export const isConnection = (u: unknown): u is Connection<unknown> => u instanceof ConnectionImpl

/**
 * The schema of a connection inside a task payload. With `item`, the
 * worker's copy gets the message schema back when the payload is decoded.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const answer = mp.Task.make(import.meta.url, "answer", {
 *   payload: Schema.Struct({ conn: mp.Pipe.schema(Schema.Number) }),
 *   handler: ({ conn }) => conn.send(42),
 * })
 * ```
 */
export const schema = <A = unknown>(item?: Schema.Codec<A, unknown, never, never>): Schema.declare<Connection<A>> =>
  Schema.declareConstructor<Connection<A>>()([], () => (u, ast, options) => {
    if (!(u instanceof ConnectionImpl)) return Effect.fail(new SchemaIssue.InvalidType(ast, u, options))
    if (u.hasSchema !== (item !== undefined)) {
      return Effect.fail(
        new SchemaIssue.InvalidValue({
          message: u.hasSchema
            ? "this connection was made with a schema: declare it as mp.Pipe.schema(itemSchema)"
            : "this connection was made without a schema: declare it as mp.Pipe.schema()",
        }),
      )
    }
    if (u.codec === undefined && item !== undefined) u.codec = itemCodec(item as AnySchema)
    return Effect.succeed(u as Connection<A>)
  }, { title: "mp.Pipe.Connection" }) as unknown as Schema.declare<Connection<A>>
