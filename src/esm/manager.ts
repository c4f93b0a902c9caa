// The event source mappings' pollers on this node: keeps one poller running per enabled mapping, moves mappings out
// of their transitional states once it has acted on them, and removes deleted ones.
//
// It works from the store (every account's mappings), scanning every `scanMs` and at once after a change made through
// this node's API; a change made on another node is picked up by the next scan. A state moves with a conditional
// write (only from the state it was read in), so an Update arriving meanwhile is never overwritten.
import type { Logger } from '../core/logger.js';
import type { EventRunner } from '../invoke/types.js';
import type { MappingRecord, MappingState, Store } from '../store/types.js';
import { sourceClients, type SourceClients } from './clients.js';
import { queueUrlOf, startSqsPoller } from './sqs.js';
import { describeAwsError } from '../core/aws-errors.js';
import type { MappingLeases, MappingPoller } from './types.js';
import { checkStream, startStreamPoller } from './streams.js';
import { awsDestinationSender, type DestinationSender } from '../queue/aws-delivery.js';

export interface EsmManagerDeps {
  store: Store;
  runner: EventRunner;
  log: Logger;
  /** An explicit endpoint for the sources (config `destinationEndpoint`); empty: the AWS SDK's own configuration. */
  endpoint?: string;
  /** S3's (config `s3Endpoint`), for S3 on-failure destinations. */
  s3Endpoint?: string;
  /** How often the store is read for changes made elsewhere, and leases renewed (ms). */
  scanMs?: number;
  /** Cluster mode: a mapping is polled only by the node holding its lease. */
  leases?: MappingLeases;
}

interface Running {
  poller: MappingPoller;
  /** The version of the mapping it was started with: a newer one restarts it. */
  lastModified: number;
  /** Started for good: a stream poller has its first iterators (until then the mapping does not count as Enabled). */
  ready: boolean;
}

/** How long one scan waits for a stream poller to start before moving on to the other mappings (it goes on starting). */
const START_WAIT_MS = 5000;

/** Where each transitional state ends once the pollers have acted. */
const SETTLED: Partial<Record<MappingState, MappingState>> = { Creating: 'Enabled', Enabling: 'Enabled', Updating: 'Enabled', Disabling: 'Disabled' };

export class EsmManager {
  private readonly clients: SourceClients;
  private readonly sender: DestinationSender;
  /** Mappings whose poller could not start (the stream was unreachable…), with when to try again. */
  private readonly retryAt = new Map<string, number>();
  private readonly running = new Map<string, Running>();
  /** Pollers being stopped (their batch in flight finishing), by mapping. */
  private readonly stopping = new Map<string, Promise<void>>();
  /** The mappings whose lease this node holds (cluster mode). */
  private readonly held = new Set<string>();
  private timer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(private readonly d: EsmManagerDeps) {
    this.clients = sourceClients({ endpoint: d.endpoint, s3Endpoint: d.s3Endpoint });
    this.sender = awsDestinationSender({ endpoint: d.endpoint });
  }

  start(): void {
    this.changed();
    this.timer = setInterval(() => this.changed(), this.d.scanMs ?? 1000);
    this.timer.unref();
  }

