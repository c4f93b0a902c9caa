// The invocation engine: resolves the qualifier (alias routing included), applies concurrency, runs on an environment, shapes the result.
import { err, ServiceError } from '../core/errors.js';
import { functionArn, isVersionNumber, LATEST, type Account } from '../core/names.js';
import { runtimeFamily } from '../core/runtimes.js';
import type { Logger } from '../core/logger.js';
import type { RecursiveLoop, Store, VersionRecord } from '../store/types.js';
import type { CodeStore } from '../code/index.js';
import type { EnvironmentPool } from '../runtime/pool.js';
import { Readable } from 'node:stream';
import type { Environment, EnvironmentSpec, Outcome, ResponseReceiver } from '../runtime/environment.js';
import { logKey, type LogStore } from '../runtime/log-sink.js';
import { hopsOf, lineageKey, MAX_RECURSION, newTraceId, nextHop } from './trace.js';
import type { AsyncEvent, EventRunOutcome, InvokeObserver, EventRunner, EventSink, InvokeRequest, InvokeResult, Invoker, StreamCompletion, StreamedInvocation, StreamInvokeRequest } from './types.js';

export interface EngineDeps {
  store: Store;
  code: CodeStore;
  pool: EnvironmentPool;
  logs: LogStore;
  account: Account;
  log: Logger;
  accountConcurrency: number;
  queueWaitMs: number;
  /** A function environment's own credentials and Lambda endpoint, minted for its account and role (auth/function-credentials.ts). */
  credentials?: (accountId: string, roleArn: string, functionName: string) => Record<string, string>;
  /**
   * `alonzo dev` (src/dev/): functions whose code is served from a developer's folder instead of an unpacked package.
   * Asked when an environment is placed; undefined for every other function.
   */
  devCode?: DevCodeSource;
  /** Counts invocations and throttles for /metrics, and indexes log streams (src/observe/). */
  observer?: InvokeObserver;
  /** The durable async queue: Event invokes are committed there before their 202 (without it they run once in the background). */
  events?: EventSink;
  /**
   * Cluster mode: concurrency slots shared by all nodes (src/cluster/concurrency.ts) instead of this process's
   * counters, and a way to tell the other nodes to retire a function's environments.
   */
  cluster?: {
    acquire(accountId: string, functionName: string, reserved: number | null): true | Promise<void>;
    release(accountId: string, functionName: string, reserved: number | null): void;
    evicted(accountId: string, functionName: string, version?: string): void;
    /** This node's part of a provisioned count (keys: `account/function/version`), and what the other nodes have ready. */
    share(key: string, count: number): number;
    othersReady(key: string): number;
    /** A provisioned configuration changed here: every node takes its new part. */
    provisionChanged(): void;
  };
}

/** Where a function's code lives when it is not a stored package (a folder `alonzo dev` serves, bound read-only). */
export interface DevCodeSource {
  dirFor(accountId: string, functionName: string): string | undefined;
  /**
   * `alonzo dev --debug` (and serve's debugFunction): the one function being debugged, and its debugger's port
   * (undefined: the runtime's default, 9229 for Node.js, 5678 for Python). It runs one invocation at a time.
   */
  debugFor?(accountId: string, functionName: string): { port?: number } | undefined;
}

interface Resolved {
  /** The function's account; undefined: the server's own. */
  accountId?: string;
  version: VersionRecord;
  /** The ARN the function sees as invoked (qualified when a qualifier was given). */
  invokedArn: string;
  reservedConcurrency: number | null;
  /** PutFunctionRecursionConfig's setting (null: AWS's default, Terminate). */
  recursiveLoop: RecursiveLoop | null;
}

/** AWS's answer to an invocation recursive loop detection stopped. */
export const recursiveInvocation = () =>
  err('RecursiveInvocationException', "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.");

const NULL = Buffer.from('null');
/** A buffered result handed to a stream goes in pieces of at most this size (event-stream messages stay small). */
const STREAM_PIECE = 1024 * 1024;
/** How much of a streamed response waits in the server for a slow reader before the function's writes are held back. */
const STREAM_BUFFER = 256 * 1024;

/** How run() streams: where the bytes go, and who learns the environment once the invocation has one. */
interface StreamHooks {
  receiver: ResponseReceiver;
  started(env: Environment): void;
}

