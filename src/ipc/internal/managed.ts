/**
 * The proxies of `Manager`: a dict, a list and a namespace over a replicated
 * store (see `replica.ts`). Their own enumerable fields are the brand, the
 * kind and the shared buffers; the replica is a hidden per-thread field.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { hidden } from "../../internal/hidden.ts"
import { registerReviver } from "../../internal/revive.ts"
import { IndexOutOfRange, SharedStateCorrupted } from "../../shared/errors.ts"
import { EncodeError, ManagerShutdown } from "../errors.ts"
import { EncodeFailure } from "./value_bytes.ts"
import { locked, type LockFailure } from "./lock.ts"
import {
  decodeValue,
  encodeValue,
  LOCK,
  type Op,
  OP_APPEND,
  OP_CLEAR,
  OP_DELETE,
  OP_POP_AT,
  OP_SET,
  OP_SET_AT,
  Replica,
  type State,
  type StoreBuffers,
  StoreFull,
} from "./replica.ts"

/** The brand of manager proxies in `revive`. */
export const BRAND = "Managed"

/** Which proxy a store backs. */
export type ManagedKind = "dict" | "list" | "namespace"

const shutdownError = new ManagerShutdown({})

type Dict = Map<string, Uint8Array>
type List = Array<Uint8Array>

/** The outcome of a write section. */
type Outcome<X, E> = { readonly ok: true; readonly value: X } | { readonly ok: false; readonly error: E }

const ok = <X>(value: X): Outcome<X, never> => ({ ok: true, value })

/** The outcome of a locked section as an Effect (the lock's own failure: its word is garbage). */
const settle = <X, E>(r: Outcome<X, E> | LockFailure): Effect.Effect<X, E | SharedStateCorrupted> => {
  if (r === "timeout") return Effect.die(new Error("unreachable: a manager section has no deadline"))
  if (r instanceof SharedStateCorrupted) return Effect.fail(r)
  return r.ok ? Effect.succeed(r.value) : Effect.fail(r.error)
}

const encodeOrFail = (values: ReadonlyArray<unknown>): Array<Uint8Array> | EncodeError => {
  try {
    return values.map(encodeValue)
  } catch (e) {
    if (e instanceof EncodeFailure) return new EncodeError({ message: e.message })
    throw e
  }
}

const normalize = (index: number, length: number): number => (index < 0 ? index + length : index)

/** What every manager proxy shares: the store, its replica, and the read and write paths. */
export class ManagedImpl {
  readonly __mp: typeof BRAND = BRAND
  readonly kind: ManagedKind
  readonly ctl: SharedArrayBuffer
  readonly log: SharedArrayBuffer
  /** The manager's control word (bit 0: shut down). */
  readonly manager: SharedArrayBuffer
  declare readonly replica: Replica
  declare readonly managerWord: Int32Array

  constructor(kind: ManagedKind, buffers: StoreBuffers, manager: SharedArrayBuffer) {
    this.kind = kind
    this.ctl = buffers.ctl
    this.log = buffers.log
    this.manager = manager
    hidden(this, "replica", new Replica(buffers, kind === "list"))
    hidden(this, "managerWord", new Int32Array(manager))
  }

  private isShutdown(): boolean {
    return Atomics.load(this.managerWord, 0) !== 0
  }

  /** Reads from an up-to-date replica: `pick` under the lock (or without it when nothing changed), `finish` after. */
  read<P, X>(pick: (state: State) => P, finish: (p: P) => X): Effect.Effect<X, ManagerShutdown | SharedStateCorrupted> {
    return Effect.suspend((): Effect.Effect<X, ManagerShutdown | SharedStateCorrupted> => {
      if (this.isShutdown()) return Effect.fail(shutdownError)
      const replica = this.replica
      if (replica.isCurrent()) return Effect.succeed(finish(pick(replica.state)))
      return Effect.flatMap(
        locked(
          replica.ctl,
          LOCK,
          (): Outcome<P, SharedStateCorrupted> => {
            try {
              replica.sync()
            } catch (e) {
              if (e instanceof SharedStateCorrupted) return { ok: false, error: e }
              throw e
            }
            return ok(pick(replica.state))
          },
          (r): Outcome<X, SharedStateCorrupted> => r.ok ? ok(finish(r.value)) : r,
          Infinity,
          "manager log",
        ),
        settle,
      )
    })
  }

