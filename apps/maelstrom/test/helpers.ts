/**
 * Test helpers: an in-process line router between `MaelstromNode`s (a tiny
 * Maelstrom network without child processes) and a client that talks to it.
 */
import type { BackendFactory } from '../src/backends/types.js'
import { MaelstromNode } from '../src/node.js'
import { type MessageBody, parseEnvelope } from '../src/protocol/envelope.js'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(2)
  }
}

export interface RoutedNode {
  node: MaelstromNode
  logs: string[]
}

/**
 * Nodes joined by an in-process network: every line a node writes is parsed
 * and, when its dest is a node, handed to that node on a later macrotask
 * (FIFO per link); lines to anyone else land in `outbox`.
 */
export class LineRouter {
  readonly nodes = new Map<string, RoutedNode>()
  readonly outbox: Array<{ src: string; dest: string; body: MessageBody }> = []
  /** Every line any node wrote, in order. */
  readonly lines: string[] = []
  /** Return true to drop a node-to-node line. */
  drop: (src: string, dest: string, body: MessageBody) => boolean = () => false
  /** Return true to deliver a node-to-node line twice. */
  duplicate: (src: string, dest: string, body: MessageBody) => boolean = () => false
  dropped = 0

  add(id: string, backend: BackendFactory, options: { requestTimeoutMs?: number } = {}): MaelstromNode {
    const logs: string[] = []
    const node = new MaelstromNode({
      backend,
      write: (line) => this.route(line),
      log: (text) => logs.push(text),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    })
    this.nodes.set(id, { node, logs })
    return node
  }

  /** Sends `init` to every node, from c0, and waits for every init_ok. */
  async init(): Promise<void> {
    const ids = [...this.nodes.keys()]
    ids.forEach((id, index) =>
      this.send({
        src: 'c0',
        dest: id,
        body: { type: 'init', msg_id: index + 1, node_id: id, node_ids: ids },
      }),
    )
    await until(
      () => this.outbox.filter((m) => m.dest === 'c0' && m.body.type === 'init_ok').length === ids.length,
      'init_ok from every node',
    )
  }

  /** Delivers a line to its dest node on a later macrotask. */
  send(message: { src: string; dest: string; body: MessageBody }): void {
    this.deliverLine(JSON.stringify(message))
  }

  deliverLine(line: string): void {
    const parsed = parseEnvelope(line)
    if (!parsed.ok) throw new Error(`test bug: ${parsed.reason}`)
    const target = this.nodes.get(parsed.envelope.dest)
    if (!target) throw new Error(`test bug: no node ${parsed.envelope.dest}`)
    setImmediate(() => target.node.handleLine(line))
  }

  /** The reply to client `client`'s request `msgId`, waiting for it. */
  async reply(client: string, msgId: number, timeoutMs = 5000): Promise<MessageBody> {
    let found: MessageBody | undefined
    await until(
      () => {
        found = this.outbox.find((m) => m.dest === client && m.body.in_reply_to === msgId)?.body
        return found !== undefined
      },
      `the reply to ${client}'s request ${msgId}`,
      timeoutMs,
    )
    return found!
  }

  private route(line: string): void {
    this.lines.push(line)
    const parsed = parseEnvelope(line)
    if (!parsed.ok) throw new Error(`a node wrote an invalid line (${parsed.reason}): ${line}`)
    const { src, dest, body } = parsed.envelope
    const target = this.nodes.get(dest)
    if (!target) {
      this.outbox.push(parsed.envelope)
      return
    }
    if (this.drop(src, dest, body)) {
      this.dropped++
      return
    }
    const copies = this.duplicate(src, dest, body) ? 2 : 1
    for (let copy = 0; copy < copies; copy++) setImmediate(() => target.node.handleLine(line))
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map(({ node }) => node.close()))
  }
}
