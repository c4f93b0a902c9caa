// The pollers: claim due events, run each through the engine, and apply Lambda's retry, backoff, age and destination rules.
//
// The poller never touches SQL: it sees the queue port (claim / complete / retryLater / fail) and the engine's
// runEvent. Up to `concurrency` events run at once over all functions; the engine still applies each function's
// reserved concurrency and the account's, and a throttle comes back here as an outcome, not an exception.
import { functionArn, isVersionNumber, LATEST, type Account } from '../core/names.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/types.js';
import type { EventRunner } from '../invoke/types.js';
import { afterFunctionError, afterRequeue, ageReason, backoffMs, effectivePolicy, tooOld, type EffectivePolicy } from './policy.js';
import { deadLetterMessage, destinationRecord } from './records.js';
import { carried, DELIVERY_SENDS, isDeliveryJob, outbound, planDelivery, readDeliveryJob, type DeliveryJob } from './destinations.js';
import { awsDestinationSender, type DestinationSender } from './aws-delivery.js';
import type { AsyncEvent, AttemptResponse, ClaimedEvent, Delivery, EventInvokeConfigStore, EventQueue, FailureCondition, QueueObserver } from './types.js';

export interface PollerDeps {
  events: EventQueue;
  configs: EventInvokeConfigStore;
  runner: EventRunner;
  store: Store;
  account: Account;
  log: Logger;
  /** Multiplies every delay of the async path (config `asyncTimeScale`). */
  timeScale: number;
  /** Events running at once, over all functions. */
  concurrency: number;
  /**
   * Events running at once while Events are being accepted faster than `busyAcceptRate` per second: accepting (a
   * durable 202) goes first, and the queue grows and drains behind it. Default: 2.
   */
  busyConcurrency?: number;
  /** Accepted Events per second above which the pollers yield to acceptance. Default: 1,000. */
  busyAcceptRate?: number;
  /** Longest sleep between two looks at the queue when nothing is due. */
  idlePollMs?: number;
  /** Counts outcomes for /metrics (src/observe/). */
  observer?: QueueObserver;
  /** Sends SQS and SNS deliveries (built from config `destinationEndpoint`); by default the AWS SDK's own endpoints. */
  sender?: DestinationSender;
}

type PollerState = 'new' | 'running' | 'stopping' | 'stopped';

export class Poller {
  private state: PollerState = 'new';
  private readonly inflight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private passQueued = false;
  private passing?: Promise<void>;
  private again = false;
  /** Set when shutdown stopped waiting: outcomes that arrive later put their event back without using an attempt. */
  private abandoned = false;
  private readonly idlePollMs: number;
  private readonly sender: DestinationSender;
  /** Events accepted in the current and the previous window of ACCEPT_WINDOW_MS (a two-bucket rate). */
  private acceptedNow = 0;
  private acceptedBefore = 0;
  private windowStart = 0;
  private readonly busyConcurrency: number;
  private readonly busyPerWindow: number;

  constructor(private readonly d: PollerDeps) {
    this.idlePollMs = d.idlePollMs ?? 1000;
    this.busyConcurrency = Math.max(1, Math.min(d.busyConcurrency ?? 2, d.concurrency));
    this.busyPerWindow = ((d.busyAcceptRate ?? 1000) * ACCEPT_WINDOW_MS) / 1000;
    // Building it loads nothing: the SDK is imported at the first SQS or SNS send.
    this.sender = d.sender ?? awsDestinationSender();
  }