  /**
   * Changes the store atomically: `section` runs under the lock on an
   * up-to-date replica and returns the operations to log and the result.
   */
  write<X, E>(
    section: (state: State) => Outcome<{ readonly ops: ReadonlyArray<Op>; readonly result: X }, E>,
  ): Effect.Effect<X, E | EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return Effect.suspend(() => {
      const replica = this.replica
      return Effect.flatMap(
        locked(
          replica.ctl,
          LOCK,
          (): Outcome<X, E | EncodeError | ManagerShutdown | SharedStateCorrupted> => {
            if (this.isShutdown()) return { ok: false, error: shutdownError }
            try {
              replica.sync()
              const r = section(replica.state)
              if (!r.ok) return r
              if (r.value.ops.length > 0) replica.commit(r.value.ops)
              return ok(r.value.result)
            } catch (e) {
              if (e instanceof StoreFull || e instanceof EncodeFailure) {
                return { ok: false, error: new EncodeError({ message: e.message }) }
              }
              if (e instanceof SharedStateCorrupted) return { ok: false, error: e }
              throw e
            }
          },
          (r) => r,
          Infinity,
          "manager log",
        ),
        settle,
      )
    })
  }

  /** Encodes values outside the lock, then writes. */
  writeValues<X, E>(
    values: ReadonlyArray<unknown>,
    section: (state: State, bytes: Array<Uint8Array>) => Outcome<
      { readonly ops: ReadonlyArray<Op>; readonly result: X },
      E
    >,
  ): Effect.Effect<X, E | EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return Effect.suspend(() => {
      const bytes = encodeOrFail(values)
      if (bytes instanceof EncodeError) return Effect.fail(bytes)
      return this.write((state) => section(state, bytes))
    })
  }
}

const readAt = (s: State, key: string): Uint8Array | undefined => (s as Dict).get(key)
const maybe = (b: Uint8Array | undefined): Option.Option<unknown> =>
  b === undefined ? Option.none() : Option.some(decodeValue(b))
const same = <X>(x: X): X => x

/** A shared dict. */
export class DictImpl extends ManagedImpl {
  get(key: string): Effect.Effect<Option.Option<unknown>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => readAt(s, key), maybe)
  }

  set(key: string, value: unknown): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.writeValues([value], (_, [b]) => ok({ ops: [{ code: OP_SET, key, value: b }], result: undefined }))
  }

  update(
    initial: Readonly<Record<string, unknown>> | Iterable<readonly [string, unknown]>,
  ): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return Effect.suspend(() => {
      const entries = Symbol.iterator in initial
        ? Array.from(initial as Iterable<readonly [string, unknown]>)
        : Object.entries(initial)
      return this.writeValues(
        entries.map((e) => e[1]),
        (_, bytes) =>
          ok({ ops: entries.map(([key], i) => ({ code: OP_SET, key, value: bytes[i] })), result: undefined }),
      )
    })
  }

  delete(key: string): Effect.Effect<boolean, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.write((s) => {
      const had = (s as Dict).has(key)
      return ok({ ops: had ? [{ code: OP_DELETE, key }] : [], result: had })
    })
  }

  modify(
    key: string,
    f: (current: Option.Option<unknown>) => unknown,
  ): Effect.Effect<unknown, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.write((s) => {
      const next = f(maybe(readAt(s, key)))
      return ok({ ops: [{ code: OP_SET, key, value: encodeValue(next) }], result: next })
    })
  }

  has(key: string): Effect.Effect<boolean, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => (s as Dict).has(key), same)
  }

  get keys(): Effect.Effect<Array<string>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => Array.from((s as Dict).keys()), same)
  }

  get values(): Effect.Effect<Array<unknown>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => Array.from((s as Dict).values()), (bs) => bs.map(decodeValue))
  }

  get entries(): Effect.Effect<Array<[string, unknown]>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => Array.from((s as Dict).entries()), (es) => es.map(([k, b]) => [k, decodeValue(b)]))
  }

  get toRecord(): Effect.Effect<Record<string, unknown>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => Array.from((s as Dict).entries()), toRecord)
  }

  get size(): Effect.Effect<number, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => (s as Dict).size, same)
  }

  get clear(): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.write(() => ok({ ops: [{ code: OP_CLEAR }], result: undefined }))
  }
}

