/**
 * A small adapter that exports the `@std/assert` names this repository uses,
 * implemented over `node:assert/strict`. JSR cannot be reached from the build
 * machines; switching to the real `@std/assert` is a one-line change of the
 * import map in `deno.json`.
 *
 * @module
 */
import assert from "node:assert/strict"

/** Thrown when an assertion fails. */
export const AssertionError: typeof assert.AssertionError = assert.AssertionError

/** Asserts that `actual` is truthy. */
export function assert_(expr: unknown, msg?: string): asserts expr {
  assert.ok(expr, msg)
}
export { assert_ as assert }

/** Asserts that `actual` and `expected` are deeply equal. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg)
}

/** Asserts that `actual` and `expected` are not deeply equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.notDeepStrictEqual(actual, expected, msg)
}

/** Asserts that `actual` and `expected` are the same value (`Object.is`). */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  assert.strictEqual(actual, expected, msg)
}

/** Asserts that `actual` is an instance of `klass`. */
export function assertInstanceOf<T extends abstract new (...args: never[]) => unknown>(
  actual: unknown,
  klass: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  assert.ok(actual instanceof klass, msg ?? `expected an instance of ${klass.name}, got ${String(actual)}`)
}

/** Asserts that `actual` contains `expected` as a substring. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  assert.ok(
    actual.includes(expected),
    msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  )
}

/** Asserts that `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  assert.match(actual, expected, msg)
}

/** Asserts that `actual < expected`-style comparisons hold. */
export function assertLess(actual: number, expected: number, msg?: string): void {
  assert.ok(actual < expected, msg ?? `expected ${actual} < ${expected}`)
}

/** Asserts that `actual > expected`. */
export function assertGreater(actual: number, expected: number, msg?: string): void {
  assert.ok(actual > expected, msg ?? `expected ${actual} > ${expected}`)
}

/** Asserts that `actual >= expected`. */
export function assertGreaterOrEqual(actual: number, expected: number, msg?: string): void {
  assert.ok(actual >= expected, msg ?? `expected ${actual} >= ${expected}`)
}

/** Asserts that `actual <= expected`. */
export function assertLessOrEqual(actual: number, expected: number, msg?: string): void {
  assert.ok(actual <= expected, msg ?? `expected ${actual} <= ${expected}`)
}

/** Fails unconditionally. */
export function fail(msg?: string): never {
  assert.fail(msg)
}

/** Asserts that `fn` throws; returns the thrown value. */
export function assertThrows(fn: () => unknown, msg?: string): unknown {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
    return thrown
  }
  assert.fail(msg ?? "expected the function to throw")
}

/** Asserts that the promise returned by `fn` rejects; returns the reason. */
export async function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown> {
  try {
    await fn()
  } catch (e) {
    return e
  }
  assert.fail(msg ?? "expected the promise to reject")
}
