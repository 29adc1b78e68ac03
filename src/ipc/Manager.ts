/**
 * Shared structured objects, like Python's `multiprocessing.Manager()`: a
 * `dict`, a `list` and a `namespace` whose operations are atomic per call and
 * visible to the parent and every worker once the call returns. Pass a proxy
 * inside a task payload and use it on the other side.
 *
 * Python's manager is a server process that owns the objects and answers
 * proxies over sockets. Here there is no server: each object is an operation
 * log in shared memory under one lock, and each thread keeps a replica of it.
 * A call takes the lock, catches up with what others logged, applies and logs
 * its own change, and lets go: no round trip through a busy parent, no
 * message per call, and reads of an unchanged object take no lock at all.
 * Values are stored encoded (structured-clone-equivalent) and decoded on
 * every read, so a read returns a copy, as a Python proxy does. Each thread
 * that uses a proxy holds a copy of that object (as encoded bytes), and the
 * shared log is compacted into a snapshot as it grows. Keys of a dict are
 * strings.
 *
 * Proxies do not nest: a proxy stored in a dict, list or namespace is refused
 * with `EncodeError` (a worker that read it could not reach its shared
 * memory, which only crosses inside a task payload). Store plain values (a
 * dict of arrays rather than a dict of list proxies), or pass each proxy in
 * the payload. A namespace field that is optional can be deleted (`delete`,
 * Python's `del ns.x`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const manager = yield* mp.Manager.make()
 *   const scores = yield* manager.dict<number>({ alice: 1 })
 *   yield* scores.modify("alice", (v) => (v._tag === "Some" ? v.value : 0) + 1)
 *   console.log(yield* scores.toRecord) // { alice: 2 }
 * }))
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import type * as Scope from "effect/Scope"
import { InvalidArgument } from "../errors.ts"
import type { IndexOutOfRange, SharedStateCorrupted } from "../shared/errors.ts"
import { type EncodeError, ManagerShutdown } from "./errors.ts"
import { DictImpl, ListImpl, makeManaged, type ManagedKind, NamespaceImpl } from "./internal/managed.ts"
import { allocateStore } from "./internal/replica.ts"

/**
 * A shared dictionary with string keys (Python's `manager.dict()`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const count = (hits: mp.Manager.DictProxy<number>, page: string) =>
 *   hits.modify(page, (n) => (n._tag === "Some" ? n.value : 0) + 1)
 * ```
 */
export interface DictProxy<V> {
  /** The value at `key`, if any. */
  get(key: string): Effect.Effect<Option.Option<V>, ManagerShutdown | SharedStateCorrupted>
  /** Sets `key` to `value`. */
  set(key: string, value: V): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** Removes `key`; returns whether it was there. */
  delete(key: string): Effect.Effect<boolean, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** Whether `key` is there. */
  has(key: string): Effect.Effect<boolean, ManagerShutdown | SharedStateCorrupted>
  /** Sets many keys in one atomic call (Python's `update`). */
  update(entries: Readonly<Record<string, V>> | Iterable<readonly [string, V]>): Effect.Effect<
    void,
    EncodeError | ManagerShutdown | SharedStateCorrupted
  >
  /**
   * Reads `key` and writes `f(current)` in one atomic call, so two workers
   * counting with it never lose an update. `f` runs under the object's lock:
   * keep it short and synchronous. Returns the new value.
   */
  modify(
    key: string,
    f: (current: Option.Option<V>) => V,
  ): Effect.Effect<V, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** The keys, in insertion order. */
  readonly keys: Effect.Effect<Array<string>, ManagerShutdown | SharedStateCorrupted>
  /** The values, in insertion order of their keys. */
  readonly values: Effect.Effect<Array<V>, ManagerShutdown | SharedStateCorrupted>
  /** The entries, in insertion order. */
  readonly entries: Effect.Effect<Array<[string, V]>, ManagerShutdown | SharedStateCorrupted>
  /** A plain object copy of the dict. */
  readonly toRecord: Effect.Effect<Record<string, V>, ManagerShutdown | SharedStateCorrupted>
  /** How many keys there are. */
  readonly size: Effect.Effect<number, ManagerShutdown | SharedStateCorrupted>
  /** Removes every key. */
  readonly clear: Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted>
}

