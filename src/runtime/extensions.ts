// Lambda's Extensions API (2020-01-01) for one environment: external extensions (executables in /opt/extensions,
// started by the launcher in the environment's sandbox) and internal ones (code in the runtime's process that
// registers), their states as AWS's runtime interface emulator keeps them, the INVOKE and SHUTDOWN events, and how
// they hold the environment: init waits for every registered extension's first `next`, an invocation's environment
// stays busy after the runtime's answer until every extension has called `next` again, and a stop sends SHUTDOWN and
// waits (2 s at most) for the extensions to exit before the sandbox is killed.
//
// An Environment creates this only when its function has extensions, or when code in it registers one: an environment
// without extensions does no extra work per invoke.
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants } from 'node:os';
import { Telemetry } from './telemetry.js';
import type { Logger } from '../core/logger.js';

/** Where a function's external extensions are, inside /opt (its layers). */
export const EXTENSIONS_DIR = 'extensions';
/** Lambda runs at most 10 extensions per function. */
export const MAX_EXTENSIONS = 10;
/** How long extensions get after SHUTDOWN before the environment is killed (LAMBDA-SPEC: 2,000 ms with extensions). */
export const SHUTDOWN_GRACE_MS = 2000;

export const EXTENSION_PREFIX = '/2020-01-01/extension/';
/** Alonzo's own calls from the launcher inside the environment (src/runtime/bootstrap/extensions/launch.sh). */
export const LAUNCHER_PREFIX = '/_alonzo/extensions/';
export const TELEMETRY_PATH = '/2022-07-01/telemetry';
export const LOGS_PATH = '/2020-08-15/logs';

const H_NAME = 'lambda-extension-name';
const H_ID = 'lambda-extension-identifier';
const H_ERROR_TYPE = 'lambda-extension-function-error-type';
const H_FEATURES = 'lambda-extension-accept-feature';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An extension's own error type goes into the invoker's answer: only one shaped like AWS's. */
const EXTENSION_ERROR = /^Extension\.[A-Za-z0-9_]{1,64}$/;

/**
 * The external extensions of a function: the executable regular files directly in its layers' extensions/ folder,
 * by name. Read on the host from the merged layers (the launcher lists the same folder inside the sandbox).
 */
export function externalExtensions(optDir: string | undefined): string[] {
  if (!optDir) return [];
  const dir = join(optDir, EXTENSIONS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      try {
        const st = statSync(join(dir, n));
        return st.isFile() && (st.mode & 0o111) !== 0;
      } catch {
        return false;
      }
    })
    .sort();
}

/** How the runtime ended an invocation, for platform.runtimeDone. */
export interface RuntimeDone {
  requestId: string;
  status: 'success' | 'error' | 'failure' | 'timeout';
  errorType?: string;
  durationMs: number;
  producedBytes: number;
  /** The environment is lost with it: nothing waits for the extensions. */
  lost: boolean;
}

type AgentState = 'Started' | 'Registered' | 'Ready' | 'Running' | 'InitError' | 'ExitError' | 'Exited';
type EventType = 'INVOKE' | 'SHUTDOWN';

interface Agent {
  id: string;
  name: string;
  external: boolean;
  state: AgentState;
  events: Set<EventType>;
  /** Its `next` long poll, while it waits for an event. */
  waiting?: ServerResponse;
  /** An event that came while it was not waiting (it gets it on its next `next`). */
  queued?: Record<string, unknown>;
  errorType?: string;
}

/** What the extensions need of their environment (runtime/environment.ts). */
export interface ExtensionsOwner {
  readonly spec: { functionName: string; version: string; handler: string; accountId: string; jsonLogs?: { level: string } };
  /** Started ahead of demand by provisioned concurrency (initializationType in the telemetry). */
  readonly provisioned: boolean;
  /** starting, ready, busy, stopping… (the environment's state). */
  readonly state: string;
  /** An extension failed (crashed, reported an error, overran the deadline): init fails, or the environment is lost. */
  extensionFailed(errorType: string, message: string): void;
  /** Lines for the function's log (the EXTENSION lines at the end of init). */
  platformLog(text: string): void;
  /** An external extension's own output (stdout and stderr), for the function's log. */
  extensionOutput(name: string, chunk: Buffer): void;
}