  /** Scans now (or right after the scan under way). */
  changed(): void {
    if (this.closed) return;
    if (this.scanning) {
      this.again = true;
      return;
    }
    this.scanning = this.scan()
      .catch((e) => this.d.log.warn('esm:scan-failed', { error: String(e) }))
      .finally(() => {
        this.scanning = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          this.changed();
        }
      });
  }

  /** AWS's message when the source cannot be found; undefined when it can. */
  async checkSource(arn: string): Promise<string | undefined> {
    if (arn.split(':')[2] !== 'sqs') return checkStream({ clients: this.clients }, arn);
    try {
      await queueUrlOf(await this.clients.sqs(arn.split(':')[3]), arn);
      return undefined;
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (/QueueDoesNotExist|NonExistentQueue/.test(name)) {
        return 'Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.';
      }
      return `Error occurred while GetQueueUrl. ${describeAwsError(e)}`;
    }
  }

  private async scan(): Promise<void> {
    const all = await this.d.store.allMappings();
    const seen = new Set<string>();
    for (const { accountId, mapping } of all) {
      if (this.closed) return;
      seen.add(mapping.uuid);
      try {
        await this.reconcile(accountId, mapping);
      } catch (e) {
        this.d.log.warn('esm:reconcile-failed', { mapping: mapping.uuid, error: String(e) });
        // Without a renewed lease another node may take the mapping over: this one stops rather than poll alongside.
        if (this.d.leases) {
          this.stopOne(mapping.uuid);
          this.held.delete(mapping.uuid);
        }
      }
    }
    for (const uuid of [...this.running.keys()]) if (!seen.has(uuid)) this.stopOne(uuid);
  }

  /**
   * Brings one mapping's pollers on this node in line with its state, and moves a transitional state on. Never waits
   * for a poller to stop (its batch in flight may run for the function's whole timeout): the scan goes on, leases
   * keep being renewed, and the mapping is looked at again once the stop is done.
   */
  private async reconcile(accountId: string, mapping: MappingRecord): Promise<void> {
    const uuid = mapping.uuid;
    const store = this.d.store.forAccount(accountId).mappings;
    const leases = this.d.leases;
    const run = this.running.get(uuid);
    // A disabled mapping needs no one: its lease (if this node had it) goes once its poller has stopped.
    if (mapping.state === 'Disabled') {
      if (run) this.stopOne(uuid);
      if (leases && this.held.has(uuid) && !this.stopping.has(uuid)) await this.release(uuid);
      return;
    }
    // Everything else is done by the lease holder alone: polling, settling the state, removing a deleted mapping.
    if (leases) {
      if (!(await leases.acquire(uuid))) {
        this.held.delete(uuid);
        if (run) this.stopOne(uuid);
        return;
      }
      this.held.add(uuid);
    }
    if (mapping.state === 'Deleting') {
      if (run) this.stopOne(uuid);
      if (this.stopping.has(uuid)) return;
      await store.delete(uuid);
      if (leases) await this.release(uuid);
      return;
    }
    const on = mapping.state === 'Enabled' || mapping.state === 'Creating' || mapping.state === 'Enabling' || mapping.state === 'Updating';
    if (on && (!run || run.lastModified !== mapping.lastModified) && (this.retryAt.get(uuid) ?? 0) <= Date.now()) {
      if (run) this.stopOne(uuid);
      // The old poller first stops (its batch finishes); the new one starts at a later scan.
      if (this.stopping.has(uuid)) return;
      await this.startOne(accountId, mapping);
    } else if (!on && run) {
      this.stopOne(uuid);
    }
    if (this.stopping.has(uuid)) return;
    const settled = SETTLED[mapping.state];
    // Enabled only once its poller really reads (a slow stream start settles at a later scan).
    if (settled === 'Enabled' && !this.running.get(uuid)?.ready && (this.retryAt.get(uuid) ?? 0) <= Date.now()) return;
    if (settled) await store.setState(uuid, mapping.state, settled);
    if (settled === 'Disabled' && leases) await this.release(uuid);
  }

  private async release(uuid: string): Promise<void> {
    this.held.delete(uuid);
    await this.d.leases?.release(uuid);
  }

  /** Starts the mapping's poller; for a stream, waits until each shard has its first iterator (LATEST is "from now"). */
  private async startOne(accountId: string, mapping: MappingRecord): Promise<void> {
    const deps = { runner: this.d.runner, clients: this.clients, log: this.d.log, store: this.d.store };
    if (mapping.eventSourceArn.split(':')[2] === 'sqs') {
      this.running.set(mapping.uuid, { poller: startSqsPoller(deps, { accountId, mapping }), lastModified: mapping.lastModified, ready: true });
      return;
    }
    const poller = startStreamPoller({ ...deps, sender: this.sender }, { accountId, mapping });
    const run: Running = { poller, lastModified: mapping.lastModified, ready: false };
    this.running.set(mapping.uuid, run);
    const started = poller.ready.then(
      () => {
        run.ready = true;
        this.retryAt.delete(mapping.uuid);
        this.changed();
      },
      async () => {
        // Logged by the poller; tried again in a while rather than at every scan. Its state settles meanwhile, as
        // AWS's does for a source it cannot read yet.
        this.retryAt.set(mapping.uuid, Date.now() + 10_000);
        if (this.running.get(mapping.uuid) === run) await this.stopOne(mapping.uuid);
      },
    );
    await Promise.race([started, new Promise((ok) => setTimeout(ok, START_WAIT_MS).unref())]);
  }

  /** Stops the mapping's poller in the background (once); the next scan comes when it has stopped. */
  private stopOne(uuid: string): Promise<void> {
    const run = this.running.get(uuid);
    if (!run) return this.stopping.get(uuid) ?? Promise.resolve();
    this.running.delete(uuid);
    const stopped = run.poller
      .stop()
      .catch((e) => this.d.log.warn('esm:stop-failed', { mapping: uuid, error: String(e) }))
      .finally(() => {
        this.stopping.delete(uuid);
        this.changed();
      });
    this.stopping.set(uuid, stopped);
    return stopped;
  }

  /** Stops scanning and every poller; resolves once their batches in flight have finished. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.scanning;
    for (const u of [...this.running.keys()]) void this.stopOne(u);
    await Promise.all([...this.stopping.values()]);
    // Another node may take them at once rather than after the lease runs out.
    if (this.d.leases) await Promise.all([...this.held].map((u) => this.d.leases!.release(u).catch(() => undefined)));
    this.clients.close();
    this.sender.close();
  }
}