/**
 * A shared list (Python's `manager.list()`). Negative indices count from the end.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const log = (lines: mp.Manager.ListProxy<string>, line: string) => lines.append(line)
 * ```
 */
export interface ListProxy<A> {
  /** Adds an item at the end. */
  append(value: A): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** Adds items at the end, in one atomic call. */
  extend(values: Iterable<A>): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** The item at `index`, if there is one. */
  get(index: number): Effect.Effect<Option.Option<A>, ManagerShutdown | SharedStateCorrupted>
  /** Replaces the item at `index`; `IndexOutOfRange` when there is none. */
  set(
    index: number,
    value: A,
  ): Effect.Effect<void, IndexOutOfRange | EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** Removes and returns the item at `index` (default: the last), if there is one. */
  pop(index?: number): Effect.Effect<Option.Option<A>, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** How many items there are. */
  readonly length: Effect.Effect<number, ManagerShutdown | SharedStateCorrupted>
  /** A copy of the items. */
  readonly toArray: Effect.Effect<Array<A>, ManagerShutdown | SharedStateCorrupted>
  /** Removes every item. */
  readonly clear: Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted>
}

/**
 * A shared object with named fields (Python's `manager.Namespace()`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const bump = (ns: mp.Manager.NamespaceProxy<{ x: number; y: string }>) => ns.modify("x", (x) => x + 1)
 * ```
 */
export interface NamespaceProxy<T extends Record<string, unknown>> {
  /** The value of a field (`undefined` for an optional field that is not set, or was deleted). */
  get<K extends keyof T & string>(key: K): Effect.Effect<T[K], ManagerShutdown | SharedStateCorrupted>
  /** Whether a field is set (Python's `hasattr`). */
  has(key: keyof T & string): Effect.Effect<boolean, ManagerShutdown | SharedStateCorrupted>
  /**
   * Deletes an optional field (Python's `del ns.x`); returns whether it was
   * set. It then reads as `undefined` and is left out of `toObject`.
   */
  delete<K extends OptionalKeys<T>>(
    key: K,
  ): Effect.Effect<boolean, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** Sets a field. */
  set<K extends keyof T & string>(
    key: K,
    value: T[K],
  ): Effect.Effect<void, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** Reads a field and writes `f(value)` in one atomic call; returns the new value. */
  modify<K extends keyof T & string>(
    key: K,
    f: (value: T[K]) => T[K],
  ): Effect.Effect<T[K], EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** A plain object copy of every field. */
  readonly toObject: Effect.Effect<T, ManagerShutdown | SharedStateCorrupted>
}

/**
 * The optional keys of `T`: the fields a namespace may delete.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * type K = mp.Manager.OptionalKeys<{ a: number; b?: string }> // "b"
 * ```
 */
export type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T] & string

/**
 * A running manager: it makes proxies, and shuts down with its Scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const setup = (manager: mp.Manager.Manager) =>
 *   Effect.all([manager.dict<number>(), manager.list<string>(), manager.namespace({ done: false })])
 * ```
 */
export interface Manager {
  /** A new shared dict, optionally filled from `initial`. */
  dict<V = unknown>(
    initial?: Readonly<Record<string, V>> | Iterable<readonly [string, V]>,
  ): Effect.Effect<DictProxy<V>, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** A new shared list, optionally filled from `initial`. */
  list<A = unknown>(
    initial?: Iterable<A>,
  ): Effect.Effect<ListProxy<A>, EncodeError | ManagerShutdown | SharedStateCorrupted>
  /** A new shared namespace with the fields of `initial`. */
  namespace<T extends Record<string, unknown>>(initial: T): Effect.Effect<
    NamespaceProxy<T>,
    EncodeError | ManagerShutdown | SharedStateCorrupted
  >
  /** Shuts the manager down now: every proxy's next call fails with `ManagerShutdown`. */
  readonly shutdown: Effect.Effect<void>
  /** Whether the manager has been shut down. */
  readonly isShutdown: Effect.Effect<boolean>
}

/**
 * Options of `make`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Manager.MakeOptions = { maxBytes: 16 * 1024 * 1024 }
 * ```
 */
