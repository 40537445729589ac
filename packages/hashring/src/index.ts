/**
 * @packageDocumentation
 * Consistent hashing with no dependencies: a hash ring with virtual nodes and
 * weights (a fast MurmurHash3 mode, and modes exact to libketama and libmemcached),
 * jump consistent hash, weighted rendezvous (HRW), Maglev, and consistent hashing
 * with bounded loads.
 */

export { type BoundedLoadOptions, BoundedLoadRing } from './bounded-load.js'
export { EmptyRingError } from './errors.js'
export {
  HashRing,
  type HashRingMode,
  type HashRingOptions,
  MAX_POINTS_PER_NODE,
  MAX_RING_POINTS,
} from './hash-ring.js'
export { JumpHash, jumpHash, MAX_JUMP_BUCKETS } from './jump.js'
export { type KetamaCompatibility, ketamaDigestCounts } from './ketama.js'
export { MAX_MAGLEV_TABLE_SIZE, Maglev, type MaglevOptions } from './maglev.js'
export { md5 } from './md5.js'
export { murmur3 } from './murmur3.js'
export { MAX_NODE_ID_LENGTH, MAX_NODES, type NodeInput, type WeightedNode } from './nodes.js'
export { Rendezvous } from './rendezvous.js'
