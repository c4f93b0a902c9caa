// One execution environment: an OS process running a function version, one invocation at a time, as a state machine.
//
// States: starting → ready → busy → ready …, and stopping → stopped, or failed. Every transition goes through
// `to()`, which refuses what the current state does not allow. Every environment is served the Lambda Runtime API
// over HTTP (`AWS_LAMBDA_RUNTIME_API`); the built-in Node and Python runtimes also get the private fd-3 channel unless
// the server runs with runtimeTransport 'runtime-api' (see RuntimeHost.transport for what the two mean together).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeFrame, FrameDecoder, FrameError } from './channel.js';
import { InvocationLog } from './logs.js';
import { RuntimeApiServer } from './runtime-api.js';
import { EXTENSIONS_DIR, Extensions, externalExtensions } from './extensions.js';
import type { StandbyTemplate, Supervised, Supervisor } from './supervisor/types.js';
import type { Logger } from '../core/logger.js';

export type Family = 'node' | 'python' | 'provided';

/** How the built-in runtimes talk to the server; provided.* runtimes always speak the Runtime API. */
export type RuntimeTransport = 'channel' | 'runtime-api';

export interface EnvironmentSpec {
  functionName: string;
  version: string;
  family: Family;
  runtime: string;
  handler: string;
  codeDir: string;
  /** The function's layers (their packages' hexes, in order) and the folder that merges them, shown at /opt. */
  layers?: string[];
  optDir?: string;
  memoryMb: number;
  /** EphemeralStorage: the size of the environment's /tmp. */
  ephemeralMb: number;
  timeoutS: number;
  variables: Record<string, string>;
  logGroup: string;
  /**
   * LoggingConfig with the JSON format: the runtimes' AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL (the
   * ApplicationLogLevel), as Lambda sets them for advanced logging controls. Absent for the Text format.
   */
  jsonLogs?: { level: string; systemLevel?: string };
  region: string;
  accountId: string;
  /**
   * The function's own AWS credentials and endpoint (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
   * AWS_ENDPOINT_URL_LAMBDA), minted afresh for each environment as it starts; they win over the function's variables.
   */
  credentials?: () => Record<string, string>;
  /**
   * `alonzo dev --debug` / serve's debugFunction: the runtime waits for a debugger on 127.0.0.1:port before loading
   * the handler — Node.js under its inspector (`--inspect`, Chrome DevTools Protocol), Python under debugpy (the Debug
   * Adapter Protocol); the function's timeout (and the init timeout) are not enforced, so that a breakpoint or a
   * waiting start does not become Sandbox.Timedout. Never served by a prebooted standby.
   */
  debug?: { port: number };
}

export interface RuntimeHost {
  nodePath: string;
  pythonPath: string;
  /** The interpreter of one runtime (runtime/interpreters.ts); undefined: nodePath / pythonPath. */
  interpreterFor?: (runtime: string) => string | undefined;
  bootstrapDir: string;
  /** Variables every environment gets besides Lambda's own (proxy settings); never the server's credentials. */
  inherited: Record<string, string>;
  /** Starts, measures and stops environments' processes, in a sandbox where the machine allows one. */
  supervisor: Supervisor;
  /**
   * 'channel' (the default): a Node or Python environment gets fd 3 and, like every environment, a Runtime API. The
   * first of the two to hear from the process during init carries its invocations: normally the bootstrap's channel
   * `ready`; a GET next first (an AWS_LAMBDA_EXEC_WRAPPER that runs its own Runtime API client instead of ours) makes
   * it the Runtime API. The other then stays shut (a Runtime API call gets AWS's 403 InvalidStateTransition), because a
   * Lambda environment has exactly one runtime; code that only reads AWS_LAMBDA_RUNTIME_API finds a live endpoint.
   * 'runtime-api': no fd 3, and the bootstraps speak the Runtime API over HTTP as AWS's runtime interface clients do.
   */
  transport?: RuntimeTransport;
  /**
   * Where the functions find the AWS SDKs the managed runtimes ship (runtime/sdk.ts), as they see them: last on
   * NODE_PATH and on sys.path, below their own copies and their layers'.
   */
  sdk?: { node: string; python: string };
  /**
   * The most bytes a streamed response may carry when it is streamed to its invoker (InvokeWithResponseStream);
   * default STREAM_LIMIT. A buffered invoke of a streaming handler keeps the 6 MB limit of every response.
   */
  streamLimitBytes?: number;
}

/**
 * Where a streamed response goes as the runtime writes it (InvokeWithResponseStream, RESPONSE_STREAM function URLs).
 * Without one, a streaming handler's bytes are collected and answered whole, as a plain Invoke of it is on AWS.
 */
export interface ResponseReceiver {
  /** The function began a streamed response, with the content type it declared; called once, before any bytes. */
  begin(contentType: string): void;
  /** The response's bytes, in the order the function wrote them (a copy: the receiver may keep it). */
  write(bytes: Buffer): void;
}

