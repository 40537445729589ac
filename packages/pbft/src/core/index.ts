/**
 * The pure PBFT core: no I/O, no clocks, no randomness.
 *
 * @example
 * ```ts
 * import { PbftReplica } from '@synod/pbft'
 * ```
 * @packageDocumentation
 */
export * from './certificates.js'
export * from './client.js'
export * from './codec.js'
export * from './errors.js'
export * from './membership.js'
export type * from './messages.js'
export * from './replica.js'
export type * from './types.js'