export interface MakeOptions {
  /** The most bytes one object's log and snapshot may use (default 256 MiB). */
  readonly maxBytes?: number | undefined
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024

const entriesOf = <V>(
  initial: Readonly<Record<string, V>> | Iterable<readonly [string, V]> | undefined,
): Array<readonly [string, V]> => {
  if (initial === undefined) return []
  if (Symbol.iterator in initial) return Array.from(initial as Iterable<readonly [string, V]>)
  return Object.entries(initial as Record<string, V>)
}

/**
 * Starts a manager in the current Scope; closing the Scope shuts it down.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const manager = yield* mp.Manager.make()
 *   const items = yield* manager.list<string>()
 *   yield* items.append("New item")
 *   console.log(yield* items.toArray) // ["New item"]
 * }))
 * ```
 */
export const make = (options?: MakeOptions): Effect.Effect<Manager, InvalidArgument, Scope.Scope> =>
  Effect.suspend(() => {
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES
    if (!(Number.isInteger(maxBytes) && maxBytes >= 1024)) {
      return Effect.fail(
        new InvalidArgument({ argument: "maxBytes", message: `maxBytes must be an integer >= 1024, got ${maxBytes}` }),
      )
    }
    const word = new SharedArrayBuffer(4)
    const flag = new Int32Array(word)
    const create = (kind: ManagedKind) => makeManaged(kind, allocateStore(maxBytes), word)
    const guard = Effect.suspend(() => Atomics.load(flag, 0) !== 0 ? Effect.fail(new ManagerShutdown({})) : Effect.void)
    const manager: Manager = {
      dict: <V>(initial?: Readonly<Record<string, V>> | Iterable<readonly [string, V]>) =>
        Effect.flatMap(guard, () => {
          const d = create("dict") as DictImpl
          const entries = entriesOf(initial)
          return Effect.as(entries.length === 0 ? Effect.void : d.update(entries), d as unknown as DictProxy<V>)
        }),
      list: <A>(initial?: Iterable<A>) =>
        Effect.flatMap(guard, () => {
          const l = create("list") as ListImpl
          return Effect.as(initial === undefined ? Effect.void : l.extend(initial), l as unknown as ListProxy<A>)
        }),
      namespace: <T extends Record<string, unknown>>(initial: T) =>
        Effect.flatMap(guard, () => {
          const n = create("namespace") as NamespaceImpl
          return Effect.as(n.init(initial), n as unknown as NamespaceProxy<T>)
        }),
      shutdown: Effect.sync(() => {
        Atomics.store(flag, 0, 1)
      }),
      isShutdown: Effect.sync(() => Atomics.load(flag, 0) !== 0),
    }
    return Effect.as(Effect.addFinalizer(() => manager.shutdown), manager)
  })

const declare = <T>(is: (u: unknown) => boolean, title: string): Schema.declare<T> =>
  Schema.declareConstructor<T>()(
    [],
    () => (u, ast, options) =>
      is(u) ? Effect.succeed(u as T) : Effect.fail(new SchemaIssue.InvalidType(ast, u, options)),
    { title },
  ) as unknown as Schema.declare<T>

/**
 * The schema of a dict proxy inside a task payload.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const record = mp.Task.make(import.meta.url, "record", {
 *   payload: Schema.Struct({ results: mp.Manager.dictSchema<number>(), key: Schema.String }),
 *   handler: ({ results, key }) => results.set(key, key.length),
 * })
 * ```
 */
export const dictSchema = <V = unknown>(): Schema.declare<DictProxy<V>> =>
  declare((u) => u instanceof DictImpl, "mp.Manager.DictProxy")

/**
 * The schema of a list proxy inside a task payload.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const note = mp.Task.make(import.meta.url, "note", {
 *   payload: Schema.Struct({ lines: mp.Manager.listSchema<string>() }),
 *   handler: ({ lines }) => lines.append("New item"),
 * })
 * ```
 */
export const listSchema = <A = unknown>(): Schema.declare<ListProxy<A>> =>
  declare((u) => u instanceof ListImpl, "mp.Manager.ListProxy")

/**
 * The schema of a namespace proxy inside a task payload.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const finish = mp.Task.make(import.meta.url, "finish", {
 *   payload: Schema.Struct({ state: mp.Manager.namespaceSchema<{ done: boolean }>() }),
 *   handler: ({ state }) => state.set("done", true),
 * })
 * ```
 */
export const namespaceSchema = <T extends Record<string, unknown>>(): Schema.declare<NamespaceProxy<T>> =>
  declare((u) => u instanceof NamespaceImpl, "mp.Manager.NamespaceProxy")