export interface Invocation {
  requestId: string;
  payload: Buffer;
  invokedArn: string;
  clientContext?: string;
  traceId?: string;
  /** Set to stream the response as it is written (see ResponseReceiver). */
  receiver?: ResponseReceiver;
}

export interface Outcome {
  /** `result`: the function's answer; `error`: a function or runtime error payload (X-Amz-Function-Error: Unhandled). */
  kind: 'result' | 'error';
  payload: Buffer;
  errorType?: string;
  log: InvocationLog;
  durationMs: number;
  initDurationMs?: number;
  maxMemoryUsedMb: number;
  /** The environment cannot take another invocation (it crashed, timed out or failed init). */
  environmentLost: boolean;
  /** The response's bytes went to the invocation's receiver as they were written: `payload` holds none of them. */
  streamed?: boolean;
  /**
   * With extensions still working on the invocation after the runtime's answer: settles once they are done (or the
   * environment is lost). Until then the environment stays busy and its log has no REPORT line yet.
   */
  afterRuntime?: Promise<void>;
}

export type EnvState = 'starting' | 'ready' | 'busy' | 'stopping' | 'stopped' | 'failed';

const ALLOWED: Record<EnvState, EnvState[]> = {
  starting: ['ready', 'failed', 'stopping'],
  ready: ['busy', 'stopping', 'failed'],
  busy: ['ready', 'failed', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
  failed: ['stopping', 'stopped'],
};

/**
 * The largest response a synchronous invoke returns: AWS's message names 6,291,556 bytes (6 MB + 100), and a handler
 * returning exactly 6 MiB of text (6,291,458 bytes once JSON-quoted) succeeds there (oracle test_lambda_large_response).
 */
const MAX_RESPONSE = 6_291_556;
/** How AWS words a signal in "Runtime exited with error: signal: …" (Go's names, as its runtime supervisor prints them). */
const SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGPIPE: 'broken pipe',
  SIGTRAP: 'trace/breakpoint trap',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};
/**
 * The largest streamed response (InvokeWithResponseStream): 200 MB, AWS's limit since 2025 (reference/LAMBDA-SPEC.md,
 * "Response streaming"; it was 20 MB before). Past it the stream ends with Function.ResponseSizeTooLarge.
 */
