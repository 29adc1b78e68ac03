/**
 * Installs `effect/Schema` as the compiler of task codecs (see `codec.ts`).
 * Loaded for its effect: by `errors.ts` (so the library's parent side always
 * has it) and by a worker before it runs a task with schemas.
 *
 * @internal
 * @module
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type CodecResult, installSchemaCompiler } from "./codec.ts"

type AnySchema = Schema.Codec<unknown, unknown, never, never>

const wrap = (run: (u: unknown) => Result.Result<unknown, unknown>) => (value: unknown): CodecResult => {
  const r = run(value)
  return Result.isSuccess(r) ? { ok: true, value: r.success } : { ok: false, message: String(r.failure) }
}

installSchemaCompiler({
  encode: (schema) => wrap(Schema.encodeUnknownResult(schema as AnySchema)),
  decode: (schema) => wrap(Schema.decodeUnknownResult(schema as AnySchema)),
})