  /** Queues again what a crash left running (same request ids), then starts claiming. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`the poller cannot start when ${this.state}`);
    const recovered = await this.d.events.recover(Date.now());
    if (recovered > 0) this.d.log.warn('queue:recovered', { events: recovered, why: 'left running by a crash (in a cluster: by a node whose lease expired); they run again with the same request id' });
    this.state = 'running';
    this.kick();
  }

  /** Looks at the queue soon: after an enqueue (`accepted` new Events), a finished event, or a timer. */
  kick(accepted = 0): void {
    if (accepted > 0) this.noteAccepted(accepted);
    if (this.state !== 'running') return;
    if (this.passing) {
      this.again = true;
      return;
    }
    if (this.passQueued) return;
    this.passQueued = true;
    setImmediate(() => {
      this.passQueued = false;
      if (this.state !== 'running' || this.passing) return;
      this.passing = this.pass().finally(() => {
        this.passing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
    });
  }

  /**
   * Graceful stop, first half: no more claims; waits up to `graceMs` for running events. Those still running after
   * that are abandoned: when their outcome arrives they are queued again (no attempt used), or if the process dies
   * first, recovered at the next start.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.state === 'new' || this.state === 'stopped') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    clearTimeout(this.timer);
    await this.passing;
    if (this.inflight.size > 0) await settledWithin([...this.inflight], graceMs);
    if (this.inflight.size > 0) this.abandoned = true;
  }

  /** Graceful stop, second half (after the engine closed its environments): waits for the last outcomes to be written. */
  async drain(ms = 2000): Promise<void> {
    if (this.inflight.size > 0) await settledWithin([...this.inflight], ms);
    this.state = 'stopped';
    this.sender.close();
  }

  get running(): number {
    return this.inflight.size;
  }

  private noteAccepted(n: number): void {
    this.rollWindow(performance.now());
    this.acceptedNow += n;
  }

  private rollWindow(now: number): void {
    if (now - this.windowStart < ACCEPT_WINDOW_MS) return;
    // The previous window counts only if it was the one just before (a gap means no acceptance meanwhile).
    this.acceptedBefore = now - this.windowStart < 2 * ACCEPT_WINDOW_MS ? this.acceptedNow : 0;
    this.acceptedNow = 0;
    this.windowStart = now;
  }

  /**
   * How many events may run now. Under a high accept rate only `busyConcurrency`: on a small machine every event run
   * takes CPU from the HTTP path that answers 202s (at 16 clients, running 32 at once cut acceptance to a fraction),
   * and Lambda promises an accepted Event a run, not a run at once. When the rate drops, the rest of the queue drains
   * at full concurrency; a finishing event or the idle poll looks again.
   */
  private limit(): number {
    this.rollWindow(performance.now());
    return Math.max(this.acceptedNow, this.acceptedBefore) > this.busyPerWindow ? this.busyConcurrency : this.d.concurrency;
  }

  private async pass(): Promise<void> {
    try {
      const room = this.limit() - this.inflight.size;
      if (room > 0) {
        const claimed = await this.d.events.claim(room, Date.now());
        for (const ev of claimed) {
          if (this.state === 'running') this.track(ev);
          else await this.d.events.retryLater(ev.id, Date.now(), { error: 'Alonzo was stopping when the event was claimed' });
        }
      }
      await this.arm();
    } catch (e) {
      this.d.log.error('queue:poll-failed', { error: e instanceof Error ? e.message : String(e) });
      if (this.state === 'running') this.timer = setTimeout(() => this.kick(), this.idlePollMs);
    }
  }

  /** Sets the timer for the next due event (or the idle poll); a full poller waits for a finishing event instead. */
  private async arm(): Promise<void> {
    clearTimeout(this.timer);
    if (this.state !== 'running' || this.inflight.size >= this.d.concurrency) return;
    // Held back by a high accept rate with nothing running to kick the next pass: look again once the rate is known.
    if (this.inflight.size >= this.limit()) {
      this.timer = setTimeout(() => this.kick(), ACCEPT_WINDOW_MS);
      return;
    }
    const next = await this.d.events.nextRunAt();
    if (this.state !== 'running') return;
    const wait = next === undefined ? this.idlePollMs : Math.min(Math.max(next - Date.now(), 1), this.idlePollMs);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), wait);
  }

  private track(ev: ClaimedEvent): void {
    const p: Promise<void> = this.handle(ev)
      .catch(async (e) => {
        this.d.log.error('queue:event-handling-failed', { fn: ev.functionName, requestId: ev.requestId, error: e instanceof Error ? e.stack : String(e) });
        // Best effort: back to the queue like a system failure (no attempt used); if even that fails, the event
        // stays running until the next start recovers it.
        const error = `Alonzo failed while handling the event: ${e instanceof Error ? e.message : String(e)}`;
        await this.d.events.retryLater(ev.id, Date.now() + backoffMs(ev.requeues, this.d.timeScale), { error }).catch(() => {});
      })
      .finally(() => {
        this.inflight.delete(p);
        this.kick();
      });
    this.inflight.add(p);
  }

  /** The store and account of the event's function (events of other accounts carry theirs). */
  private scope(ev: AsyncEvent): { store: Store; account: Account } {
    if (ev.accountId === undefined || ev.accountId === this.d.account.accountId) return { store: this.d.store, account: this.d.account };
    return { store: this.d.store.forAccount(ev.accountId), account: { region: this.d.account.region, accountId: ev.accountId } };
  }