/** How a process ended, as AWS's supervisor words it ("exit status 1", "signal: killed"; success is "exit code 0"). */
function termination(status: number, signalNames: Partial<Record<string, string>>): string {
  if (status === 0) return 'exit code 0';
  if (status > 128) {
    const sig = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0];
    if (sig) return `signal: ${signalNames[sig] ?? sig.toLowerCase()}`;
  }
  return `exit status ${status}`;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const forbidden = (res: ServerResponse, errorType: string, errorMessage: string): void => send(res, 403, { errorMessage, errorType });

export class Extensions {
  private agents = new Map<string, Agent>();
  /** External extensions by name (created Started, as AWS's emulator pre-creates them from /opt/extensions). */
  private byName = new Map<string, Agent>();
  /** Internal registrations close once the runtime is ready (AWS: "Extension registration closed already"). */
  private registrationClosed = false;
  /** The launcher's call waiting for every external extension to register. */
  private launcherWaiting?: ServerResponse;
  /** Set while init waits for the extensions' first `next` once the runtime is ready. */
  private onInitReady?: () => void;
  /** Set while an invocation's environment waits for the extensions' `next` after the runtime's answer. */
  private onIdle?: () => void;
  private idleTimer?: NodeJS.Timeout;
  private shuttingDown?: { done: () => void; timer: NodeJS.Timeout };
  private failed = false;
  private initDone = false;
  private readonly initStarted = performance.now();
  readonly telemetry: Telemetry;

  constructor(
    private readonly env: ExtensionsOwner,
    external: string[],
    private readonly log: Logger,
    private readonly signalNames: Partial<Record<string, string>>,
  ) {
    for (const name of external.slice(0, MAX_EXTENSIONS)) {
      const agent: Agent = { id: randomUUID(), name, external: true, state: 'Started', events: new Set() };
      this.byName.set(name, agent);
    }
    this.telemetry = new Telemetry(log, !!env.spec.jsonLogs);
    this.telemetry.platform('platform.initStart', { initializationType: this.initializationType, phase: 'init', functionName: env.spec.functionName, functionVersion: env.spec.version });
  }

  private get initializationType(): string {
    return this.env.provisioned ? 'provisioned-concurrency' : 'on-demand';
  }

  get externalCount(): number {
    return this.byName.size;
  }

  // ---- the HTTP API (called by the environment's Runtime API server for its own processes only) ----

