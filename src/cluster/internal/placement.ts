/**
 * Where the caller's chunks land: which runner owns which shard, and entity
 * ids that hash to each shard, so the caller can address a chunk to the
 * runner it chose. effect/cluster routes a message by its entity id's shard,
 * and (with no shard manager) every process computes the shards' owners the
 * same way: a hash ring of the healthy runners, weighted by their
 * `runnerShardWeight` (here, their worker count). The caller computes it too,
 * from the runners in PostgreSQL. Should its view lag the runners' for a
 * moment (a runner joined or died in between), a chunk still reaches the
 * shard's real owner: only the balance is off until the next refresh.
 *
 * @internal
 * @module
 */
import type { Runner } from "effect/cluster/Runner"
import type { RunnerAddress } from "effect/cluster/RunnerAddress"
import * as HashRing from "effect/HashRing"

/** One runner as the caller sees it. */
export interface RunnerView {
  /** `host:port`. */
  readonly key: string
  /** How many chunks it runs at once: its local pool's workers (its registered weight). */
  readonly capacity: number
  /** Entity ids whose shards it owns (a few, in shard order): a chunk sent to one of them runs on it. */
  readonly entityIds: ReadonlyArray<string>
}

/** How many entity ids the caller keeps per runner (chunks to one runner rotate over them). */
export const IDS_PER_RUNNER = 8

/** A runner's key, `host:port`. */
export const keyOf = (address: RunnerAddress): string => `${address.host}:${address.port}`

/**
 * An entity id for every shard `1..shards`: random ids (random ids spread
 * evenly; similar ids would not), drawn until each shard has one.
 * `shardOf` is the cluster's own hashing.
 */
export const idsByShard = (shards: number, shardOf: (entityId: string) => number): Map<number, string> => {
  const ids = new Map<number, string>()
  // ~ shards × ln(shards) draws fill every shard; the bound only stops a broken `shardOf` from looping forever.
  for (let draws = 0; ids.size < shards && draws < shards * 100; draws++) {
    const id = crypto.randomUUID()
    const shard = shardOf(id)
    if (!ids.has(shard)) ids.set(shard, id)
  }
  return ids
}

/** The caller's view of the cluster. */
export interface Placement {
  /** The healthy runners, in address order. */
  readonly runners: ReadonlyArray<RunnerView>
  /** The key of the runner that owns shard `i + 1`, at `i` (empty with no runner). */
  readonly owners: ReadonlyArray<string>
}

/**
 * The healthy runners, in address order, each with the entity ids of (some
 * of) the shards the cluster assigns it, and every shard's owner. Pure: the
 * same computation as the runners' own, from the same list.
 */
export const placements = (
  runners: ReadonlyArray<readonly [Runner, boolean]>,
  ids: ReadonlyMap<number, string>,
  shards: number,
): Placement => {
  const healthy = runners.filter(([, ok]) => ok).map(([runner]) => runner)
  if (healthy.length === 0) return { runners: [], owners: [] }
  const ring = HashRing.make<RunnerAddress>()
  for (const runner of healthy) HashRing.add(ring, runner.address, { weight: runner.weight })
  const owners = HashRing.getShards(ring, shards) ?? []
  const owned = new Map<string, Array<string>>()
  owners.forEach((owner, i) => {
    const id = ids.get(i + 1)
    if (id === undefined) return
    const list = owned.get(keyOf(owner)) ?? []
    if (list.length < IDS_PER_RUNNER) list.push(id)
    owned.set(keyOf(owner), list)
  })
  const views = healthy
    .map((runner) => ({
      key: keyOf(runner.address),
      capacity: Math.max(1, Math.floor(runner.weight)),
      entityIds: owned.get(keyOf(runner.address)) ?? [],
    }))
    .filter((view) => view.entityIds.length > 0)
    .sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  return { runners: views, owners: owners.map(keyOf) }
}
