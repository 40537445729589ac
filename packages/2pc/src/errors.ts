/**
 * Typed errors of `@synod/2pc`. Each extends `SynodError` from
 * `@synod/transport`, carries a stable `code`, and is recognised across two
 * copies of the package by its static `isInstance`.
 */
import { SynodError } from '@synod/transport'

/**
 * Stable error codes raised by `@synod/2pc`.
 *
 * @example
 * ```ts
 * const code: TwoPhaseErrorCode = 'ERR_2PC_TOO_MANY_TRANSACTIONS'
 * ```
 */
export type TwoPhaseErrorCode =
  | 'ERR_2PC_TOO_MANY_TRANSACTIONS'
  | 'ERR_2PC_DUPLICATE_TRANSACTION'
  | 'ERR_2PC_CLOSED'

function hasCode(error: unknown, code: TwoPhaseErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * `begin` was refused: `maxTransactions` transactions are already in flight.
 *
 * @example
 * ```ts
 * try { coordinator.begin('t9', ['p1']) } catch (error) {
 *   if (TooManyTransactionsError.isInstance(error)) console.log(error.limit)
 * }
 * ```
 */
export class TooManyTransactionsError extends SynodError {
  /** The limit that was reached. */
  readonly limit: number
  constructor(limit: number) {
    super('ERR_2PC_TOO_MANY_TRANSACTIONS', `too many transactions in flight: the limit is ${limit}`)
    this.limit = limit
  }
  static override isInstance(error: unknown): error is TooManyTransactionsError {
    return hasCode(error, 'ERR_2PC_TOO_MANY_TRANSACTIONS')
  }
}

/**
 * `begin` was given the id of a transaction that is still in flight.
 *
 * @example
 * ```ts
 * coordinator.begin('t1', ['p1'])
 * coordinator.begin('t1', ['p2']) // throws DuplicateTransactionError
 * ```
 */
export class DuplicateTransactionError extends SynodError {
  /** The id that is in use. */
  readonly txId: string
  constructor(txId: string) {
    super('ERR_2PC_DUPLICATE_TRANSACTION', `transaction "${txId}" is already in flight`)
    this.txId = txId
  }
  static override isInstance(error: unknown): error is DuplicateTransactionError {
    return hasCode(error, 'ERR_2PC_DUPLICATE_TRANSACTION')
  }
}

/**
 * The coordinator or participant was closed: new transactions are refused and
 * pending `run` calls reject with it. A transaction whose `run` rejects this way
 * may still commit (if its commit record was written); ask again after a restart.
 *
 * @example
 * ```ts
 * await coordinator.close()
 * await coordinator.run('t2', ['p1']) // rejects with TwoPhaseClosedError
 * ```
 */
export class TwoPhaseClosedError extends SynodError {
  constructor(what: string) {
    super('ERR_2PC_CLOSED', `${what} is closed`)
  }
  static override isInstance(error: unknown): error is TwoPhaseClosedError {
    return hasCode(error, 'ERR_2PC_CLOSED')
  }
}
