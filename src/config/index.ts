// Alonzo's settings: one defaults object, one precedence (flags > environment > defaults), validated once with every problem reported together.
import { totalmem } from 'node:os';
import type { LogLevel } from '../core/logger.js';

export interface Config {
  host: string;
  port: number;
  /** Where the SQLite store, unpacked code and logs live. */
  dataDir: string;
  region: string;
  accountId: string;
  logLevel: LogLevel;
  /** An environment idle this long is reaped. */
  idleTimeoutMs: number;
  /** Account concurrency (AWS default 1,000). */
  accountConcurrency: number;
  /** The machine's own caps on live environments, by count and by the sum of their MemorySize. */
  maxEnvironments: number;
  maxEnvironmentMemoryMb: number;
  /** How long a sync invoke waits for a free slot on a full machine before its 429. */
  queueWaitMs: number;
  /**
   * The most bytes one streamed response (InvokeWithResponseStream) may carry; past it the stream ends with
   * Function.ResponseSizeTooLarge. AWS's limit is 200 MB.
   */
  streamLimitBytes: number;
  /** Interpreters for the built-in runtimes (the real binaries: a pyenv shim costs ~100 ms a start). */
  nodePath: string;
  pythonPath: string;
  /**
   * Interpreters for particular runtimes, `nodejs22.x=/opt/node22/bin/node,python3.12=/usr/bin/python3.12`; the others
   * are found on the machine (runtime/interpreters.ts), else run on nodePath / pythonPath.
   */
  runtimeInterpreters: string;
  /** Multiplies every delay of the async path (retries, backoff, event age); tests use 0.001. */
  asyncTimeScale: number;
  /**
   * Where SQS and SNS destinations and dead-letter queues are sent (a moto_server, LocalStack…). Empty: the AWS SDK's
   * endpoint for the region in the target's ARN, with the server's own AWS credentials from its environment.
   */
  destinationEndpoint: string;
  /**
   * Where code named by `Code.S3Bucket` / `S3Key` (and layers' `Content.S3*`) is fetched from: a MinIO, moto_server,
   * LocalStack… addressed path-style. Empty: the AWS SDK's own resolution (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else
   * real S3), signed with the server's AWS credentials from its environment.
   */
  s3Endpoint: string;
  /** How the built-in Node and Python runtimes talk to the server: the private fd-3 channel or the Lambda Runtime API. */
  runtimeTransport: RuntimeTransport;
  /**
   * How environments are isolated (docs/SECURITY.md): 'sandbox' (root: namespaces, a user and cgroups of their own, a
   * minimal filesystem), 'userns' (without root: the same namespaces in a user namespace, no cgroups), 'none' (plain
   * processes on the host's paths); 'auto' takes the strongest that works here and says what it lacks.
   */
  isolation: 'auto' | 'sandbox' | 'userns' | 'none';
  /** The unprivileged user ids sandboxes run as, one per sandbox: FIRST-LAST. */
  sandboxUids: string;
  /** Sandbox launchers kept started ahead of need (isolation 'sandbox'), so that a cold start does not wait for one. */
  standbySandboxes: number;
  /**
   * Prebooted environments kept ready per kind of built-in runtime (isolation 'sandbox'): sandbox built, interpreter
   * started, waiting for a function; the first invoke of a new function then skips the interpreter's start.
   */
  standbyRuntimes: number;
  /**
   * How requests are authenticated: 'local' accepts any well-formed SigV4 signature (LocalStack's convention; only
   * for a server on loopback), 'sigv4' verifies each against Alonzo's keys (required beyond loopback).
   */
  auth: 'local' | 'sigv4';
  /** Host names served besides loopback names and `host`, comma-separated (DNS-rebinding protection). */
  allowedHosts: string;
  /** An admin key given at start-up (containers, CI): both or neither. Not stored in the key file. */
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  /**
   * Cluster mode (docs/CLUSTER.md): a PostgreSQL URL (`postgres://user@host/db`, a schema with
   * `?options=-c search_path=<schema>`) where every node keeps what they share. Empty: the embedded SQLite store.
   */
  databaseUrl: string;
  /** This node's name in `alonzo cluster status` (default: the host name and port). */
  nodeName: string;
  /**
   * A function of the server's own account whose environment waits for a debugger on 127.0.0.1:debugPort before
   * loading its handler (Node.js: the inspector; Python: debugpy), with its timeout suspended and one invocation at a
   * time, as `alonzo dev --debug` does. Empty: none.
   */
  debugFunction: string;
  /** The debugger's port; 0: 9229 for Node.js, 5678 for Python. */
  debugPort: number;
}

