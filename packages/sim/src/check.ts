/**
 * `@synod/sim/check`: record client histories and check them for linearizability.
 *
 * @example
 * ```ts
 * import { HistoryRecorder, checkLinearizability, registerModel, type RegisterInput, type RegisterOutput } from '@synod/sim/check'
 * const history = new HistoryRecorder<RegisterInput, RegisterOutput>()
 * const id = history.invoke('c1', { type: 'write', value: 1 }, 0)
 * history.ok(id, undefined, 1)
 * checkLinearizability(history.operations(), registerModel) // { result: 'ok', ops: 1, ms: … }
 * ```
 * @packageDocumentation
 */
export * from './linearizability/index.js'