  private async policy(ev: AsyncEvent): Promise<EffectivePolicy> {
    return effectivePolicy(await this.d.configs.forAccount(ev.accountId).get(ev.functionName, ev.qualifier ?? LATEST), this.d.timeScale);
  }

  private async handle(ev: ClaimedEvent): Promise<void> {
    if (isDeliveryJob(ev)) return this.deliver(ev);
    const { events, timeScale: scale } = this.d;
    let policy = await this.policy(ev);
    if (tooOld(ev.enqueuedAt, Date.now(), policy)) {
      const reason = ev.lastError ? `${ageReason(policy, scale)} Last: ${ev.lastError}` : ageReason(policy, scale);
      return this.fail(ev, policy, 'EventAgeExceeded', reason, undefined, ev.attempts);
    }
    const out = await this.d.runner.runEvent(ev);
    if (this.abandoned && out.kind !== 'success') {
      return void this.kept(ev, 'retry', await events.retryLater(ev.id, Date.now(), { error: 'Alonzo stopped while the event ran' }));
    }
    // The configuration current when the event finished decides what happens next.
    policy = await this.policy(ev);
    const now = Date.now();
    switch (out.kind) {
      case 'success': {
        const attempt: AttemptResponse = { payload: out.payload, executedVersion: out.executedVersion };
        const then: AsyncEvent[] = [];
        if (policy.onSuccess) {
          const record = destinationRecord(ev, this.arn(ev), 'Success', ev.attempts + 1, attempt);
          const planned = await planDelivery('OnSuccess', policy.onSuccess, record, ev, this.scope(ev));
          if (planned.then) then.push(planned.then);
          else this.d.log.warn('queue:destination-undelivered', { fn: ev.functionName, requestId: ev.requestId, target: policy.onSuccess, reason: planned.delivery.reason, record });
        }
        return void this.kept(ev, 'complete', await events.complete(ev.id, then));
      }
      case 'function-error': {
        const attempt: AttemptResponse = { payload: out.payload, executedVersion: out.executedVersion, functionError: out.functionError };
        const attempts = ev.attempts + 1;
        const next = afterFunctionError(attempts, ev.enqueuedAt, now, policy, scale);
        if (next.action === 'retry') return void this.kept(ev, 'retry', await events.retryLater(ev.id, next.runAt, { attempt, error: `The function returned an error (${out.functionError}).` }));
        return this.fail(ev, policy, next.condition, next.reason, attempt, attempts);
      }
      case 'throttled':
      case 'system-error': {
        const error = out.kind === 'throttled' ? `Throttled: ${out.reason}.` : `Alonzo could not run the event: ${out.message}`;
        const next = afterRequeue(ev.requeues, ev.enqueuedAt, now, policy, scale);
        if (next.action === 'retry') return void this.kept(ev, 'retry', await events.retryLater(ev.id, next.runAt, { error }));
        return this.fail(ev, policy, next.condition, `${next.reason} Last: ${error}`, undefined, ev.attempts);
      }
      case 'recursive-loop':
        // Lambda stops the event and hands it to its on-failure destination or dead-letter queue; no attempt is made.
        return this.fail(ev, policy, 'RecursiveInvocationException', out.message, undefined, ev.attempts);
      case 'not-found':
        // The function (or its version or alias) is gone, and its destinations with it: kept here, delivered nowhere.
        return this.fail(ev, policy, 'FunctionNotFound', out.message, undefined, ev.attempts, false);
    }
  }

  /** The failure path: the record is built and kept; OnFailure gets the record, the dead-letter queue the event. */
  private async fail(
    ev: ClaimedEvent,
    policy: EffectivePolicy,
    condition: FailureCondition,
    reason: string,
    attempt: AttemptResponse | undefined,
    invokeCount: number,
    deliver = true,
  ): Promise<void> {
    const last = attempt ?? ev.last;
    const record = destinationRecord(ev, this.arn(ev), condition, invokeCount, last);
    const deliveries: Delivery[] = [];
    const then: AsyncEvent[] = [];
    if (deliver && policy.onFailure) {
      const planned = await planDelivery('OnFailure', policy.onFailure, record, ev, this.scope(ev));
      deliveries.push(planned.delivery);
      if (planned.then) then.push(planned.then);
    }
    const dlq = deliver ? await this.deadLetterTarget(ev, last) : undefined;
    if (dlq) {
      const message = deadLetterMessage(ev, last, reason);
      const planned = await planDelivery('DeadLetterQueue', dlq, message, ev, this.scope(ev));
      deliveries.push({ message, ...planned.delivery });
      if (planned.then) then.push(planned.then);
    }
    if (!this.kept(ev, 'fail', await this.d.events.fail(ev.id, { condition, reason, attempt, record, deliveries }, then))) return;
    this.d.log.warn('queue:event-failed', { fn: ev.functionName, requestId: ev.requestId, condition, reason, attempts: invokeCount, deliveries: deliveries.map((d) => `${d.kind} ${d.status}`) });
  }