const toRecord = (es: Array<[string, Uint8Array]>): Record<string, unknown> => {
  const o: Record<string, unknown> = {}
  for (const [k, b] of es) {
    Object.defineProperty(o, k, { value: decodeValue(b), enumerable: true, writable: true, configurable: true })
  }
  return o
}

/** A shared namespace: a dict with a fixed set of fields. */
export class NamespaceImpl extends ManagedImpl {
  get(key: string): Effect.Effect<unknown, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => readAt(s, key), (b) => b === undefined ? undefined : decodeValue(b))
  }

  has(key: string): Effect.Effect<boolean, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => (s as Dict).has(key), (had) => had)
  }

  delete(key: string): Effect.Effect<boolean, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.write((s) => {
      const had = (s as Dict).has(key)
      return ok({ ops: had ? [{ code: OP_DELETE, key }] : [], result: had })
    })
  }

  set(key: string, value: unknown): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.writeValues([value], (_, [b]) => ok({ ops: [{ code: OP_SET, key, value: b }], result: undefined }))
  }

  modify(
    key: string,
    f: (current: unknown) => unknown,
  ): Effect.Effect<unknown, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.write((s) => {
      const b = readAt(s, key)
      const next = f(b === undefined ? undefined : decodeValue(b))
      return ok({ ops: [{ code: OP_SET, key, value: encodeValue(next) }], result: next })
    })
  }

  get toObject(): Effect.Effect<Record<string, unknown>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => Array.from((s as Dict).entries()), toRecord)
  }

  /** Sets every field of `initial` (at creation). */
  init(initial: Record<string, unknown>): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    const entries = Object.entries(initial)
    return this.writeValues(
      entries.map((e) => e[1]),
      (_, bytes) => ok({ ops: entries.map(([key], i) => ({ code: OP_SET, key, value: bytes[i] })), result: undefined }),
    )
  }
}

/** A shared list. */
export class ListImpl extends ManagedImpl {
  append(value: unknown): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.writeValues([value], (_, [b]) => ok({ ops: [{ code: OP_APPEND, value: b }], result: undefined }))
  }

  extend(values: Iterable<unknown>): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return Effect.suspend(() =>
      this.writeValues(
        Array.from(values),
        (_, bytes) => ok({ ops: bytes.map((value) => ({ code: OP_APPEND, value })), result: undefined }),
      )
    )
  }

  get(index: number): Effect.Effect<Option.Option<unknown>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => (s as List)[normalize(index, (s as List).length)], maybe)
  }

  set(
    index: number,
    value: unknown,
  ): Effect.Effect<void, IndexOutOfRange | EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.writeValues<void, IndexOutOfRange>([value], (s, [b]) => {
      const list = s as List
      const i = normalize(index, list.length)
      if (!(Number.isInteger(i) && i >= 0 && i < list.length)) {
        return { ok: false, error: new IndexOutOfRange({ index, length: list.length }) }
      }
      return ok({ ops: [{ code: OP_SET_AT, index: i, value: b }], result: undefined })
    })
  }

  pop(index?: number): Effect.Effect<Option.Option<unknown>, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return Effect.map(
      this.write((s) => {
        const list = s as List
        const i = normalize(index ?? -1, list.length)
        if (!(Number.isInteger(i) && i >= 0 && i < list.length)) return ok({ ops: [], result: undefined })
        return ok({ ops: [{ code: OP_POP_AT, index: i }], result: list[i] })
      }),
      maybe,
    )
  }

  get length(): Effect.Effect<number, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => (s as List).length, same)
  }

  get toArray(): Effect.Effect<Array<unknown>, ManagerShutdown | SharedStateCorrupted> {
    return this.read((s) => (s as List).slice(), (bs) => bs.map(decodeValue))
  }

  get clear(): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted> {
    return this.write(() => ok({ ops: [{ code: OP_CLEAR }], result: undefined }))
  }
}

const classes = { dict: DictImpl, list: ListImpl, namespace: NamespaceImpl } as const

/** Makes the proxy of `kind` over `buffers`. */
export const makeManaged = (kind: ManagedKind, buffers: StoreBuffers, manager: SharedArrayBuffer): ManagedImpl =>
  new classes[kind](kind, buffers, manager)

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as ManagedImpl
  return makeManaged(p.kind, { ctl: p.ctl, log: p.log }, p.manager)
})
