/**
 * A bracketed synchronous section of a lock (`Lock` or `RLock`): what
 * `withLockSync` and the `…Sync` forms of `Value` and `Array` run under.
 *
 * @internal
 * @module
 */

/** A lock's synchronous entry and exit: `exitSync` gets what `enterSync` returned. */
export interface SyncSection {
  /** Takes the lock (or re-enters it); throws `LockAbandoned` or `BlockingRefused`. */
  enterSync(): number
  /** Leaves the section entered with `enterSync`, given its result. */
  exitSync(entered: number): void
}

/**
 * Runs `f` inside a synchronous section of `section` and returns its result;
 * leaves the section however `f` ends. No allocation of its own.
 */
export const runSection = <A>(section: SyncSection, f: () => A): A => {
  const entered = section.enterSync()
  try {
    return f()
  } finally {
    section.exitSync(entered)
  }
}