  handle(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer | undefined): void {
    const path = url.split('?')[0];
    if (path === `${LAUNCHER_PREFIX}log`) return this.relayOutput(req, res);
    if (path.startsWith(LAUNCHER_PREFIX)) return this.launcher(req, res, path, body);
    if (path === TELEMETRY_PATH || path === LOGS_PATH) {
      if (req.method !== 'PUT') return this.methodNotAllowed(res, 'PUT');
      return this.subscribe(req, res, body, path === LOGS_PATH);
    }
    const route = path.slice(EXTENSION_PREFIX.length);
    const method = route === 'event/next' ? 'GET' : route === 'register' || route === 'init/error' || route === 'exit/error' ? 'POST' : undefined;
    if (!method) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('404 page not found\n');
      return;
    }
    if (req.method !== method) return this.methodNotAllowed(res, method);
    if (body === undefined) return send(res, 413, { errorMessage: 'Request body too large', errorType: 'RequestEntityTooLarge' });
    if (route === 'register') return this.register(req, res, body);
    const agent = this.identified(req, res, route === 'event/next');
    if (!agent) return;
    if (route === 'event/next') return this.next(agent, res);
    return this.reportError(req, res, agent, route === 'init/error');
  }

  private methodNotAllowed(res: ServerResponse, allow: string): void {
    res.writeHead(405, { Allow: allow, 'Content-Length': 0 });
    res.end();
  }

  /** The agent a request's Lambda-Extension-Identifier names, or the error AWS answers (then undefined). */
  private identified(req: IncomingMessage, res: ServerResponse, next: boolean): Agent | undefined {
    const id = req.headers[H_ID];
    if (typeof id !== 'string' || id === '') return void forbidden(res, 'Extension.MissingExtensionIdentifier', 'Missing Lambda-Extension-Identifier header');
    if (!UUID.test(id)) return void forbidden(res, 'Extension.InvalidExtensionIdentifier', 'Invalid Lambda-Extension-Identifier');
    const agent = this.agents.get(id.toLowerCase());
    if (!agent) return void forbidden(res, 'Extension.UnknownExtensionIdentifier', next ? `Unknown extension ${id}` : 'Unknown Lambda-Extension-Identifier');
    return agent;
  }

  private refused(res: ServerResponse, agent: Agent, to: AgentState, who = agent.id): void {
    forbidden(res, 'Extension.InvalidExtensionState', `State transition from ${agent.state} to ${to} failed for extension ${who}. Error: State transition is not allowed`);
  }

  private register(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const name = req.headers[H_NAME];
    if (typeof name !== 'string' || name === '') return forbidden(res, 'Extension.InvalidExtensionName', 'Empty extension name');
    let events: unknown;
    try {
      const parsed = JSON.parse(body.toString('utf8') || 'null');
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body is not a JSON object');
      if (Array.isArray(parsed.configurationKeys) && parsed.configurationKeys.length) throw new Error('configurationKeys are deprecated; use environment variables instead');
      events = parsed.events ?? [];
      if (!Array.isArray(events)) throw new Error('events is not a list');
    } catch (e) {
      return forbidden(res, 'InvalidRequestFormat', (e as Error).message);
    }
    const list = events as unknown[];
    let agent = this.byName.get(name);
    const external = !!agent;
    for (const e of list) {
      if (e !== 'INVOKE' && e !== 'SHUTDOWN') return forbidden(res, 'Extension.InvalidEventType', `${String(e)}: ErrorInvalidEventType`);
      if (!external && e === 'SHUTDOWN') return forbidden(res, 'Extension.InvalidEventType', `${e}: ShutdownEventNotSupportedForInternalExtension`);
    }
    if (agent) {
      if (agent.state !== 'Started') return this.refused(res, agent, 'Registered', agent.name);
    } else {
      if (this.registrationClosed || this.env.state !== 'starting') return forbidden(res, 'Extension.RegistrationClosed', 'Extension registration closed already');
      if ([...this.agents.values()].some((a) => a.name === name)) return forbidden(res, 'Extension.InvalidExtensionState', 'Extension with this name already registered');
      if (this.agents.size + this.unregisteredExternal() >= MAX_EXTENSIONS) return forbidden(res, 'Extension.TooManyExtensions', `Extension limit (${MAX_EXTENSIONS}) reached`);
      agent = { id: randomUUID(), name, external: false, state: 'Started', events: new Set() };
    }
    agent.state = 'Registered';
    for (const e of list) agent.events.add(e as EventType);
    this.agents.set(agent.id, agent);
    const answer: Record<string, string> = { functionName: this.env.spec.functionName, functionVersion: this.env.spec.version, handler: this.env.spec.handler };
    const features = String(req.headers[H_FEATURES] ?? '').split(',').map((f) => f.trim());
    if (features.includes('accountId')) answer.accountId = this.env.spec.accountId;
    send(res, 200, answer, { 'Lambda-Extension-Identifier': agent.id });
    this.log.debug('extension:registered', { fn: this.env.spec.functionName, extension: name, external });
    this.checkRegistered();
  }

  private unregisteredExternal(): number {
    let n = 0;
    for (const a of this.byName.values()) if (a.state === 'Started') n++;
    return n;
  }

  private next(agent: Agent, res: ServerResponse): void {
    if (agent.state === 'Registered' || agent.state === 'Running') agent.state = 'Ready';
    else if (agent.state !== 'Ready' || agent.waiting) return this.refused(res, agent, 'Ready');
    if (agent.queued) {
      const event = agent.queued;
      agent.queued = undefined;
      this.deliver(agent, res, event);
    } else {
      agent.waiting = res;
      // A long poll whose caller goes away is forgotten (the process may have died: the launcher says so).
      res.once('close', () => {
        if (agent.waiting === res) agent.waiting = undefined;
      });
    }
    this.checkInitReady();
    this.checkIdle();
  }

  private deliver(agent: Agent, res: ServerResponse, event: Record<string, unknown>): void {
    agent.waiting = undefined;
    if (event.eventType === 'INVOKE') agent.state = 'Running';
    send(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
  }

  /** Hands an event to an agent now if it waits, else on its next `next`. */
  private post(agent: Agent, event: Record<string, unknown>): void {
    if (agent.waiting && !agent.waiting.destroyed) this.deliver(agent, agent.waiting, event);
    else {
      agent.queued = event;
      if (event.eventType === 'INVOKE') agent.state = 'Running';
    }
  }

  private reportError(req: IncomingMessage, res: ServerResponse, agent: Agent, init: boolean): void {
    const raw = req.headers[H_ERROR_TYPE];
    if (typeof raw !== 'string' || raw === '') return forbidden(res, 'Extension.MissingHeader', 'Lambda-Extension-Function-Error-Type not found');
    const errorType = EXTENSION_ERROR.test(raw) ? raw : init ? 'Extension.InitError' : 'Extension.ExitError';
    if (init) {
      if (agent.state !== 'Registered' && agent.state !== 'InitError') return this.refused(res, agent, 'InitError');
      agent.errorType ??= errorType;
      agent.state = 'InitError';
    } else {
      if (agent.state !== 'Registered' && agent.state !== 'Ready' && agent.state !== 'Running' && agent.state !== 'ExitError') return this.refused(res, agent, 'Exited');
      agent.errorType ??= errorType;
      agent.state = 'ExitError';
    }
    send(res, 202, { status: 'OK' });
    this.fail(agent.errorType!, `${init ? 'Extension init' : 'Extension exit'} error reported by ${agent.name}`);
  }

  // ---- the launcher inside the environment ----

  private launcher(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer | undefined): void {
    if (path === `${LAUNCHER_PREFIX}registered` && req.method === 'GET') {
      // One waiting call at a time (a process repeating it gets the older one closed, not a pile of open sockets).
      this.launcherWaiting?.destroy();
      this.launcherWaiting = res;
      return this.checkRegistered();
    }
    if (path === `${LAUNCHER_PREFIX}exited` && req.method === 'POST') {
      const status = Number(new URL(req.url ?? '', 'http://x').searchParams.get('status'));
      const name = body?.toString('utf8') ?? '';
      send(res, 200, { status: 'OK' });
      return this.exited(name, Number.isInteger(status) ? status : 255);
    }
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }

  /** One extension's output, relayed by the launcher as one long chunked request (its lines are 'extension' records). */
  private relayOutput(req: IncomingMessage, res: ServerResponse): void {
    const name = String(req.headers[H_NAME] ?? '');
    req.on('data', (c: Buffer) => this.env.extensionOutput(name, c));
    req.on('end', () => send(res, 200, { status: 'OK' }));
    req.on('error', () => undefined);
  }

  private checkRegistered(): void {
    if (!this.launcherWaiting || this.unregisteredExternal() > 0) return;
    const res = this.launcherWaiting;
    this.launcherWaiting = undefined;
    send(res, 200, { status: 'OK' });
  }

  /** An external extension's process ended (the launcher tells). */
  private exited(name: string, status: number): void {
    const agent = this.byName.get(name);
    if (!agent) return;
    const before = agent.state;
    agent.state = 'Exited';
    agent.waiting = undefined;
    if (this.shuttingDown) return this.checkShutdown();
    if (this.env.state === 'stopping' || this.env.state === 'stopped') return;
    if (before === 'InitError' || before === 'ExitError') return;
    const errorType = status === 126 && before === 'Started' ? 'Extension.LaunchError' : 'Extension.Crash';
    this.fail(errorType, termination(status, this.signalNames));
  }

  private fail(errorType: string, message: string): void {
    if (this.failed) return;
    this.failed = true;
    const idle = this.onIdle;
    this.clearIdle();
    this.log.warn('extension:failed', { fn: this.env.spec.functionName, errorType, message });
    this.env.extensionFailed(errorType, message);
    // The invocation the extensions held ends now (its REPORT says error): nothing waits on them any more.
    idle?.();
  }

  // ---- the lifecycle, driven by the environment ----

  /**
   * The runtime is ready (its first `next`, or the channel's `ready`): registration closes, and init completes once
   * every registered extension has called `next`. True when that is now; else `done` is called when it is.
   */
  initComplete(done: () => void): boolean {
    if (!this.registrationClosed) this.telemetry.platform('platform.initRuntimeDone', { initializationType: this.initializationType, phase: 'init', status: 'success' });
    this.registrationClosed = true;
    if (this.allReady()) {
      this.onInitReady = undefined;
      this.reportInit();
      return true;
    }
    this.onInitReady = done;
    return false;
  }

  private allReady(): boolean {
    for (const a of this.agents.values()) if (a.state !== 'Ready') return false;
    return true;
  }

  private checkInitReady(): void {
    if (!this.onInitReady || !this.allReady()) return;
    const done = this.onInitReady;
    this.onInitReady = undefined;
    this.reportInit();
    done();
  }

  /** AWS's EXTENSION lines (and platform.extension records) at the end of init, one per extension; then platform.initReport. */
  private reportInit(): void {
    let text = '';
    for (const a of this.agents.values()) {
      text += `EXTENSION\tName: ${a.name}\tState: ${a.state}\tEvents: [${[...a.events].join(',')}]\n`;
      this.telemetry.platform('platform.extension', { name: a.name, state: a.state, events: [...a.events] });
    }
    if (text) this.env.platformLog(text);
    const durationMs = Number((performance.now() - this.initStarted).toFixed(3));
    this.telemetry.platform('platform.initReport', { initializationType: this.initializationType, phase: 'init', status: 'success', metrics: { durationMs } });
    this.initDone = true;
    this.telemetry.initDone();
  }

  /** An invocation starts: INVOKE to every extension registered for it. */
  invokeStarted(requestId: string, invokedArn: string, deadlineMs: number, traceId: string | undefined): void {
    const tracing = { type: 'X-Amzn-Trace-Id', value: traceId ?? '' };
    this.telemetry.platform('platform.start', { requestId, version: this.env.spec.version, tracing });
    this.current = { requestId, tracing };
    const event: Record<string, unknown> = { eventType: 'INVOKE', deadlineMs, requestId, invokedFunctionArn: invokedArn, tracing };
    for (const a of this.agents.values()) if (a.events.has('INVOKE') && (a.state === 'Ready' || a.state === 'Running')) this.post(a, { ...event });
  }

  /**
   * The runtime answered: true when no extension is still working on the invocation; else `done` is called once they
   * all have called `next` again, or the environment is lost when `deadlineMs` passes first (the function's Timeout
   * covers its extensions' work too).
   */
  runtimeDone(r: RuntimeDone, deadlineMs: number, done: () => void): boolean {
    if (this.telemetry.active) this.runtimeDoneRecord(r);
    if (r.lost || this.idle()) return true;
    this.onIdle = done;
    this.idleTimer = setTimeout(() => {
      if (!this.onIdle) return;
      const late = [...this.agents.values()].filter((a) => a.state === 'Running').map((a) => a.name);
      this.fail('Sandbox.Timedout', `Extension ${late.join(', ')} did not call next before the invocation's deadline`);
    }, Math.max(0, deadlineMs - Date.now()));
    this.idleTimer.unref();
    return false;
  }

  private runtimeDoneRecord(r: RuntimeDone): void {
    const record: Record<string, unknown> = { requestId: r.requestId, status: r.status };
    if (r.errorType && r.status !== 'success') record.errorType = r.errorType;
    record.metrics = { durationMs: Number(r.durationMs.toFixed(3)), producedBytes: r.producedBytes };
    if (this.current?.requestId === r.requestId) record.tracing = this.current.tracing;
    this.telemetry.platform('platform.runtimeDone', record);
    this.telemetry.platform('platform.end', { requestId: r.requestId });
  }

  /** The invocation is over (its REPORT line written): platform.report. */
  report(r: { requestId: string; status: string; errorType?: string; durationMs: number; memoryMb: number; maxMemoryUsedMb: number; initDurationMs?: number }): void {
    if (!this.telemetry.active) return;
    const metrics: Record<string, number> = {
      durationMs: Number(r.durationMs.toFixed(3)),
      billedDurationMs: Math.max(1, Math.ceil(r.durationMs)),
      memorySizeMB: r.memoryMb,
      maxMemoryUsedMB: r.maxMemoryUsedMb,
    };
    if (r.initDurationMs !== undefined) metrics.initDurationMs = Number(r.initDurationMs.toFixed(3));
    const record: Record<string, unknown> = { requestId: r.requestId, status: r.status };
    if (r.errorType && r.status !== 'success') record.errorType = r.errorType;
    record.metrics = metrics;
    if (this.current?.requestId === r.requestId) record.tracing = this.current.tracing;
    this.telemetry.platform('platform.report', record);
  }
  private current?: { requestId: string; tracing: { type: string; value: string } };

  private idle(): boolean {
    for (const a of this.agents.values()) if (a.state === 'Running') return false;
    return true;
  }

  private checkIdle(): void {
    if (!this.onIdle || !this.idle()) return;
    const done = this.onIdle;
    this.clearIdle();
    done();
  }

  private clearIdle(): void {
    this.onIdle = undefined;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /**
   * The environment stops: SHUTDOWN (reason `spindown`, or `failure`) to every extension registered for it; settles
   * once they have all exited, or after SHUTDOWN_GRACE_MS. The caller then kills what is left.
   */
  shutdown(reason: 'spindown' | 'failure' | 'timeout'): Promise<void> {
    const targets = [...this.agents.values()].filter((a) => a.external && a.events.has('SHUTDOWN') && a.state !== 'Exited' && a.state !== 'Started');
    // What the subscribers have not received yet goes out before SHUTDOWN.
    this.telemetry.flush();
    if (!targets.length) return Promise.resolve();
    const deadlineMs = Date.now() + SHUTDOWN_GRACE_MS;
    for (const a of targets) {
      a.queued = undefined;
      this.post(a, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs });
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finishShutdown(), SHUTDOWN_GRACE_MS);
      timer.unref();
      this.shuttingDown = { done: resolve, timer };
      this.checkShutdown();
    });
  }

  private checkShutdown(): void {
    if (!this.shuttingDown) return;
    for (const a of this.byName.values()) if (a.events.has('SHUTDOWN') && a.state !== 'Exited' && a.state !== 'Started') return;
    this.finishShutdown();
  }

  private finishShutdown(): void {
    const s = this.shuttingDown;
    if (!s) return;
    this.shuttingDown = undefined;
    clearTimeout(s.timer);
    s.done();
  }

  /** The environment is gone: answer nothing more. */
  close(): void {
    const idle = this.onIdle;
    this.clearIdle();
    idle?.();
    this.finishShutdown();
    this.telemetry.close();
    for (const a of this.agents.values()) a.waiting?.destroy();
    this.launcherWaiting?.destroy();
  }

  /** Telemetry subscriptions (PUT /2022-07-01/telemetry, PUT /2020-08-15/logs): registered extensions only. */
  private subscribe(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, logsApi: boolean): void {
    const agent = this.identified(req, res, false);
    if (!agent) return;
    if (body === undefined) return send(res, 413, { errorMessage: 'Request body too large', errorType: 'RequestEntityTooLarge' });
    const r = this.telemetry.subscribe(agent.name, body, logsApi, this.initDone || this.env.state !== 'starting');
    if (r.status !== 200) return send(res, r.status, r.body);
    // AWS answers a subscription with the JSON string "OK", no newline.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 4 });
    res.end('"OK"');
  }
}