  /**
   * A delivery job (destinations.ts), committed with its event's outcome: one send to SQS or SNS. A failed send goes
   * back to the queue with a growing backoff (no slot is held while it waits); after DELIVERY_SENDS it is kept as a
   * failed event of the function, with the reason and what it carried, until a redrive sends it again.
   */
  private async deliver(ev: ClaimedEvent): Promise<void> {
    const { events, log } = this.d;
    let job: DeliveryJob;
    try {
      job = readDeliveryJob(ev);
    } catch (e) {
      // Nothing to send and nothing a retry would fix: kept, readable, never retried in a loop.
      const reason = `Alonzo could not read the delivery job: ${e instanceof Error ? e.message : String(e)}`;
      return void this.kept(ev, 'fail', await events.fail(ev.id, { condition: 'RetriesExhausted', reason, record: null, deliveries: [] }));
    }
    try {
      await this.sender.send(outbound(job));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const sends = ev.requeues + 1;
      if (sends < DELIVERY_SENDS || this.state !== 'running') {
        return void this.kept(ev, 'retry', await events.retryLater(ev.id, Date.now() + backoffMs(ev.requeues, this.d.timeScale), { error }));
      }
      const delivery: Delivery = { kind: job.Kind, target: job.Target, status: 'failed', reason: error };
      if (job.Kind === 'DeadLetterQueue') delivery.message = carried(job);
      const reason = `The ${job.Kind} delivery of event ${job.SourceRequestId} to ${job.Target} failed ${sends} times. Last: ${error}`;
      if (!this.kept(ev, 'fail', await events.fail(ev.id, { condition: 'RetriesExhausted', reason, record: carried(job), deliveries: [delivery] }))) return;
      log.warn('queue:delivery-failed', { fn: ev.functionName, requestId: ev.requestId, source: job.SourceRequestId, kind: job.Kind, target: job.Target, sends, error });
      return;
    }
    if (!this.kept(ev, 'complete', await events.complete(ev.id))) return;
    log.debug('queue:delivered', { fn: ev.functionName, requestId: ev.requestId, source: job.SourceRequestId, kind: job.Kind, target: job.Target });
  }

  /**
   * Whether the outcome was written. False: the claim was lost (in a cluster, the lease ran out while the event ran and
   * another node may run it again), so nothing was written and the destinations planned with it were not handed over;
   * only what this run already did (its SQS or SNS send) happened. At least once, as Lambda promises.
   */
  private kept(ev: ClaimedEvent, outcome: 'complete' | 'retry' | 'fail', ok: boolean): boolean {
    if (ok) this.d.observer?.outcome(ev, outcome, isDeliveryJob(ev));
    if (!ok) this.d.log.warn('async:lease-lost', { fn: ev.functionName, requestId: ev.requestId, outcome, why: 'the claim ran out before the outcome was written; the event may run again elsewhere' });
    return ok;
  }

  /** DeadLetterConfig is part of the version's configuration: the one that ran, else the one the qualifier points at now. */
  private async deadLetterTarget(ev: AsyncEvent, last: AttemptResponse | undefined): Promise<string | undefined> {
    const { store } = this.scope(ev);
    let version = last?.executedVersion;
    if (version === undefined) {
      const q = ev.qualifier ?? LATEST;
      version = q === LATEST || isVersionNumber(q) ? q : (await store.getAlias(ev.functionName, q))?.functionVersion;
    }
    if (version === undefined) return undefined;
    const v = await store.getVersion(ev.functionName, version);
    return v?.settings.DeadLetterConfig?.TargetArn || undefined;
  }

  private arn(ev: AsyncEvent): string {
    return functionArn(this.scope(ev).account, ev.functionName, ev.qualifier ?? LATEST);
  }
}

/** The window over which the accept rate is counted. */
const ACCEPT_WINDOW_MS = 250;

async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise<void>((ok) => (timer = setTimeout(ok, ms)))]);
  clearTimeout(timer);
}
