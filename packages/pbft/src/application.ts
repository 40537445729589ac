/**
 * The replicated application, seen from outside the core: a synchronous,
 * deterministic state machine, and the helper that carries out a replica's
 * `apply` commands with it.
 */
import type { PbftReplica } from './core/replica.js'
import type { ApplyCommand, ExecutableRequest } from './core/types.js'

/**
 * A deterministic state machine: the same batches in the same order give the
 * same results and the same snapshot bytes on every replica.
 *
 * @example
 * ```ts
 * let counter = 0
 * const application: PbftApplication = {
 *   execute: (batch) => batch.map(() => Uint8Array.of(++counter)),
 *   query: () => Uint8Array.of(counter),
 *   snapshot: () => Uint8Array.of(counter),
 *   restore: (bytes) => { counter = bytes[0] ?? 0 },
 * }
 * ```
 */
export interface PbftApplication {
  /** Executes one ordered batch; returns one result per request. */
  execute(batch: readonly ExecutableRequest[], sequence: number): Uint8Array[]
  /** Answers a read-only operation against the current state, without changing it. */
  query(operation: Uint8Array): Uint8Array
  /** The canonical bytes of the current state (equal states give equal bytes). */
  snapshot(): Uint8Array
  /** Replaces the state with a snapshot produced by `snapshot()`. */
  restore(snapshot: Uint8Array): void
}

/**
 * Carries out `Ready.apply` with a synchronous application and reports the
 * answers back to the replica. Call it after `advance()`; the replica may have
 * a new `Ready` afterwards (the next batch, replies, a checkpoint).
 *
 * @example
 * ```ts
 * while (replica.hasReady()) {
 *   const ready = replica.ready()
 *   persist(ready.persist); send(ready.messages)
 *   replica.advance()
 *   applyCommands(replica, application, ready.apply)
 * }
 * ```
 */
export function applyCommands(
  replica: PbftReplica,
  application: PbftApplication,
  commands: readonly ApplyCommand[],
): void {
  for (const command of commands) {
    switch (command.kind) {
      case 'execute': {
        const results =
          command.requests.length > 0 ? application.execute(command.requests, command.sequence) : []
        replica.applied(command.sequence, results, command.checkpoint ? application.snapshot() : undefined)
        break
      }
      case 'query':
        replica.answered(command.request, application.query(command.request.operation))
        break
      case 'restore':
        application.restore(command.snapshot)
        break
    }
  }
}