/** Environments are shared by invocations of one account's version with one code and configuration. */
const poolKey = (accountId: string, v: VersionRecord): string => `${accountId}\u0000${v.functionName}\u0000${v.version}\u0000${v.codeSha256}\u0000${v.lastModified}`;

export class InvokeEngine implements Invoker, EventRunner {
  /** Invocations running per function, and per account: the server's own in a field, the others' in a map. */
  private running = new Map<string, number>();
  private runningTotal = 0;
  private runningOther = new Map<string, number>();
  private background = new Set<Promise<unknown>>();

  constructor(private readonly d: EngineDeps) {}

  /** Invocations running on this node per function (keys: the name, or `account\0name` for another account's): read by /metrics. */
  inFlight(): ReadonlyMap<string, number> {
    return this.running;
  }

  /**
   * What resolve() read from the store, kept until the store's generation moves (any write). Two or three SQLite reads
   * and a JSON.parse per invoke were ~8% of the server's time on the warm path.
   */
  private memo = new Map<string, unknown>();
  private memoGeneration = -1;

  private async read<T>(key: string, load: () => Promise<T>): Promise<T> {
    const g = this.d.store.generation();
    if (g !== this.memoGeneration || this.memo.size > 10_000) {
      this.memo.clear();
      this.memoGeneration = g;
    }
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const value = await load();
    if (this.d.store.generation() === g) this.memo.set(key, value);
    return value;
  }

  /** Undefined for the server's own account (what the queue and the caches key it by), else the account id. */
  private other(accountId: string | undefined): string | undefined {
    return accountId === this.d.account.accountId ? undefined : accountId;
  }

  private accountOf(accountId: string | undefined): Account {
    return accountId === undefined ? this.d.account : { region: this.d.account.region, accountId };
  }

  /** The store as the account sees it; the one given for the server's own (engine-only setups may not map its id). */
  private storeOf(accountId: string | undefined): Store {
    return accountId === undefined ? this.d.store : this.d.store.forAccount(accountId);
  }

  private async resolve(accountId: string | undefined, name: string, qualifier: string | undefined): Promise<Resolved> {
    const account = this.accountOf(accountId);
    const store = this.storeOf(accountId);
    // The server's own account keeps the keys it had before accounts (the warm path builds no longer strings).
    const k = accountId === undefined ? name : `${accountId}\u0000${name}`;
    const notFound = () => err('ResourceNotFoundException', `Function not found: ${functionArn(account, name, qualifier ?? LATEST)}`);
    const fn = await this.read(`f\u0000${k}`, () => store.getFunction(name));
    if (!fn) throw notFound();
    let versionName = qualifier ?? LATEST;
    if (qualifier !== undefined && qualifier !== LATEST && !isVersionNumber(qualifier)) {
      const alias = await this.read(`a\u0000${k}\u0000${qualifier}`, () => store.getAlias(name, qualifier));
      if (!alias) throw notFound();
      versionName = alias.functionVersion;
      if (alias.routing) {
        // Weighted routing: the additional version gets its weight of the traffic.
        const [extra, weight] = Object.entries(alias.routing)[0];
        if (Math.random() < weight) versionName = extra;
      }
    }
    const version = await this.read(`v\u0000${k}\u0000${versionName}`, () => store.getVersion(name, versionName));
    if (!version) throw notFound();
    return { accountId, version, invokedArn: functionArn(account, name, qualifier), reservedConcurrency: fn.reservedConcurrency, recursiveLoop: fn.recursiveLoop };
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const accountId = this.other(req.accountId);
    const target = await this.resolve(accountId, req.functionName, req.qualifier);
    if (req.invocationType === 'DryRun') return { status: 204, payload: Buffer.alloc(0) };
    // This invocation's hop in its chain (the caller's trace header, as the AWS SDKs forward it from a function).
    const hop = nextHop(req.traceId, lineageKey(accountId ?? this.d.account.accountId, req.functionName));
    if (req.invocationType === 'Event' && this.d.events) {
      // Durable before the 202: the queue commits (fsync'd); its pollers run the event later through runEvent, which
      // is where a recursive loop stops it (Lambda accepts it, then sends it to its on-failure destination).
      await this.d.events.enqueue({ requestId: req.requestId, accountId, functionName: req.functionName, qualifier: req.qualifier, payload: req.payload, traceId: hop.traceId });
      return { status: 202, payload: Buffer.alloc(0) };
    }
    if (hop.count > MAX_RECURSION && target.recursiveLoop !== 'Allow') throw recursiveInvocation();
    req = { ...req, traceId: hop.traceId };
    if (req.invocationType === 'Event') {
      // Without a queue (engine-only setups), an Event runs once in the background.
      const run = this.run(target, { ...req, logTail: false, clientContext: undefined })
        .catch((e) => this.d.log.warn('invoke:event-failed', { fn: req.functionName, requestId: req.requestId, error: String(e) }))
        .finally(() => this.background.delete(run));
      this.background.add(run);
      return { status: 202, payload: Buffer.alloc(0) };
    }
    return this.run(target, req);
  }

