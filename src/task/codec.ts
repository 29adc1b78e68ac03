/**
 * One crossing of the worker boundary, compiled once from a schema: encode on
 * the sending side, decode on the receiving side. Without a schema both are
 * the identity and values cross by structured clone.
 *
 * It imports nothing from `effect`: a schema is compiled on first use by the
 * compiler that `schema_compiler.ts` installs. The library's parent side
 * always loads it (through `errors.ts`); a worker loads it before it runs a
 * task that has schemas, so a worker whose tasks have none never loads
 * `effect/Schema`.
 *
 * @internal
 * @module
 */
import { errorMessage } from "../internal/error_message.ts"
import { globalValue } from "../internal/global.ts"

/** The outcome of one encode or decode: the value, or why it did not fit. */
export type CodecResult = { readonly ok: true; readonly value: unknown } | {
  readonly ok: false
  readonly message: string
}

/** Encode and decode for one crossing. */
export interface Codec {
  readonly identity: boolean
  readonly encode: (value: unknown) => CodecResult
  readonly decode: (value: unknown) => CodecResult
}

const identity: Codec = {
  identity: true,
  encode: (value) => ({ ok: true, value }),
  decode: (value) => ({ ok: true, value }),
}

/** Compiles one direction of a schema (what `effect/Schema` provides, installed by `schema_compiler.ts`). */
export interface SchemaCompiler {
  readonly encode: (schema: unknown) => (value: unknown) => CodecResult
  readonly decode: (schema: unknown) => (value: unknown) => CodecResult
}

const installed: { compiler: SchemaCompiler | undefined } = globalValue("schema-compiler", () => ({
  compiler: undefined,
}))

/** Installs the schema compiler (once per thread; `schema_compiler.ts` does it when it is loaded). */
export const installSchemaCompiler = (compiler: SchemaCompiler): void => {
  installed.compiler ??= compiler
}

/** Whether schemas can be compiled in this thread yet. */
export const hasSchemaCompiler = (): boolean => installed.compiler !== undefined

const compile = (direction: keyof SchemaCompiler, schema: unknown): (value: unknown) => CodecResult => {
  const compiler = installed.compiler
  if (compiler === undefined) {
    return () => ({ ok: false, message: "schema support is not loaded in this thread (a bug of this library)" })
  }
  const run = compiler[direction](schema)
  return (value) => {
    try {
      return run(value)
    } catch (e) {
      return { ok: false, message: errorMessage(e) }
    }
  }
}

/** Compiles a schema (or none) into a Codec. */
export const makeCodec = (schema: unknown): Codec => {
  if (schema === undefined) return identity
  let encode: ((value: unknown) => CodecResult) | undefined
  let decode: ((value: unknown) => CodecResult) | undefined
  return {
    identity: false,
    encode: (value) => (encode ??= compile("encode", schema))(value),
    decode: (value) => (decode ??= compile("decode", schema))(value),
  }
}

/** Whether any crossing of a task needs a schema (then a worker loads the compiler before it runs the task). */
export const hasSchemas = (codecs: TaskCodecs): boolean =>
  !codecs.payload.identity || !codecs.success.identity || !codecs.failure.identity ||
  (codecs.events !== undefined && !codecs.events.identity)

/**
 * The four crossings of a task, compiled once from its schemas.
 *
 * @internal
 */
export interface TaskCodecs {
  /** Encodes the payload in the caller, decodes it in the worker. */
  readonly payload: Codec
  /** Encodes the handler's value in the worker, decodes it in the caller. */
  readonly success: Codec
  /** Encodes the handler's typed failure in the worker, decodes it in the caller. */
  readonly failure: Codec
  /** Encodes the handler's events in the worker, decodes them in the caller (absent in tasks built by hand). */
  readonly events?: Codec | undefined
  /** Whether the task declared a failure schema. */
  readonly hasFailureSchema: boolean
}
