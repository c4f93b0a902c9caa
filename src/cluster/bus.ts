// Messages between the nodes of a cluster over PostgreSQL's LISTEN/NOTIFY: small JSON payloads on a few topics
// (environments to retire, concurrency slots wanted or freed, keys changed). Delivery is at most once and takes a few
// ms; a node that lost its listening connection is told on resume and must assume it missed messages.
import { listen, type Listener, type PgHandle } from '../store/postgres/db.js';
import type { Logger } from '../core/logger.js';

export type Topic = 'evict' | 'concurrency' | 'keys' | 'provisioned';
const TOPICS: Topic[] = ['evict', 'concurrency', 'keys', 'provisioned'];

type Handler = (msg: Record<string, unknown>, fromSelf: boolean) => void;

export class ClusterBus {
  private handlers = new Map<Topic, Handler[]>();
  private byChannel = new Map<string, Topic>();
  private listener: Listener;
  /** Called when the listening connection came back after a loss. */
  onResume?: () => void;

  constructor(
    private readonly h: PgHandle,
    url: string,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {
    for (const t of TOPICS) this.byChannel.set(h.channel(t), t);
    this.listener = listen(url, [...this.byChannel.keys()], (channel, payload) => this.deliver(channel, payload), {
      onResume: () => this.onResume?.(),
      onError: (e) => this.log.warn('cluster:listen-error', { error: e.message }),
    });
  }

  get ready(): Promise<void> {
    return this.listener.ready;
  }

  on(topic: Topic, handler: Handler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  private deliver(channel: string, payload: string): void {
    const topic = this.byChannel.get(channel);
    if (!topic) return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(payload);
    } catch {
      return;
    }
    for (const h of this.handlers.get(topic) ?? []) {
      try {
        h(msg, msg.node === this.nodeId);
      } catch (e) {
        this.log.warn('cluster:handler-failed', { topic, error: (e as Error).message });
      }
    }
  }

  /** Sends to every node, this one included. Never throws: a lost message costs at most a stale environment or a 429. */
  async publish(topic: Topic, msg: Record<string, unknown>): Promise<void> {
    try {
      await this.h.pool.query('SELECT pg_notify($1, $2)', [this.h.channel(topic), JSON.stringify({ ...msg, node: this.nodeId })]);
    } catch (e) {
      this.log.warn('cluster:publish-failed', { topic, error: (e as Error).message });
    }
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
