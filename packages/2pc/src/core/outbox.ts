/**
 * The output side both cores share: lists of work collected until the caller
 * takes them with `ready()`.
 */

/** Collects a core's outputs; `ready()` hands each one out once. */
export class Outbox<R extends { readonly [K in keyof R]: unknown[] }> {
  protected out: R

  constructor(private readonly empty: () => R) {
    this.out = empty()
  }

  /**
   * True when `ready()` has something to do.
   *
   * @example
   * ```ts
   * while (core.hasReady()) handle(core.ready())
   * ```
   */
  hasReady(): boolean {
    for (const key in this.out) if (this.out[key].length > 0) return true
    return false
  }

  /**
   * Takes the pending outputs, to carry out in the order the core's Ready type
   * states (persist, then send, then report). Each output is handed out once.
   *
   * @example
   * ```ts
   * const { records, messages, decisions } = core.ready()
   * ```
   */
  ready(): R {
    const out = this.out
    this.out = this.empty()
    return out
  }
}
