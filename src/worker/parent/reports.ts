/**
 * What the parent side hands on of the worker's reports: outcome kinds,
 * telemetry records (spans, logs) and the trace context a chunk carries, and
 * the serialized form of a thrown error (the in-process pool builds the same
 * `RemoteException`s a worker would). `src/pool/` and `src/process/` read
 * these names here, never the wire format itself.
 *
 * @internal
 * @module
 */
export {
  EXCEPTION,
  FAILURE,
  INTERRUPTED,
  type LogRecord,
  SERIALIZATION,
  serializeError,
  type SpanRecord,
  SUCCESS,
  type TelemetryMessage,
  type TraceContext,
} from "../wire/protocol.ts"