export const STREAM_LIMIT = 200 * 1024 * 1024;
export const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';
const tooLargePayload = (limit: number): Buffer =>
  Buffer.from(JSON.stringify({ errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).`, errorType: 'Function.ResponseSizeTooLarge' }));
const INIT_TIMEOUT_MS = 10_000;
/**
 * The largest frame the channel takes from a runtime: a result just over the 6 MB response limit must still arrive
 * whole to be answered Function.ResponseSizeTooLarge; anything larger is refused before it is buffered.
 */
const MAX_FRAME = 16 * 1024 * 1024;
/** Error types come from the runtime (untrusted): they go into a header and a log line only if they look like one. */
const ERROR_TYPE = /^[A-Za-z0-9_.:-]{1,128}$/;
export const safeErrorType = (t: unknown, fallback = 'Runtime.Unknown'): string => (typeof t === 'string' && ERROR_TYPE.test(t) ? t : fallback);

let nextId = 0;

/**
 * How a built-in runtime boots in a sandbox before its function is known: the same command as a cold start, with only
 * what does not depend on the function in its environment (the rest comes in the `specialize` frame). Node's heap
 * cap is set at boot, so Node standbys are kept per MemorySize. Undefined where the supervisor has no sandbox paths.
 */
export function standbyTemplate(host: RuntimeHost, family: 'node' | 'python', memoryMb: number, ephemeralMb: number, runtimeName?: string): StandbyTemplate | undefined {
  const task = host.supervisor.taskRoot;
  const runtime = host.supervisor.runtimeRoot;
  if (!task || !runtime) return undefined;
  // Standbys are kept per interpreter: a python3.12 function takes one booted on its Python only.
  const own = runtimeName ? host.interpreterFor?.(runtimeName) : undefined;
  const env: Record<string, string> = { PATH: BASE_PATH, LANG: 'en_US.UTF-8', TZ: ':UTC', ALONZO_CHANNEL_FD: '3', ALONZO_STANDBY: '1' };
  if (family === 'node') {
    const args = [`--max-old-space-size=${memoryMb}`, join(runtime, 'node', 'bootstrap.cjs')];
    const cmd = own ?? host.nodePath;
    return { key: `node:${cmd}:${memoryMb}:${ephemeralMb}`, cmd, args, env: { ...env, NODE_PATH: `${task}/node_modules:${task}${host.sdk ? `:${host.sdk.node}` : ''}` }, memoryMb, ephemeralMb };
  }
  const args = ['-u', join(runtime, 'python', 'bootstrap.py')];
  const cmd = own ?? host.pythonPath;
  return { key: `python:${cmd}:${ephemeralMb}`, cmd, args, env: { ...env, PYTHONPATH: `${task}${host.sdk ? `:${host.sdk.python}` : ''}`, PYTHONDONTWRITEBYTECODE: '1' }, memoryMb, ephemeralMb };
}

const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Runs the extension launcher (bootstrap/extensions/launch.sh); every sandbox sees the host's /bin. */
const BASH = '/bin/bash';
/** Where a sandboxed function finds its layers, as on Lambda. */
const OPT_ROOT = '/opt';

interface Pending {
  inv: Invocation;
  log: InvocationLog;
  started: number;
  deadline: number;
  resolve: (o: Outcome) => void;
  /** Once the runtime starts a streamed response: bytes so far, and where they go (the receiver, else `collected`). */
  stream?: { bytes: number; collected?: Buffer[] };
}

export class Environment {
  readonly id = `env-${process.pid}-${++nextId}`;
  /** AWS names an environment's log stream `yyyy/mm/dd/[version]` + 32 hex digits. */
  private readonly streamId = randomBytes(16).toString('hex');
  /** This environment's log stream name, as its function sees it in AWS_LAMBDA_LOG_STREAM_NAME (set when it starts). */
  logStream = '';
  /** When it was made (epoch ms): what the dashboard shows as its age (src/observe/). */
  readonly createdAt = Date.now();
  state: EnvState = 'starting';
  lastUsed = Date.now();
  private proc?: Supervised;
  private channel?: Socket;
  private api?: RuntimeApiServer;
  /** Its extensions (runtime/extensions.ts): only when the function has some, or code in it registers one. */
  private ext?: Extensions;
  /** While extensions work on an invocation the runtime has answered: that invocation's log, for their output. */
  private afterLog?: InvocationLog;
  /** What carries this environment's invocations: decided by the first message of init (see RuntimeHost.transport). */
  private via?: 'channel' | 'runtime-api';
  private decoder = new FrameDecoder({ maxFrameBytes: MAX_FRAME });
  private initOutput: Buffer[] = [];
  private initStarted = 0;
  /** Reported on the first invocation only (a cold start). */
  private initDurationMs?: number;
  /** Settles when init ends: undefined when ready, the init failure's Outcome otherwise. */
  readonly ready: Promise<Outcome | undefined>;
  private settleReady!: (o: Outcome | undefined) => void;
  private pending?: Pending;
  private oomKilled = false;
  private stderrTail = '';
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  /** The environment's sandbox folder (its /tmp); a prebooted standby brings its own. */
  tmpDir: string;
  /** The request waiting on this environment's init, for the messages of an init that dies. */
  pendingInitRequestId?: string;

  constructor(
    readonly spec: EnvironmentSpec,
    private readonly host: RuntimeHost,
    private readonly log: Logger,
    sandboxDir: string,
    private readonly onLost: (env: Environment) => void,
    /** Started ahead of demand by provisioned concurrency: never reaped, and its init is not billed to an invocation. */
    readonly provisioned = false,
  ) {
    this.tmpDir = sandboxDir;
    this.ready = new Promise((r) => (this.settleReady = r));
  }

  private to(next: EnvState): void {
    if (!ALLOWED[this.state].includes(next)) throw new Error(`environment ${this.id}: ${this.state} → ${next} is not allowed`);
    this.state = next;
  }

  /** Where the built-in runtimes are: /var/runtime in a sandbox (as on Lambda), else Alonzo's own folder. */
  private get runtimeDir(): string {
    return this.host.supervisor.runtimeRoot ?? this.host.bootstrapDir;
  }

  /** Where the function finds its code: /var/task in a sandbox, else the unpacked folder itself. */
  private get taskRoot(): string {
    return this.host.supervisor.taskRoot ?? this.spec.codeDir;
  }

  private env(extra: Record<string, string>): Record<string, string> {
    const s = this.spec;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    return {
      PATH: BASE_PATH,
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      ...this.host.inherited,
      AWS_LAMBDA_FUNCTION_NAME: s.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: s.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(s.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: s.logGroup,
      ...(s.jsonLogs ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: s.jsonLogs.level } : {}),
      AWS_LAMBDA_LOG_STREAM_NAME: (this.logStream = `${day}/[${s.version}]${this.streamId}`),
      AWS_LAMBDA_INITIALIZATION_TYPE: this.provisioned ? 'provisioned-concurrency' : 'on-demand',
      AWS_REGION: s.region,
      AWS_DEFAULT_REGION: s.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${s.runtime}`,
      LAMBDA_TASK_ROOT: this.taskRoot,
      LAMBDA_RUNTIME_DIR: join(this.runtimeDir, s.family),
      _HANDLER: s.handler,
      ...extra,
      ...s.variables,
      ...s.credentials?.(),
    };
  }

  /** Spawns the process; init completes when it reports ready (or fails). */
  async start(): Promise<void> {
    this.initStarted = performance.now();
    const s = this.spec;
    let cmd: string;
    let args: string[];
    // Served alongside the channel too (see RuntimeHost.transport): listening costs ~0.2 ms of a ~40 ms cold start.
    this.api = new RuntimeApiServer(this);
    const extra: Record<string, string> = { AWS_LAMBDA_RUNTIME_API: await this.api.listen() };
    const channel = s.family !== 'provided' && (this.host.transport ?? 'channel') === 'channel';
    if (channel) extra.ALONZO_CHANNEL_FD = '3';
    // Layers, where Lambda's runtimes look for them: /opt/nodejs/node<major>/node_modules and /opt/nodejs/node_modules
    // for require, /opt/python/lib/python3.x/site-packages and /opt/python on sys.path (after /var/task), /opt/bin on
    // PATH, /opt/lib on LD_LIBRARY_PATH. Without a sandbox there is no /opt: the merged folder's own path stands in.
    const opt = s.optDir ? (this.host.supervisor.taskRoot ? OPT_ROOT : s.optDir) : undefined;
    if (opt) {
      extra.PATH = `${BASE_PATH}:${opt}/bin`;
      extra.LD_LIBRARY_PATH = `${this.taskRoot}/lib:${opt}/lib`;
    }
    if (s.family === 'node') {
      cmd = this.host.interpreterFor?.(s.runtime) ?? this.host.nodePath;
      args = [`--max-old-space-size=${s.memoryMb}`, join(this.runtimeDir, 'node', 'bootstrap.cjs')];
      if (s.debug) {
        args.unshift(`--inspect=127.0.0.1:${s.debug.port}`);
        extra.ALONZO_DEBUG_WAIT = '1';
      }
      const major = /^nodejs(\d+)\.x$/.exec(s.runtime)?.[1];
      const layerPaths = opt ? `${major ? `${opt}/nodejs/node${major}/node_modules:` : ''}${opt}/nodejs/node_modules:` : '';
      extra.NODE_PATH = `${layerPaths}${this.taskRoot}/node_modules:${this.taskRoot}${this.host.sdk ? `:${this.host.sdk.node}` : ''}`;
    } else if (s.family === 'python') {
      cmd = this.host.interpreterFor?.(s.runtime) ?? this.host.pythonPath;
      args = ['-u', join(this.runtimeDir, 'python', 'bootstrap.py')];
      const minor = /^python(3\.\d+)$/.exec(s.runtime)?.[1];
      const layerPaths = opt ? `${minor ? `:${opt}/python/lib/python${minor}/site-packages` : ''}:${opt}/python` : '';
      Object.assign(extra, { PYTHONPATH: `${this.taskRoot}${layerPaths}${this.host.sdk ? `:${this.host.sdk.python}` : ''}`, PYTHONDONTWRITEBYTECODE: '1' });
      if (s.debug) extra.ALONZO_DEBUG_PORT = String(s.debug.port);
    } else {
      cmd = join(this.taskRoot, 'bootstrap');
      args = [];
    }
    const wrapper = s.variables.AWS_LAMBDA_EXEC_WRAPPER;
    if (wrapper) {
      args = [cmd, ...args];
      cmd = wrapper;
    }
    // External extensions: the launcher starts them in the sandbox, waits for their registration, then becomes the runtime.
    const external = opt ? externalExtensions(s.optDir) : [];
    if (external.length) {
      this.ext = this.newExtensions(external);
      args = [join(this.runtimeDir, 'extensions', 'launch.sh'), `${opt}/${EXTENSIONS_DIR}`, cmd, ...args];
      cmd = BASH;
    }
    // A built-in runtime over the channel may be served by a prebooted standby of the same kind, which boots exactly
    // this command before its function is known.
    const template = channel && !wrapper && !s.debug && !this.ext && s.family !== 'provided' ? standbyTemplate(this.host, s.family, s.memoryMb, s.ephemeralMb, s.runtime) : undefined;
    const standby = template && template.cmd === cmd && template.args.join('\0') === args.join('\0') ? template : undefined;
    // The supervisor stops everything the environment started with it (Lambda stops the whole sandbox): nothing a
    // function leaves running outlives its environment.
    const proc = this.host.supervisor.launch({ cmd, args, env: this.env(extra), channel, sandboxDir: this.tmpDir, codeDir: s.codeDir, optDir: s.optDir, memoryMb: s.memoryMb, ephemeralMb: s.ephemeralMb, standby });
    this.proc = proc;
    this.tmpDir = proc.sandboxDir;
    proc.stdout.on('data', (c: Buffer) => this.output(c));
    proc.stderr.on('data', (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString('latin1')).slice(-2048);
      this.output(c);
    });
    if (proc.channel) {
      const ch = proc.channel;
      this.channel = ch;
      ch.on('data', (chunk: Buffer) => {
        let frames;
        try {
          frames = this.decoder.push(chunk);
        } catch (e) {
          return this.channelBroken(e as FrameError);
        }
        for (const f of frames) this.frame(f.header, f.body);
      });
      ch.on('error', () => undefined);
    }
    proc.onExit((code, signal) => this.exited(code, signal));
    if (!s.debug) setTimeout(() => {
      if (this.state === 'starting') this.initFailed('Sandbox.Timedout', `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds`);
    }, Math.max(INIT_TIMEOUT_MS, s.timeoutS * 1000)).unref();
  }

  /** Output of the process: belongs to the running invocation, or to init before the first one. */
  output(c: Buffer): void {
    if (this.ext) this.ext.telemetry.output(c);
    this.toLog(c);
  }

  private toLog(c: Buffer): void {
    if (this.pending) this.pending.log.add(c);
    else if (this.afterLog) this.afterLog.add(c);
    else if (this.state === 'starting' || this.initOutput.length < 256) this.initOutput.push(c);
  }

  // ---- messages from the runtime (channel frames or Runtime API calls) ----

  frame(header: { t: unknown; id?: unknown; errorType?: unknown }, body: Buffer): void {
    const id = typeof header.id === 'string' ? header.id : undefined;
    switch (header.t) {
      case 'log':
        return this.output(body);
      case 'ready':
        return this.initDone('channel');
      case 'init_error':
        return this.initError(safeErrorType(header.errorType), body);
      case 'result':
        this.finish(id, 'result', body);
        return;
      case 'error':
        this.finish(id, 'error', body, safeErrorType(header.errorType));
        return;
      case 'stream_start':
        this.streamBegin(id, (header as { contentType?: unknown }).contentType);
        return;
      case 'stream':
        this.streamWrite(id, body);
        return;
      case 'stream_end':
        this.streamEnd(id);
        return;
      case 'stream_error':
        this.streamEnd(id, { errorType: safeErrorType(header.errorType), payload: body });
        return;
    }
  }

  /**
   * Bytes on the channel that are not a frame, or a frame over the limit: the channel cannot be read any further, so
   * the environment ends (the server is unharmed). A frame too large while an invocation runs is a response too large,
   * as AWS answers one; anything else ends as the runtime's exit.
   */
  private channelBroken(e: FrameError): void {
    this.log.warn('environment:bad-frame', { fn: this.spec.functionName, error: e.message });
    this.channel?.removeAllListeners('data');
    this.channel?.destroy();
    if (this.pending && /exceeds/.test(e.message)) {
      const errorType = 'Function.ResponseSizeTooLarge';
      this.complete('error', Buffer.from(JSON.stringify({ errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE} bytes).`, errorType })), errorType, true, 'error');
      this.to('failed');
    }
    this.kill();
  }

  initDone(via: 'channel' | 'runtime-api'): void {
    if (this.state !== 'starting' || (this.ext && this.via && this.via !== via)) return;
    this.via = via;
    // With extensions, init ends once every registered one has called `next` too.
    if (this.ext && !this.ext.initComplete(() => this.initDone(via))) return;
    // A provisioned environment's init happened before any invocation: no Init Duration in the first REPORT.
    this.initDurationMs = this.provisioned ? undefined : performance.now() - this.initStarted;
    this.to('ready');
    this.settleReady(undefined);
  }

  /** Whether Runtime API calls are this environment's runtime speaking (false once its channel has spoken first). */
  servesRuntimeApi(): boolean {
    return this.via !== 'channel';
  }

  initError(errorType: string, payload: Buffer): void {
    if (this.state !== 'starting') return;
    this.failInit(errorType, payload);
  }

  private initFailed(errorType: string, message: string): void {
    this.failInit(errorType, Buffer.from(JSON.stringify({ errorType, errorMessage: message })));
  }

  private failInit(errorType: string, payload: Buffer): void {
    this.to('failed');
    const log = new InvocationLog('', this.spec.version);
    this.settleReady({ kind: 'error', payload, errorType, log, durationMs: 0, maxMemoryUsedMb: this.maxMemoryMb(), environmentLost: true, initDurationMs: performance.now() - this.initStarted });
    this.kill();
  }

  /** The invocation the runtime should get next (Runtime API long poll). */
  currentInvocation(): Invocation | undefined {
    return this.pending?.inv;
  }

  deadlineMs(): number {
    return this.pending?.deadline ?? Date.now();
  }

  // ---- a streamed response (channel frames stream_start / stream / stream_end / stream_error, or a Runtime API POST
  // with Lambda-Runtime-Function-Response-Mode: streaming) ----

  /** The runtime starts a streamed response for invocation `id`; false when `id` is not the running invocation. */
  streamBegin(id: string | undefined, contentType: unknown): boolean {
    const p = this.pending;
    if (!p || p.inv.requestId !== id) return false;
    if (p.stream) return true;
    p.stream = p.inv.receiver ? { bytes: 0 } : { bytes: 0, collected: [] };
    // The content type goes into a header of the invoker's answer (function URLs): only a plausible one.
    const ct = typeof contentType === 'string' && /^[\x20-\x7e]{1,256}$/.test(contentType) ? contentType : DEFAULT_STREAM_CONTENT_TYPE;
    p.inv.receiver?.begin(ct);
    return true;
  }

  /**
   * Bytes of the streamed response. Past the limit (the stream limit when streamed to the invoker, the 6 MB response
   * limit when collected for a buffered invoke) the invocation ends with Function.ResponseSizeTooLarge and the runtime
   * is replaced, since it may go on writing; false then, or when `id` is not the running invocation.
   */
  streamWrite(id: string | undefined, bytes: Buffer): boolean {
    if (!this.streamBegin(id, undefined)) return false;
    const p = this.pending!;
    const s = p.stream!;
    s.bytes += bytes.length;
    const limit = s.collected ? MAX_RESPONSE : (this.host.streamLimitBytes ?? STREAM_LIMIT);
    if (s.bytes > limit) {
      this.lastStreamTooLarge = p.inv.requestId;
      this.log.warn('environment:stream-too-large', { fn: this.spec.functionName, requestId: p.inv.requestId, limit });
      this.complete('error', tooLargePayload(limit), 'Function.ResponseSizeTooLarge', true, 'error');
      this.to('failed');
      this.kill();
      return false;
    }
    // Frame bodies are views into the channel's read buffers: copy what outlives this call.
    const copy = Buffer.from(bytes);
    if (s.collected) s.collected.push(copy);
    else p.inv.receiver!.write(copy);
    return true;
  }

  /** The streamed response ended, well or with the error the runtime reported mid-stream. */
  streamEnd(id: string | undefined, error?: { errorType: string; payload: Buffer }): boolean {
    if (!this.streamBegin(id, undefined)) return false;
    const s = this.pending!.stream!;
    if (error) return this.finish(id, 'error', error.payload, error.errorType);
    return this.finish(id, 'result', s.collected ? Buffer.concat(s.collected) : Buffer.alloc(0));
  }

  /**
   * Backpressure from the invoker of a streamed response: stop reading from the runtime until resumeRuntime(), so
   * that a slow client holds the function's writes back instead of the server buffering them.
   */
  pauseRuntime(): void {
    if (this.paused || !this.pending) return;
    this.paused = true;
    if (this.via === 'channel') this.channel?.pause();
    else this.api?.pauseStream();
  }

  resumeRuntime(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.via === 'channel') this.channel?.resume();
    else this.api?.resumeStream();
  }
  private paused = false;
  /** The request id of the last stream cut at the limit (the Runtime API answers its runtime 413, not 400). */
  lastStreamTooLarge?: string;

  finish(id: string | undefined, kind: 'result' | 'error', payload: Buffer, errorType?: string): boolean {
    const p = this.pending;
    if (!p || p.inv.requestId !== id) return false;
    if (kind === 'result' && payload.length > MAX_RESPONSE) {
      kind = 'error';
      errorType = 'Function.ResponseSizeTooLarge';
      payload = Buffer.from(JSON.stringify({ errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE} bytes).`, errorType }));
    }
    if (this.complete(kind, payload, errorType, false)) this.to('ready');
    return true;
  }

  /** Ends the running invocation for its invoker; false while extensions keep the environment busy (see afterRuntime). */
  private complete(kind: 'result' | 'error', payload: Buffer, errorType: string | undefined, lost: boolean, status?: string): boolean {
    const p = this.pending!;
    this.pending = undefined;
    // Whatever the runtime sends next must be read again (a timeout may end an invocation while its reads are paused).
    this.resumeRuntime();
    const durationMs = performance.now() - p.started;
    const initDurationMs = this.initDurationMs;
    this.initDurationMs = undefined;
    const maxMemoryUsedMb = this.maxMemoryMb(durationMs);
    const streamed = !!p.stream && !p.stream.collected;
    if (this.ext) {
      const afterRuntime = this.extensionsAfter(p, { kind, errorType, lost, status, durationMs, initDurationMs, maxMemoryUsedMb, producedBytes: p.stream ? p.stream.bytes : payload.length });
      if (afterRuntime) {
        p.resolve({ kind, payload, errorType, log: p.log, durationMs, initDurationMs, maxMemoryUsedMb, environmentLost: lost, streamed, afterRuntime });
        return false;
      }
    }
    p.log.finish({ durationMs, memoryMb: this.spec.memoryMb, maxMemoryUsedMb, initDurationMs, status });
    this.lastUsed = Date.now();
    p.resolve({ kind, payload, errorType, log: p.log, durationMs, initDurationMs, maxMemoryUsedMb, environmentLost: lost, streamed });
    return true;
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    this.exitInfo = { code, signal };
    clearTimeout(this.timeoutTimer);
    // Whatever the function started goes with its runtime.
    this.kill();
    this.proc?.dispose();
    this.channel?.destroy();
    this.api?.close();
    this.ext?.close();
    const reason = this.oomKilled
      ? 'Runtime exited with error: signal: killed'
      : signal
        ? `Runtime exited with error: signal: ${SIGNAL_NAMES[signal] ?? signal.toLowerCase()}`
        : code === 0
          ? 'Runtime exited without providing a reason'
          : `Runtime exited with error: exit status ${code}`;
    const oom = this.oomKilled || !!this.proc?.outOfMemory() || /heap out of memory|MemoryError/.test(this.stderrTail);
    const errorType = oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
    if (this.state === 'starting') {
      this.failInit(errorType, Buffer.from(JSON.stringify({ errorType, errorMessage: `RequestId: ${this.pendingInitRequestId ?? ''} Error: ${reason}` })));
    } else if (this.pending) {
      const id = this.pending.inv.requestId;
      this.complete('error', Buffer.from(JSON.stringify({ errorType, errorMessage: `RequestId: ${id} Error: ${reason}` })), errorType, true, 'error');
    }
    if (this.state === 'ready' || this.state === 'busy') this.to('failed');
    if (this.state === 'failed' || this.state === 'stopping') this.to('stopped');
    this.onLost(this);
  }

  /**
   * Max Memory Used for the REPORT line: the highest memory of the environment's processes seen so far (every process,
   * through the supervisor). A quick invocation (< 50 ms) reuses a reading less than a second old: reading on every
   * invoke was 20% of the server's time on the warm path.
   */
  private maxMemoryMb(durationMs = Infinity): number {
    if (!this.proc || this.exitInfo) return this.lastMaxMb;
    const now = performance.now();
    if (durationMs < 50 && now - this.lastMaxReadAt < 1000) return this.lastMaxMb;
    this.lastMaxReadAt = now;
    this.lastMaxMb = Math.max(this.lastMaxMb, Math.ceil(this.proc.memoryMb()));
    return this.lastMaxMb;
  }
  private lastMaxMb = 0;
  private lastMaxReadAt = -Infinity;

  /** With the JSON log format, the platform records are JSON too, filtered by the SystemLogLevel. */
  private jsonPlatform(): { systemLevel: string } | undefined {
    return this.spec.jsonLogs ? { systemLevel: this.spec.jsonLogs.systemLevel ?? 'INFO' } : undefined;
  }

  /** Runs one invocation. Init errors, crashes, timeouts and OOM all come back as an error Outcome. */
  async invoke(inv: Invocation): Promise<Outcome> {
    const initFailure = await this.ready;
    if (initFailure) {
      const log = new InvocationLog(inv.requestId, this.spec.version, Buffer.concat(this.initOutput), this.jsonPlatform());
      log.finish({ durationMs: initFailure.initDurationMs ?? 0, memoryMb: this.spec.memoryMb, maxMemoryUsedMb: initFailure.maxMemoryUsedMb, initDurationMs: initFailure.initDurationMs, status: 'error' });
      // Python's init errors carry the request id they happened before: "" in AWS's payload.
      return { ...initFailure, log };
    }
    if (this.state !== 'ready') throw new Error(`environment ${this.id} is ${this.state}, not ready`);
    this.to('busy');
    const prefix = this.initDurationMs !== undefined && this.initOutput.length ? Buffer.concat(this.initOutput) : undefined;
    this.initOutput = [];
    const log = new InvocationLog(inv.requestId, this.spec.version, prefix, this.jsonPlatform());
    const timeoutMs = this.spec.timeoutS * 1000;
    const deadline = Date.now() + timeoutMs;
    return new Promise<Outcome>((resolve) => {
      const p: Pending = { inv, log, started: performance.now(), deadline, resolve };
      this.pending = p;
      this.armTimers(timeoutMs);
      this.ext?.invokeStarted(inv.requestId, inv.invokedArn, deadline, inv.traceId);
      if (this.via === 'channel') {
        this.channel!.write(
          encodeFrame(
            { t: 'invoke', id: inv.requestId, deadlineMs: deadline, arn: inv.invokedArn, clientContext: inv.clientContext ?? null, identity: null, traceId: inv.traceId ?? null },
            inv.payload,
          ),
        );
      } else {
        this.api!.dispatch();
      }
    });
  }

  /**
   * One timeout timer and one memory watchdog per environment, not per invocation: the timeout is re-armed from now
   * at each invocation (same duration: the function's Timeout) and ignored when it fires on an invocation that has
   * ended; the watchdog keeps running while invocations follow one another and stops itself at its first idle tick.
   * (Setting and clearing both on every warm invoke was measurable on the server's main thread.)
   */
  private armTimers(timeoutMs: number): void {
    if (this.spec.debug) {
      // Under a debugger the timeout is not enforced (see EnvironmentSpec.debug).
    } else if (this.timeoutTimer) this.timeoutTimer.refresh();
    else {
      this.timeoutTimer = setTimeout(() => this.timedOut(), timeoutMs);
      // The server's own handles keep it alive; an environment's timer must not hold a closing server open.
      this.timeoutTimer.unref();
    }
    if (this.memTimer) return;
    // MemorySize is enforced by watching the memory of every process of the environment while invocations run (the
    // kernel's hard limit, where there is a cgroup, also makes room for the tmpfs /tmp).
    this.memTimer = setInterval(() => {
      if (!this.pending || this.exitInfo) {
        clearInterval(this.memTimer);
        this.memTimer = undefined;
        return;
      }
      const rss = this.proc!.memoryMb();
      // Also the REPORT line's Max Memory Used when the process is gone before the end (crash, OOM kill).
      if (rss > this.lastMaxMb) this.lastMaxMb = Math.ceil(rss);
      if (rss > this.spec.memoryMb) {
        this.oomKilled = true;
        this.kill();
      }
    }, this.proc!.memoryPollMs);
    this.memTimer.unref();
  }
  private timeoutTimer?: NodeJS.Timeout;
  private memTimer?: NodeJS.Timeout;

  private timedOut(): void {
    const p = this.pending;
    // Fired after the invocation it was armed for ended (the timer is re-armed, not cleared, between invocations).
    if (!p) return;
    const secs = this.spec.timeoutS.toFixed(2);
    p.log.add(Buffer.from(`${new Date().toISOString()} ${p.inv.requestId} Task timed out after ${secs} seconds\n`));
    const payload = Buffer.from(JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${p.inv.requestId} Error: Task timed out after ${secs} seconds` }));
    this.complete('error', payload, 'Sandbox.Timedout', true, 'timeout');
    this.to('failed');
    this.kill();
  }

  kill(): void {
    this.proc?.kill();
  }

  /** Whether a Runtime API connection from 127.0.0.1:`remotePort` comes from this environment's own processes. */
  owns(remotePort: number, localPort: number): boolean {
    return !!this.proc && !this.exitInfo && this.proc.owns(remotePort, localPort);
  }

  /**
   * Stops an idle environment (reaped, evicted, or the server shutting down). With extensions registered for SHUTDOWN
   * it settles once they have exited or their 2 s are over (then every process is killed); else at once.
   */
  stop(): Promise<void> | undefined {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    if (this.state === 'failed') {
      this.kill();
      return;
    }
    this.to('stopping');
    if (this.ext) return this.ext.shutdown('spindown').then(() => this.kill());
    this.kill();
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  // ---- extensions (runtime/extensions.ts): nothing here runs for an environment without them ----

  private newExtensions(external: string[]): Extensions {
    return new Extensions(this, external, this.log, SIGNAL_NAMES);
  }

  /** A call to the Extensions, Telemetry or Logs API from this environment's own processes. */
  extensionsApi(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer | undefined): void {
    // An internal extension may register while the runtime initialises; after init, a call gets AWS's refusals.
    const ext = this.ext ?? (this.state === 'starting' ? (this.ext = this.newExtensions([])) : this.newExtensions([]));
    ext.handle(req, res, url, body);
  }

  /**
   * The runtime answered `p` (platform.runtimeDone). While extensions still work on it the environment stays busy
   * until they call `next` again, and the REPORT line (whose Duration covers their work, as on AWS) and
   * platform.report are written then: the promise settles at that point. Undefined when nothing waits (the caller
   * writes the REPORT line; platform.report is sent here).
   */
  private extensionsAfter(
    p: Pending,
    r: { kind: 'result' | 'error'; errorType?: string; lost: boolean; status?: string; durationMs: number; initDurationMs?: number; maxMemoryUsedMb: number; producedBytes: number },
  ): Promise<void> | undefined {
    const ext = this.ext!;
    const status = r.status === 'timeout' ? 'timeout' : r.kind === 'result' ? 'success' : r.lost ? 'failure' : 'error';
    const requestId = p.inv.requestId;
    const report = (durationMs: number, maxMemoryUsedMb: number, st: string) =>
      ext.report({ requestId, status: st, errorType: r.errorType, durationMs, memoryMb: this.spec.memoryMb, maxMemoryUsedMb, initDurationMs: r.initDurationMs });
    let settle!: () => void;
    const after = new Promise<void>((ok) => (settle = ok));
    const done = () => {
      this.afterLog = undefined;
      const durationMs = performance.now() - p.started;
      const maxMemoryUsedMb = this.maxMemoryMb(durationMs);
      const ok = this.state === 'busy';
      p.log.finish({ durationMs, memoryMb: this.spec.memoryMb, maxMemoryUsedMb, initDurationMs: r.initDurationMs, status: ok ? r.status : 'error' });
      report(durationMs, maxMemoryUsedMb, ok ? status : 'failure');
      this.lastUsed = Date.now();
      if (ok) this.to('ready');
      settle();
    };
    if (ext.runtimeDone({ requestId, status, errorType: r.errorType, durationMs: r.durationMs, producedBytes: r.producedBytes, lost: r.lost }, p.deadline, done)) {
      report(r.durationMs, r.maxMemoryUsedMb, status);
      return undefined;
    }
    this.afterLog = p.log;
    return after;
  }

  /** An extension crashed or reported an error: init fails with it, or the environment is lost (Lambda resets it). */
  extensionFailed(errorType: string, message: string): void {
    const payload = (id: string) => Buffer.from(JSON.stringify({ errorType, errorMessage: `RequestId: ${id} Error: ${message}` }));
    if (this.state === 'starting') return this.failInit(errorType, payload(this.pendingInitRequestId ?? ''));
    if (this.state === 'stopping' || this.state === 'stopped') return;
    if (this.pending) this.complete('error', payload(this.pending.inv.requestId), errorType, true, 'error');
    if (this.state === 'ready' || this.state === 'busy') this.to('failed');
    this.kill();
  }

  /** Platform lines for the function's log (the extensions' EXTENSION lines at the end of init). */
  platformLog(text: string): void {
    this.toLog(Buffer.from(text));
  }

  extensionOutput(name: string, chunk: Buffer): void {
    this.ext?.telemetry.output(chunk, 'extension', name);
    this.toLog(chunk);
  }
}
