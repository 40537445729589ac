/**
 * @packageDocumentation
 * Snowflake ids that never duplicate and never go backwards: Twitter, Discord, Sonyflake
 * and Instagram layouts and custom ones, as `bigint` or decimal strings, at the layout's
 * full rate, with a stated policy for clocks that move back. No dependencies, no `node:`
 * imports: runs in browsers too.
 *
 * @example
 * ```ts
 * import { layouts, SnowflakeGenerator } from '@synod/snowflake'
 *
 * const generator = new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 7 })
 * const id = generator.nextBigInt()
 * generator.decode(id).nodeId // 7
 * ```
 */

export {
  composeSnowflake,
  type DecodedSnowflake,
  type DecodeOptions,
  decodeSnowflake,
  parseId,
  type SnowflakeParts,
} from './decode.js'
export {
  ClockInvalidError,
  ClockRollbackError,
  ClockStalledError,
  LeaseExpiredError,
  SnowflakeError,
  type SnowflakeErrorCode,
  TimestampOverflowError,
} from './errors.js'
export {
  type ClockRollbackPolicy,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_ROLLBACK_TOLERANCE_MS,
  MAX_FILL_COUNT,
  MAX_ROLLBACK_TOLERANCE_MS,
  MAX_STALLED_CLOCK_READS,
  SnowflakeGenerator,
  type SnowflakeGeneratorOptions,
} from './generator.js'
export {
  defineLayout,
  type LayoutField,
  type LayoutFieldSpec,
  type LayoutSpec,
  layouts,
  MAX_FIELD_BITS,
  MAX_TIME_UNIT_MS,
  MAX_TOTAL_BITS,
  type NodeFieldOf,
  type SnowflakeLayout,
} from './layout.js'
export {
  MemoryWorkerIdRegistry,
  type MemoryWorkerIdRegistryOptions,
  type WorkerIdLease,
  type WorkerIdRegistry,
} from './lease.js'
export { joinNodeId, splitNodeId } from './node-id.js'
