/**
 * The handlers registered with a transport (for messages, for events): `add` checks the
 * handler and returns a function that removes it. The list is copied on every change, so
 * a handler added or removed while the handlers run takes effect from the next call.
 *
 * @example
 * ```ts
 * const handlers = new HandlerRegistry<MessageHandler<string>>()
 * const stop = handlers.add((from, text) => console.log(from, text))
 * for (const handler of handlers) handler('a', 'hello') // a hello
 * stop()
 * handlers.size // 0
 * ```
 */
export class HandlerRegistry<H extends (...args: never[]) => unknown> implements Iterable<H> {
  private handlers: readonly H[] = []

  /**
   * Registers `handler` after those already registered.
   *
   * @param handler - the function to call
   * @returns a function that removes the handler (harmless when called twice)
   * @throws {TypeError} when `handler` is not a function
   * @example
   * ```ts
   * const stop = handlers.add((from, message) => console.log(from, message))
   * stop()
   * ```
   */
  add(handler: H): () => void {
    if (typeof handler !== 'function')
      throw new TypeError(`handler: expected a function, got ${typeof handler}`)
    this.handlers = [...this.handlers, handler]
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler)
    }
  }

  /**
   * Calls every handler registered now with `args`, in order. A handler that throws does
   * not stop the others: its error goes to `onError`.
   *
   * @param args - the arguments of every call
   * @param onError - receives what a handler threw; it must not throw itself
   * @example
   * ```ts
   * handlers.callEach([from, message], (error) => console.warn('a handler failed', error))
   * ```
   */
  callEach(args: Parameters<H>, onError: (error: unknown) => void): void {
    for (const handler of this.handlers) {
      try {
        handler(...args)
      } catch (error) {
        onError(error)
      }
    }
  }

  /**
   * Removes every handler.
   *
   * @example
   * ```ts
   * handlers.clear()
   * handlers.size // 0
   * ```
   */
  clear(): void {
    this.handlers = []
  }

  /**
   * How many handlers are registered.
   *
   * @example
   * ```ts
   * if (handlers.size === 0) return false
   * ```
   */
  get size(): number {
    return this.handlers.length
  }

  /**
   * The handlers registered now, in order (later changes do not affect the iteration).
   *
   * @example
   * ```ts
   * for (const handler of handlers) handler(from, message)
   * ```
   */
  [Symbol.iterator](): Iterator<H> {
    return this.handlers[Symbol.iterator]()
  }
}
