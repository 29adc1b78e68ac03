/**
 * Python's typecodes name element types in types as they do in values:
 * `mp.Value.Value<"i">` is the type of `mp.Value.make("i", 0)`, and the same
 * object is also a `Value<"i32">`. This file must type-check (`deno check`,
 * and `deno test` checks it before running); its one test asserts the values.
 */
import { assertEquals } from "@std/assert"
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { test } from "../support/mod.ts"

/** `A` and `B` are each assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const same = <A, B>(ok: Same<A, B>): Same<A, B> => ok

// Each typecode names the same type as its canonical name.
same<mp.Value.Value<"i">, mp.Value.Value<"i32">>(true)
same<mp.Value.Value<"l">, mp.Value.Value<"i32">>(true)
same<mp.Value.Value<"I">, mp.Value.Value<"u32">>(true)
same<mp.Value.Value<"b">, mp.Value.Value<"i8">>(true)
same<mp.Value.Value<"h">, mp.Value.Value<"i16">>(true)
same<mp.Value.Value<"q">, mp.Value.Value<"i64">>(true)
same<mp.Value.Value<"Q">, mp.Value.Value<"u64">>(true)
same<mp.Value.Value<"f">, mp.Value.Value<"f32">>(true)
same<mp.Value.Value<"d">, mp.Value.Value<"f64">>(true)
same<mp.Array.SharedArray<"d">, mp.Array.SharedArray<"f64">>(true)
same<mp.Array.SharedArray<"B">, mp.Array.SharedArray<"u8">>(true)
same<mp.RawValue.RawValue<"i">, mp.RawValue.RawValue<"i32">>(true)
same<mp.RawArray.RawArray<"H">, mp.RawArray.RawArray<"u16">>(true)
// Different element types stay different.
same<mp.Value.Value<"i">, mp.Value.Value<"d">>(false)
same<mp.Value.Value<"q">, mp.Value.Value<"i32">>(false)
same<mp.Array.SharedArray<"c">, mp.Array.SharedArray<"u8">>(false)

test('A Python typecode names a shared type in types as in values: Value<"i">, Array<"d">, RawValue<"q">, RawArray<"c">', () =>
  Effect.gen(function* () {
    const counter: mp.Value.Value<"i"> = yield* mp.Value.make("i", 1)
    const canonical: mp.Value.Value<"i32"> = counter
    const n: number = yield* canonical.get
    const xs: mp.Array.SharedArray<"d"> = yield* mp.Array.make("d", [0.5, 1.5])
    const big: mp.RawValue.RawValue<"q"> = yield* mp.RawValue.make("q", 5n)
    const chars: mp.RawArray.RawArray<"c"> = yield* mp.RawArray.make("c", 2)
    const fromCanonical: mp.Value.Value<"d"> = yield* mp.Value.make("f64", 2.5)
    // @ts-expect-error: a double is not an int
    const wrong: mp.Value.Value<"i"> = fromCanonical
    void wrong
    assertEquals(n, 1)
    assertEquals(counter.type, "i32")
    assertEquals(xs.type, "f64")
    assertEquals(big.type, "i64")
    assertEquals(chars.type, "c")
  }))
