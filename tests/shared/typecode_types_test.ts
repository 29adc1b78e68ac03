/**
 * Python's typecodes name element types in types as they do in values:
 * `mp.Value.Value<"i">` is the type of `mp.Value.make("i", 0)`, and the same
 * object is also a `Value<"i32">`; `view()` is the matching typed array
 * (`Int32Array` for `"i"`) with no cast. This file must type-check (`deno check`,
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
same<mp.TRef.TRef<"i">, mp.TRef.TRef<"i32">>(true)
same<mp.TRef.TRef<"d">, mp.TRef.TRef<"f64">>(true)
same<mp.TRef.TRef<"Q">, mp.TRef.TRef<"u64">>(true)
// Different element types stay different.
same<mp.Value.Value<"i">, mp.Value.Value<"d">>(false)
same<mp.Value.Value<"q">, mp.Value.Value<"i32">>(false)
same<mp.Array.SharedArray<"c">, mp.Array.SharedArray<"u8">>(false)
same<mp.TRef.TRef<"i">, mp.TRef.TRef<"u32">>(false)

// `view()` is the typed array of the element type, by typecode as by name: no cast.
same<ReturnType<mp.Array.SharedArray<"b">["view"]>, Int8Array>(true)
same<ReturnType<mp.Array.SharedArray<"B">["view"]>, Uint8Array>(true)
same<ReturnType<mp.Array.SharedArray<"c">["view"]>, Uint8Array>(true)
same<ReturnType<mp.Array.SharedArray<"h">["view"]>, Int16Array>(true)
same<ReturnType<mp.Array.SharedArray<"H">["view"]>, Uint16Array>(true)
same<ReturnType<mp.Array.SharedArray<"i">["view"]>, Int32Array>(true)
same<ReturnType<mp.Array.SharedArray<"l">["view"]>, Int32Array>(true)
same<ReturnType<mp.Array.SharedArray<"I">["view"]>, Uint32Array>(true)
same<ReturnType<mp.Array.SharedArray<"L">["view"]>, Uint32Array>(true)
same<ReturnType<mp.Array.SharedArray<"q">["view"]>, BigInt64Array>(true)
same<ReturnType<mp.Array.SharedArray<"Q">["view"]>, BigUint64Array>(true)
same<ReturnType<mp.Array.SharedArray<"f">["view"]>, Float32Array>(true)
same<ReturnType<mp.Array.SharedArray<"d">["view"]>, Float64Array>(true)
same<ReturnType<mp.RawArray.RawArray<"i">["view"]>, Int32Array>(true)
same<ReturnType<mp.RawArray.RawArray<"d">["view"]>, Float64Array>(true)
same<ReturnType<mp.RawArray.RawArray<"q">["view"]>, BigInt64Array>(true)
same<ReturnType<mp.Array.SharedArray<"i">["view"]>, Float64Array>(false)
// Typed schemas (`schemaOf`) decode to the typed object, so a task handler needs no cast.
const intsSchema = mp.Array.schemaOf("i")
same<(typeof intsSchema)["Type"], mp.Array.SharedArray<"i32">>(true)
same<ReturnType<(typeof intsSchema)["Type"]["view"]>, Int32Array>(true)
const doubleSchema = mp.Value.schemaOf("d")
same<(typeof doubleSchema)["Type"], mp.Value.Value<"f64">>(true)
const bytesSchema = mp.RawArray.schemaOf("B")
same<ReturnType<(typeof bytesSchema)["Type"]["view"]>, Uint8Array>(true)
const hitsSchema = mp.RawValue.schemaOf("L")
same<(typeof hitsSchema)["Type"], mp.RawValue.RawValue<"u32">>(true)
const cellSchema = mp.TRef.schemaOf("q")
same<(typeof cellSchema)["Type"], mp.TRef.TRef<"i64">>(true)
same<(typeof cellSchema)["Type"], mp.TRef.TRef<"i32">>(false)
// Elements: bigint for q/Q, a one-character string for c, else number.
same<Effect.Success<ReturnType<mp.Array.SharedArray<"q">["get"]>>, bigint>(true)
same<Effect.Success<ReturnType<mp.Array.SharedArray<"c">["get"]>>, string>(true)
same<Effect.Success<mp.Value.Value<"h">["get"]>, number>(true)
same<Effect.Success<mp.TRef.TRef<"Q">["get"]>, bigint>(true)

test('A Python typecode names a shared type in types as in values: Value<"i">, Array<"d">, RawValue<"q">, RawArray<"c">, TRef<"i">, and view() is the typed array of its element type', () =>
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
    const ints: mp.Array.SharedArray<"i"> = yield* mp.Array.make("i", 4)
    const intsView: Int32Array = ints.view()
    // @ts-expect-error: an int array is not viewed as doubles
    const badView: Float64Array = ints.view()
    void badView
    const doubles: Float64Array = (yield* mp.Array.make("d", [1.5])).view()
    const bigs: BigInt64Array = (yield* mp.RawArray.make("q", [7n])).view()
    const unsigned: mp.RawArray.RawArray<"L"> = yield* mp.RawArray.make("u32", 1)
    // and what the types refuse, the values refuse too
    const notBig = yield* Effect.flip(
      // @ts-expect-error: a q array holds bigints
      mp.Array.make("q", [1]),
    )
    const ref: mp.TRef.TRef<"i"> = yield* mp.TRef.make("i", 3)
    const refCanonical: mp.TRef.TRef<"i32"> = ref
    const notInt = yield* Effect.flip(
      // @ts-expect-error: an int cell holds numbers
      ref.set(1n),
    )
    intsView[1] = 42
    assertEquals(n, 1)
    assertEquals(counter.type, "i32")
    assertEquals(xs.type, "f64")
    assertEquals(big.type, "i64")
    assertEquals(chars.type, "c")
    assertEquals(yield* ints.get(1), 42)
    assertEquals(doubles[0], 1.5)
    assertEquals(bigs[0], 7n)
    assertEquals(unsigned.view() instanceof Uint32Array, true)
    assertEquals(yield* refCanonical.get, 3)
    assertEquals(ref.type, "i32")
    assertEquals([notBig._tag, notInt._tag], ["InvalidArgument", "InvalidArgument"])
  }))