  /** Runs one queued Event for the async pollers (same path as a sync invoke), telling success, function error and throttle apart. */
  async runEvent(ev: AsyncEvent): Promise<EventRunOutcome> {
    let target: Resolved;
    try {
      target = await this.resolve(this.other(ev.accountId), ev.functionName, ev.qualifier);
    } catch (e) {
      if (e instanceof ServiceError && e.code === 'ResourceNotFoundException') return { kind: 'not-found', message: e.message };
      return { kind: 'system-error', message: e instanceof Error ? e.message : String(e) };
    }
    // Events queued before traces were kept start one; a chain past Lambda's limit stops here unless the function allows it.
    const key = lineageKey(target.accountId ?? this.d.account.accountId, ev.functionName);
    const traceId = ev.traceId ?? nextHop(undefined, key).traceId;
    if (hopsOf(traceId, key) > MAX_RECURSION && target.recursiveLoop !== 'Allow') {
      return { kind: 'recursive-loop', message: recursiveInvocation().message };
    }
    try {
      const r = await this.run(target, { accountId: target.accountId, functionName: ev.functionName, qualifier: ev.qualifier, invocationType: 'Event', payload: ev.payload, logTail: false, requestId: ev.requestId, traceId });
      const executedVersion = r.executedVersion ?? target.version.version;
      if (r.functionError) return { kind: 'function-error', payload: r.payload, executedVersion, functionError: r.functionError };
      return { kind: 'success', payload: r.payload, executedVersion };
    } catch (e) {
      if (e instanceof ServiceError && e.code === 'TooManyRequestsException') return { kind: 'throttled', reason: String(e.extra.Reason ?? 'TooManyRequestsException') };
      return { kind: 'system-error', message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Invocations running in an account (undefined: the server's own), after adding `delta`. */
  private accountRunning(accountId: string | undefined, delta = 0): number {
    if (accountId === undefined) return (this.runningTotal += delta);
    const n = (this.runningOther.get(accountId) ?? 0) + delta;
    if (n === 0) this.runningOther.delete(accountId);
    else this.runningOther.set(accountId, n);
    return n;
  }

  /** Reserved concurrency, then the account's concurrency: each account has its own, as on AWS. */
  private throttle(accountId: string, functionName: string, reserved: number | null, fnRunning: number, accountRunning: number): void {
    if (reserved !== null && fnRunning >= reserved) {
      this.d.observer?.throttled(accountId, functionName, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      throw err('TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }, { 'Retry-After': '1' });
    }
    if (accountRunning >= this.d.accountConcurrency) {
      this.d.observer?.throttled(accountId, functionName, 'ConcurrentInvocationLimitExceeded');
      throw err('TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ConcurrentInvocationLimitExceeded' }, { 'Retry-After': '1' });
    }
  }

  async invokeStream(req: StreamInvokeRequest): Promise<StreamedInvocation> {
    const target = await this.resolve(this.other(req.accountId), req.functionName, req.qualifier);
    // One more hop in the caller's chain, as for Invoke (recursive loop detection).
    const hop = nextHop(req.traceId, lineageKey(target.accountId ?? this.d.account.accountId, req.functionName));
    if (hop.count > MAX_RECURSION && target.recursiveLoop !== 'Allow') throw recursiveInvocation();
    req = { ...req, traceId: hop.traceId };
    let env: Environment | undefined;
    /** The reader went away: bytes are dropped from then on, and the function is never held back again. */
    let dropped = false;
    let announce!: (h: { streaming: boolean; contentType?: string }) => void;
    const head = new Promise<{ streaming: boolean; contentType?: string }>((r) => (announce = r));
    const body = new Readable({ highWaterMark: STREAM_BUFFER, read: () => env?.resumeRuntime() });
    body.on('close', () => {
      if (body.readableEnded) return;
      dropped = true;
      env?.resumeRuntime();
    });
    const push = (b: Buffer) => {
      if (dropped) return;
      if (!body.push(b)) env?.pauseRuntime();
    };
    let started!: () => void;
    let failed!: (e: unknown) => void;
    const running = new Promise<void>((ok, fail) => ((started = ok), (failed = fail)));
    const hooks: StreamHooks = {
      receiver: { begin: (contentType) => announce({ streaming: true, contentType }), write: push },
      started: (e) => {
        env = e;
        started();
      },
    };
    const done = this.run(target, { ...req, invocationType: 'RequestResponse' }, hooks).then(
      (r): StreamCompletion => {
        announce({ streaming: false });
        if (!r.streamed && !r.functionError) for (let o = 0; o < r.payload.length; o += STREAM_PIECE) push(r.payload.subarray(o, o + STREAM_PIECE));
        if (!dropped) body.push(null);
        const c: StreamCompletion = {};
        if (r.functionError) Object.assign(c, { functionError: 'Unhandled', errorType: r.errorType, errorPayload: r.payload });
        if (r.logResult !== undefined) c.logResult = r.logResult;
        return c;
      },
      (e) => {
        failed(e);
        announce({ streaming: false });
        // Before it started, nobody reads the body (the caller answers the error instead): no 'error' event for it.
        if (env) body.destroy(e instanceof Error ? e : new Error(String(e)));
        else body.destroy();
        throw e;
      },
    );
    // Until the invocation has an environment, a failure (throttled, no room) is the caller's to answer.
    done.catch(() => undefined);
    await running;
    return { executedVersion: target.version.version, head, body, done };
  }

  private async run(target: Resolved, req: InvokeRequest, stream?: StreamHooks): Promise<InvokeResult> {
    const v = target.version;
    const name = target.accountId === undefined ? v.functionName : `${target.accountId}\u0000${v.functionName}`;
    const cluster = this.d.cluster;
    const accountKey = target.accountId ?? this.d.account.accountId;
    if (cluster) {
      const slot = cluster.acquire(accountKey, v.functionName, target.reservedConcurrency);
      if (slot !== true) await slot;
    } else {
      // A function under a debugger runs one invocation at a time (one environment, one debugger port).
      const reserved = this.d.devCode?.debugFor?.(accountKey, v.functionName) ? 1 : target.reservedConcurrency;
      this.throttle(accountKey, v.functionName, reserved, this.running.get(name) ?? 0, this.accountRunning(target.accountId));
    }
    this.running.set(name, (this.running.get(name) ?? 0) + 1);
    this.accountRunning(target.accountId, 1);
    /** Extensions still at work after the caller's answer: the slot is freed when they are done. */
    let held: Promise<void> | undefined;
    try {
      const { spec, key, hex } = this.placement(target.accountId, v);
      // The code may have been uploaded to another node: fetched and unpacked here once, on first use.
      if (!this.d.code.has(hex)) await this.d.code.ensure(hex);
      if (spec.layers) await this.d.code.layered(spec.layers);
      let env = this.d.pool.take(key, spec);
      if (!env) {
        // The machine is full: wait briefly for room, then a clean 429 rather than a crash or a swap storm.
        if (await this.d.pool.waitForRoom(this.d.queueWaitMs)) env = this.d.pool.take(key, spec);
        if (!env) {
          this.d.observer?.throttled(accountKey, v.functionName, 'ConcurrentInvocationLimitExceeded');
          throw err('TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ConcurrentInvocationLimitExceeded' }, { 'Retry-After': '1' });
        }
      }
      env.pendingInitRequestId = req.requestId;
      stream?.started(env);
      let outcome: Outcome | undefined;
      const startedAt = Date.now();
      try {
        outcome = await env.invoke({ requestId: req.requestId, payload: req.payload, invokedArn: target.invokedArn, clientContext: req.clientContext, traceId: req.traceId ?? newTraceId(), receiver: stream?.receiver });
      } finally {
        if (!outcome?.afterRuntime) this.d.pool.release(key, env);
      }
      const logAt = logKey(target.accountId, v.functionName);
      if (outcome.afterRuntime) {
        // Extensions still work on it: the caller gets its answer now; the environment and the log (its REPORT) follow.
        // Until then the invocation still counts against the function's and the account's concurrency, as on AWS.
        const o = outcome;
        held = o.afterRuntime!.catch(() => undefined).then(() => {
          this.d.pool.release(key, env!);
          const text = o.log.text();
          this.d.logs.append(logAt, text);
          this.d.observer?.invoked(accountKey, v, req.requestId, env!.logStream, startedAt, o, logAt, text);
        });
      } else {
        const text = outcome.log.text();
        this.d.logs.append(logAt, text);
        this.d.observer?.invoked(accountKey, v, req.requestId, env.logStream, startedAt, outcome, logAt, text);
      }
      const result: InvokeResult = {
        status: 200,
        payload: outcome.kind === 'result' ? (outcome.payload.length ? outcome.payload : NULL) : outcome.payload,
        executedVersion: v.version,
      };
      if (outcome.kind === 'error') {
        result.functionError = 'Unhandled';
        result.errorType = outcome.errorType;
      }
      if (outcome.streamed) result.streamed = true;
      if (req.logTail) result.logResult = outcome.log.tail();
      return result;
    } finally {
      const done = () => {
        const n = (this.running.get(name) ?? 1) - 1;
        if (n === 0) this.running.delete(name);
        else this.running.set(name, n);
        this.accountRunning(target.accountId, -1);
        cluster?.release(accountKey, v.functionName, target.reservedConcurrency);
      };
      if (held) void held.then(done, done);
      else done();
    }
  }

  /** The environment spec and pool key of a version record, computed once per record (records are cached above). */
  private placements = new WeakMap<VersionRecord, { spec: EnvironmentSpec; key: string; hex: string }>();

  private placement(accountId: string | undefined, v: VersionRecord): { spec: EnvironmentSpec; key: string; hex: string } {
    let p = this.placements.get(v);
    // A dev folder can move (its template's CodeUri changed) without the function's record changing.
    if (p && this.d.devCode && p.spec.codeDir !== (this.d.devCode.dirFor(p.spec.accountId, v.functionName) ?? p.spec.codeDir)) p = undefined;
    if (!p) {
      const account = this.accountOf(accountId);
      this.placements.set(v, (p = { spec: this.spec(account, v), key: poolKey(account.accountId, v), hex: Buffer.from(v.codeSha256, 'base64').toString('hex') }));
    }
    return p;
  }

  private spec(account: Account, v: VersionRecord): EnvironmentSpec {
    const s = v.settings;
    const family = runtimeFamily(s.Runtime);
    if (!family) throw err('InvalidParameterValueException', `The runtime ${s.Runtime} cannot run on Alonzo.`);
    return {
      functionName: v.functionName,
      version: v.version,
      family,
      runtime: s.Runtime!,
      handler: s.Handler ?? '',
      codeDir: this.d.devCode?.dirFor(account.accountId, v.functionName) ?? this.d.code.dirFor(Buffer.from(v.codeSha256, 'base64').toString('hex')),
      ...(s.Layers?.length ? { layers: s.Layers.map((l) => l.hex), optDir: this.d.code.optDirFor(s.Layers.map((l) => l.hex)) } : {}),
      memoryMb: s.MemorySize,
      ephemeralMb: s.EphemeralStorage?.Size ?? 512,
      timeoutS: s.Timeout,
      variables: s.Environment?.Variables ?? {},
      logGroup: s.LoggingConfig.LogGroup,
      ...(s.LoggingConfig.LogFormat === 'JSON' ? { jsonLogs: { level: s.LoggingConfig.ApplicationLogLevel ?? 'INFO', systemLevel: s.LoggingConfig.SystemLogLevel ?? 'INFO' } } : {}),
      region: account.region,
      accountId: account.accountId,
      credentials: this.d.credentials && (() => this.d.credentials!(account.accountId, s.Role, v.functionName)),
      ...((family === 'node' || family === 'python') && this.d.devCode?.debugFor?.(account.accountId, v.functionName)
        ? { debug: { port: this.d.devCode.debugFor(account.accountId, v.functionName)!.port || (family === 'node' ? 9229 : 5678) } }
        : {}),
    };
  }

  /** Pool keys of provisioned versions, by `account\0function\0version`, so that status reads need no store access. */
  private provisionedKeys = new Map<string, string>();
  private provisionedSpecs = new Map<string, EnvironmentSpec>();

  async provision(functionName: string, qualifier: string, version: string, count: number): Promise<void> {
    await this.provisionIn(undefined, functionName, version, count);
    this.d.cluster?.provisionChanged();
  }

  /** Takes this node's part of a provisioned configuration (cluster re-balancing; the server's start). */
  provisionHere(accountId: string, functionName: string, version: string, count: number): Promise<void> {
    return this.provisionIn(this.other(accountId), functionName, version, count);
  }

  private async provisionIn(accountId: string | undefined, functionName: string, version: string, count: number): Promise<void> {
    const account = this.accountOf(accountId);
    const v = await this.storeOf(accountId).getVersion(functionName, version);
    if (!v) return;
    const key = poolKey(account.accountId, v);
    await this.d.code.ensure(Buffer.from(v.codeSha256, 'base64').toString('hex'));
    if (v.settings.Layers?.length) await this.d.code.layered(v.settings.Layers.map((l) => l.hex));
    this.provisionedKeys.set(`${account.accountId}\u0000${functionName}\u0000${version}`, key);
    const spec = this.spec(account, v);
    this.provisionedSpecs.set(key, spec);
    const cluster = this.d.cluster;
    this.d.pool.provision(key, spec, cluster ? cluster.share(`${account.accountId}/${functionName}/${version}`, count) : count);
  }

  /** Stops provisioning what is not in `keep` (`account/function/version`): configurations another node deleted. */
  unprovisionExcept(keep: Set<string>): void {
    for (const [k, key] of this.provisionedKeys) {
      if (keep.has(k.replaceAll('\u0000', '/'))) continue;
      const spec = this.provisionedSpecs.get(key);
      if (spec) this.d.pool.provision(key, spec, 0);
      this.provisionedKeys.delete(k);
      this.provisionedSpecs.delete(key);
    }
  }

  /** Provisioned environments ready on this node, by `account/function/version` (what a cluster node reports). */
  provisionedReady(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, key] of this.provisionedKeys) {
      const n = this.d.pool.provisionStatus(key).allocated;
      if (n > 0) out[k.replaceAll('\u0000', '/')] = n;
    }
    return out;
  }

  provisionedStatus(functionName: string, version: string, requested: number) {
    return this.statusIn(undefined, functionName, version, requested);
  }

  private statusIn(accountId: string | undefined, functionName: string, version: string, requested: number) {
    const account = accountId ?? this.d.account.accountId;
    const key = this.provisionedKeys.get(`${account}\u0000${functionName}\u0000${version}`);
    const cluster = this.d.cluster;
    if (cluster) {
      // The configuration's environments are spread over the nodes: its status is theirs together.
      const local = key ? this.d.pool.provisionStatus(key) : undefined;
      const allocated = Math.min(requested, (local?.allocated ?? 0) + cluster.othersReady(`${account}/${functionName}/${version}`));
      if (local?.status === 'FAILED') return { ...local, allocated, available: allocated };
      return { allocated, available: allocated, status: allocated >= requested ? ('READY' as const) : ('IN_PROGRESS' as const) };
    }
    if (!key) return { allocated: 0, available: 0, status: requested > 0 ? ('IN_PROGRESS' as const) : ('READY' as const) };
    return this.d.pool.provisionStatus(key);
  }

  evict(functionName: string, version?: string): void {
    this.evictIn(this.d.account.accountId, functionName, version);
  }

  private evictIn(accountId: string, functionName: string, version?: string): void {
    this.d.pool.evict(accountId, functionName, version);
    this.d.cluster?.evicted(accountId, functionName, version);
  }

  /** Invocations running on this node now (all accounts). */
  runningCount(): number {
    let n = this.runningTotal;
    for (const c of this.runningOther.values()) n += c;
    return n;
  }

  private views = new Map<string, Invoker>();

  forAccount(accountId: string): Invoker {
    const a = this.other(accountId);
    if (a === undefined) return this;
    let v = this.views.get(a);
    if (!v) {
      this.views.set(
        a,
        (v = {
          forAccount: (x) => this.forAccount(x),
          invoke: (r) => this.invoke({ ...r, accountId: a }),
          invokeStream: (r) => this.invokeStream({ ...r, accountId: a }),
          evict: (name, version) => this.evictIn(a, name, version),
          provision: async (name, _qualifier, version, count) => {
            await this.provisionIn(a, name, version, count);
            this.d.cluster?.provisionChanged();
          },
          provisionedStatus: (name, version, requested) => this.statusIn(a, name, version, requested),
          close: () => this.close(),
        }),
      );
    }
    return v;
  }

  async close(): Promise<void> {
    await this.d.pool.close();
    await Promise.allSettled([...this.background]);
    await this.d.logs.flush();
  }
}

