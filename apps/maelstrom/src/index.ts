/**
 * `@synod/maelstrom`: a Maelstrom node for the lin-kv workload, built on a
 * pluggable `KvBackend`, a `MaelstromTransport` that carries any Synod
 * protocol over Maelstrom's network, and an in-repo harness that runs N nodes
 * with faults and checks the history for linearizability.
 *
 * @example
 * ```ts
 * import { runHarness } from '@synod/maelstrom'
 * const summary = await runHarness({ nodes: 3, ops: 200, seed: 1, backend: 'single-leader' })
 * console.log(summary.verdict) // 'ok'
 * ```
 * @packageDocumentation
 */

export {
  BACKEND_NAMES,
  type BackendName,
  DEFAULT_BACKEND,
  parseBackendName,
  resolveBackend,
} from './backends/index.js'
export { type KvOperation, type KvOutcome, KvStore } from './backends/kv-store.js'
export { createLocalUnsafeBackend, localUnsafeBackend } from './backends/local-unsafe.js'
export {
  parseRaftForwardMessage,
  RaftBackend,
  type RaftBackendOptions,
  type RaftForwardMessage,
  type RaftForwardOutcome,
  raftBackend,
} from './backends/raft.js'
export {
  type ForwardedResult,
  parseSingleLeaderMessage,
  SingleLeaderBackend,
  type SingleLeaderMessage,
  type SingleLeaderOptions,
  singleLeaderBackend,
} from './backends/single-leader.js'
export type {
  BackendContext,
  BackendFactory,
  BackendTransportOptions,
  CasOptions,
  KvBackend,
} from './backends/types.js'
export {
  type CliStreams,
  EXIT_USAGE,
  main,
  parseHarnessArguments,
  parseServerArguments,
  runServer,
  type ServerArguments,
  USAGE,
} from './cli.js'
export {
  BackendNotAvailableError,
  CrashError,
  HarnessError,
  isDefiniteErrorCode,
  KeyDoesNotExistError,
  MAELSTROM_ERROR_CODES,
  type MaelstromErrorName,
  MaelstromRequestError,
  MalformedRequestError,
  NotLeaderError,
  NotSupportedError,
  OperationTimeoutError,
  PreconditionFailedError,
  TemporarilyUnavailableError,
  UsageError,
} from './errors.js'
export {
  createEndpoints,
  type EndpointFactory,
  type EndpointMode,
  type NodeEndpoint,
  packageRoot,
  resolveBinary,
} from './harness/endpoints.js'
export { type HarnessOptions, type HarnessSummary, type NemesisKind, runHarness } from './harness/harness.js'
export { canonicalJson, type JsonValue, jsonEquals } from './json.js'
export {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_CLUSTER_NODES,
  MaelstromNode,
  type MaelstromNodeOptions,
} from './node.js'
export { type Envelope, type MessageBody, type ParsedEnvelope, parseEnvelope } from './protocol/envelope.js'
export { DEFAULT_MAX_LINE_BYTES, LineSplitter, type LineSplitterOptions } from './protocol/line-splitter.js'
export { MaelstromTransport, type MaelstromTransportOptions, SYNOD_MESSAGE_TYPE } from './transport.js'