export type RuntimeTransport = 'channel' | 'runtime-api';
export const RUNTIME_TRANSPORTS: readonly RuntimeTransport[] = ['channel', 'runtime-api'];

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 3001,
  dataDir: '.alonzo',
  region: 'us-east-1',
  accountId: '000000000000',
  logLevel: 'info',
  idleTimeoutMs: 10 * 60_000,
  accountConcurrency: 1000,
  maxEnvironments: 256,
  // Leave a quarter of the machine to the server, the OS and the load it serves.
  maxEnvironmentMemoryMb: Math.floor((totalmem() / 1048576) * 0.75),
  queueWaitMs: 2000,
  streamLimitBytes: 200 * 1024 * 1024,
  nodePath: process.execPath,
  pythonPath: '/usr/bin/python3',
  runtimeInterpreters: '',
  asyncTimeScale: 1,
  destinationEndpoint: '',
  s3Endpoint: '',
  // Both transports behave identically (test/invoke/transport-parity.test.ts); the channel is the default because it
  // is faster. Warm echo round trips, medians of 9,000 (3 interleaved rounds of 3,000) on a 2-core machine under other
  // load, Node and Python alike: Environment.invoke 0.18-0.24 ms over the channel vs 0.59-0.73 ms over the Runtime API;
  // a whole Invoke over HTTP with a keep-alive client 0.70-0.74 ms vs 1.00-1.05 ms (6,000 each). A cold start also
  // costs more over the Runtime API (spawn to ready, medians of 15): Node 57 vs 40 ms (node:http and its first request),
  // Python 64 vs 40 ms (importing http.client).
  runtimeTransport: 'channel',
  isolation: 'auto',
  // Far above the ids of real users and of the usual container subuid ranges (100000-165535).
  sandboxUids: '3000000-3999999',
  standbySandboxes: 2,
  standbyRuntimes: 1,
  auth: 'local',
  allowedHosts: '',
  rootAccessKeyId: '',
  rootSecretAccessKey: '',
  databaseUrl: '',
  nodeName: '',
  debugFunction: '',
  debugPort: 0,
};

/** Whether a listen address is only reachable from this machine (127/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Environment variable for each setting: ALONZO_ + the key in SCREAMING_SNAKE_CASE. */
export const envName = (key: string): string => `ALONZO_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export class ConfigError extends Error {}

/** Merges defaults, environment and flags (flags win), converts types, and reports every problem at once. */
export function resolveConfig(flags: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  for (const key of Object.keys(flags)) if (!(key in DEFAULTS)) problems.push(`unknown setting '${key}'`);
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(DEFAULTS) as [keyof Config, unknown][]) {
    const raw = flags[key] ?? env[envName(key)];
    if (raw === undefined || raw === '') {
      out[key] = def;
      continue;
    }
    if (typeof def === 'number') {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n) || n < 0) problems.push(`${key} (${envName(key)}) must be a non-negative number, got '${raw}'`);
      out[key] = n;
    } else {
      out[key] = String(raw);
    }
  }
  const cfg = out as unknown as Config;
  if (!Number.isInteger(cfg.port) || cfg.port > 65535) problems.push(`port must be an integer from 0 to 65535, got '${cfg.port}'`);
  if (!['silent', 'error', 'warn', 'info', 'debug'].includes(cfg.logLevel)) problems.push(`logLevel must be one of silent, error, warn, info, debug`);
  if (!/^\d{12}$/.test(cfg.accountId)) problems.push(`accountId must be 12 digits, got '${cfg.accountId}'`);
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(cfg.region)) problems.push(`region must look like us-east-1, got '${cfg.region}'`);
  if (!RUNTIME_TRANSPORTS.includes(cfg.runtimeTransport)) problems.push(`runtimeTransport must be one of ${RUNTIME_TRANSPORTS.join(', ')}, got '${cfg.runtimeTransport}'`);
  if (!['auto', 'sandbox', 'userns', 'none'].includes(cfg.isolation)) problems.push(`isolation must be one of auto, sandbox, userns, none, got '${cfg.isolation}'`);
  if (!['local', 'sigv4'].includes(cfg.auth)) problems.push(`auth must be one of local, sigv4, got '${cfg.auth}'`);
  if (cfg.auth === 'local' && !isLoopbackHost(cfg.host)) {
    problems.push(
      `host '${cfg.host}' is beyond loopback, where auth must be sigv4 (in local mode anyone who can reach the port could sign with any key): ` +
        'start with --auth sigv4 (ALONZO_AUTH=sigv4) and create a key with `alonzo keys create --data-dir <dir>`, ' +
        'or give an admin key in ALONZO_ROOT_ACCESS_KEY_ID and ALONZO_ROOT_SECRET_ACCESS_KEY',
    );
  }
  if (cfg.debugFunction && !/^[a-zA-Z0-9-_]{1,64}$/.test(cfg.debugFunction)) problems.push(`debugFunction must be a function name, got '${cfg.debugFunction}'`);
  if (!Number.isInteger(cfg.debugPort) || cfg.debugPort > 65535) problems.push(`debugPort must be an integer from 1 to 65535 (0: the runtime's default), got '${cfg.debugPort}'`);
  if (cfg.debugPort && !cfg.debugFunction) problems.push('debugPort needs debugFunction (ALONZO_DEBUG_FUNCTION): the function to debug');
  if (!cfg.rootAccessKeyId !== !cfg.rootSecretAccessKey) problems.push('rootAccessKeyId and rootSecretAccessKey (ALONZO_ROOT_ACCESS_KEY_ID, ALONZO_ROOT_SECRET_ACCESS_KEY) go together: give both or neither');
  if (cfg.rootAccessKeyId && !/^[A-Za-z0-9]{3,128}$/.test(cfg.rootAccessKeyId)) problems.push('rootAccessKeyId must be 3 to 128 letters and digits');
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return cfg;
}
