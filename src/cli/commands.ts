// The CLI's commands: serve, invoke, deploy, logs, events. Each reads typed flags and prints a fixed grammar (or --json).
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { flag, required, UserError, type Parsed } from './args.js';
import { ApiClient, ApiError, fnPath } from './client.js';
import { resolveConfig, ConfigError, type Config } from '../config/index.js';
import { startServer, StartupError } from '../server/index.js';
import { zipDir } from '../code/folder-zip.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export function endpointOf(p: Parsed): string {
  return flag(p, 'endpoint-url') ?? process.env.ALONZO_ENDPOINT ?? `http://127.0.0.1:${process.env.ALONZO_PORT ?? 3001}`;
}

/** serve's options (flags) and the settings they set; `alonzo dev` takes them too. */
export const SERVE_OPTIONS: Record<string, keyof Config> = { host: 'host', port: 'port', 'data-dir': 'dataDir', region: 'region', 'account-id': 'accountId', 'log-level': 'logLevel', 'async-time-scale': 'asyncTimeScale', 'idle-timeout-ms': 'idleTimeoutMs', 'destination-endpoint': 'destinationEndpoint', 's3-endpoint': 's3Endpoint', 'runtime-interpreters': 'runtimeInterpreters', 'runtime-transport': 'runtimeTransport', isolation: 'isolation', 'sandbox-uids': 'sandboxUids', 'standby-sandboxes': 'standbySandboxes', 'standby-runtimes': 'standbyRuntimes', auth: 'auth', 'allowed-hosts': 'allowedHosts', 'database-url': 'databaseUrl', 'node-name': 'nodeName', 'debug-function': 'debugFunction', 'debug-port': 'debugPort' };

/** `alonzo serve [--host] [--port] [--data-dir] [--async-time-scale]`: runs the service until Ctrl-C. */
export async function serve(p: Parsed, io: Io): Promise<number> {
  const flags: Partial<Record<keyof Config, unknown>> = {};
  const map = SERVE_OPTIONS;
  for (const [name, value] of p.flags) {
    const key = map[name];
    if (!key) throw new UserError(`Unknown option --${name} for serve.`, `Options: ${Object.keys(map).map((k) => `--${k}`).join(', ')}.`);
    flags[key] = value;
  }
  let config: Config;
  try {
    config = resolveConfig(flags);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message);
    throw e;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (e) {
    if (e instanceof StartupError) throw new UserError(e.message, e.fix);
    throw e;
  }
  const auth =
    config.auth === 'local'
      ? 'Auth: local — any SigV4-signed request is accepted (e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test); unsigned ones and web pages are refused.'
      : 'Auth: sigv4 — requests must be signed with one of Alonzo\'s keys (alonzo keys create makes one).';
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      io.out('Stopping…\n');
      server.close().then(resolve, resolve);
    };
    // Before the line that says it serves: a Ctrl-C right after it must still stop it cleanly.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const where = config.databaseUrl ? `cluster node${config.nodeName ? ` ${config.nodeName}` : ''}, shared data in PostgreSQL, local data in ${config.dataDir}` : `data in ${config.dataDir}`;
    const debug = config.debugFunction
      ? `Debugger: ${config.debugFunction} starts under a debugger on 127.0.0.1:${config.debugPort || '9229 (Node.js) or 5678 (Python)'} and waits for one to attach before loading its handler; its timeout is not enforced, and it runs one invocation at a time.\n`
      : '';
    io.out(`Alonzo is serving the Lambda API on ${server.url} (${where}).\n${auth}\n${debug}Point a client at it: aws lambda list-functions --endpoint-url ${server.url}\nDashboard: ${server.dashboardUrl}#token=${server.dashboardToken} (this token is new at each start; or log in with an access key)\n`);
  });
  return 0;
}

function readPayload(raw: string | undefined): Buffer | undefined {
  if (raw === undefined) return undefined;
  if (raw.startsWith('fileb://')) return readFileSync(raw.slice(8));
  if (raw.startsWith('file://')) return readFileSync(raw.slice(7));
  return Buffer.from(raw);
}

/** `alonzo invoke --function-name F [--payload …] [--invocation-type] [--log-type] [--client-context] [--qualifier] OUTFILE`, as `aws lambda invoke`. */
export async function invoke(p: Parsed, io: Io): Promise<number> {
  const name = required(p, 'function-name');
  const outfile = p.positionals[0];
  if (!outfile) throw new UserError('the following arguments are required: outfile', 'Add a file name to write the response payload to, e.g. response.json.');
  const headers: Record<string, string> = {};
  const type = flag(p, 'invocation-type');
  if (type) headers['X-Amz-Invocation-Type'] = type;
  const logType = flag(p, 'log-type');
  if (logType) headers['X-Amz-Log-Type'] = logType;
  const cc = flag(p, 'client-context');
  if (cc) headers['X-Amz-Client-Context'] = cc;
  const q = flag(p, 'qualifier');
  const api = new ApiClient(endpointOf(p));
  const res = await api.call('POST', `${fnPath(name)}/invocations${q ? `?Qualifier=${encodeURIComponent(q)}` : ''}`, { body: readPayload(flag(p, 'payload')), headers, operation: 'Invoke' });
  // `-` is standard output, as for the AWS CLI (the payload first, then the status).
  if (outfile === '-') io.out(`${res.body.toString()}\n`);
  else {
    try {
      writeFileSync(outfile, res.body);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`Cannot write the response to ${outfile} (${code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}); the function did run.`, 'Give a file you can write, or - for standard output.');
    }
  }
  const out: Record<string, unknown> = { StatusCode: res.status };
  const fe = res.headers.get('x-amz-function-error');
  if (fe) out.FunctionError = fe;
  const lr = res.headers.get('x-amz-log-result');
  if (lr) out.LogResult = lr;
  const ev = res.headers.get('x-amz-executed-version');
  if (ev) out.ExecutedVersion = ev;
  io.out(`${JSON.stringify(out, null, 4)}\n`);
  return 0;
}

/** A byte count as people read it: 812 B, 4.2 KB, 48.3 MB. */
const sizeText = (n: number): string => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

/** `alonzo deploy DIR --name N --runtime R --handler H [--memory-size] [--timeout] [--role] [--env K=V,…]`: create or update. */
export async function deploy(p: Parsed, io: Io): Promise<number> {
  const dir = p.positionals[0];
  if (!dir) throw new UserError('deploy needs the folder to deploy.', 'Write: alonzo deploy ./my-function --name my-fn --runtime nodejs20.x --handler index.handler');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${dir} is not a folder.`);
  const name = required(p, 'name');
  const api = new ApiClient(endpointOf(p));
  const json = p.flags.has('json');
  const say = (s: string) => json || io.err(`${s}\n`);
  const config: Record<string, unknown> = {};
  const runtime = flag(p, 'runtime');
  if (runtime) config.Runtime = runtime;
  const handler = flag(p, 'handler');
  if (handler) config.Handler = handler;
  const memory = flag(p, 'memory-size');
  if (memory) config.MemorySize = Number(memory);
  const timeout = flag(p, 'timeout');
  if (timeout) config.Timeout = Number(timeout);
  const env = flag(p, 'env');
  if (env) config.Environment = { Variables: Object.fromEntries(
        env.split(',').map((kv) => {
          const eq = kv.indexOf('=');
          if (eq < 1) throw new UserError(`--env ${kv} is not KEY=VALUE.`, 'Write --env KEY=VALUE,OTHER=VALUE (a value may contain =, not a comma).');
          return [kv.slice(0, eq), kv.slice(eq + 1)];
        }),
      ) };
  say(`Zipping ${dir}…`);
  const zipStarted = Date.now();
  const zip = await zipDir(dir);
  say(`Zipped ${zip.length} bytes (${sizeText(zip.length)}) in ${((Date.now() - zipStarted) / 1000).toFixed(1)} s; uploading…`);
  let exists = true;
  try {
    await api.json('GET', `${fnPath(name)}/configuration`, 'GetFunctionConfiguration');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'ResourceNotFoundException') exists = false;
    else throw e;
  }
  let result: any;
  if (!exists) {
    if (!runtime || !handler) throw new UserError(`Function ${name} does not exist yet, so --runtime and --handler are needed to create it.`);
    say(`Creating function ${name}…`);
    result = await api.json('POST', '/2015-03-31/functions', 'CreateFunction', {
      FunctionName: name,
      Role: flag(p, 'role') ?? 'arn:aws:iam::000000000000:role/alonzo',
      Code: { ZipFile: zip.toString('base64') },
      ...config,
    });
  } else {
    say(`Updating code of ${name}…`);
    result = await api.json('PUT', `${fnPath(name)}/code`, 'UpdateFunctionCode', { ZipFile: zip.toString('base64') });
    if (Object.keys(config).length) {
      say(`Updating configuration of ${name}…`);
      result = await api.json('PUT', `${fnPath(name)}/configuration`, 'UpdateFunctionConfiguration', config);
    }
  }
  if (json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(`Deployed ${name} (${result.Runtime}, CodeSha256 ${result.CodeSha256}).\n`);
  return 0;
}

/** `alonzo logs NAME [--follow] [--json]`: recent invocations' logs; --follow keeps printing new ones until Ctrl-C. */
export async function logs(p: Parsed, io: Io): Promise<number> {
  const name = p.positionals[0];
  if (!name) throw new UserError('logs needs a function name.', 'Write: alonzo logs my-fn');
  const api = new ApiClient(endpointOf(p));
  const json = p.flags.has('json');
  const follow = p.flags.has('follow');
  const read = async (bytes: number): Promise<string> =>
    (await api.call('GET', `/_alonzo/functions/${encodeURIComponent(name)}/logs?bytes=${bytes}`, { operation: 'GetLogs' })).body.toString();
  let text = await read(LOG_BYTES);
  // Without --follow the tail is printed as it is; with it (and with --json) only whole invocations, so that a block
  // still being written is printed once, complete, on a later round.
  let printed = follow || json ? printInvocations(text, io, json) : (io.out(text), text.length);
  if (!follow) {
    if (json && printed === 0 && text.trim()) io.out(`${JSON.stringify({ Log: text })}\n`);
    return 0;
  }
  for (;;) {
    await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
    const next = await read(LOG_BYTES);
    const fresh = newPart(text.slice(0, printed), next);
    const done = printInvocations(fresh, io, json);
    text = next;
    printed = next.length - fresh.length + done;
  }
}

/** How much of a function's log `alonzo logs` reads (the newest bytes), and how often --follow asks again. */
const LOG_BYTES = 1 << 20;
const FOLLOW_EVERY_MS = 500;

/**
 * What of `next` (a newer tail of the same log) comes after `seen` (what was printed of the previous one): found by
 * the end of `seen` in `next`; where it is not there any more (more than a read's worth was written since), all of it.
 */
function newPart(seen: string, next: string): string {
  if (seen.length === 0) return next;
  const anchor = seen.slice(-512);
  const at = next.lastIndexOf(anchor);
  return at === -1 ? next : next.slice(at + anchor.length);
}

/**
 * Prints the whole invocations in `text` (START … REPORT), as text or, with `json`, one JSON object per line
 * ({RequestId, Log, Report}); answers how many characters it consumed (what follows the last REPORT line waits).
 */
function printInvocations(text: string, io: Io, json: boolean): number {
  const report = /^REPORT RequestId: (\S+)([^\n]*)\n/gm;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = report.exec(text))) {
    const end = m.index + m[0].length;
    const block = text.slice(start, end);
    if (json) {
      const fields: Record<string, string> = {};
      for (const f of m[2].split('\t')) {
        const kv = /^\s*([^:]+):\s*(.+?)\s*$/.exec(f);
        if (kv) fields[kv[1]] = kv[2];
      }
      io.out(`${JSON.stringify({ RequestId: m[1], Log: block, Report: fields })}\n`);
    } else io.out(block);
    start = end;
  }
  return start;
}

/** The failed-events route of a function (Alonzo's own API, beside Lambda's). */
const failedEventsPath = (name: string): string => `/_alonzo/functions/${encodeURIComponent(name)}/failed-events`;

/** Every failed event of a function, all pages. */
async function listFailed(api: ApiClient, name: string): Promise<any[]> {
  const all: any[] = [];
  let marker: string | undefined;
  do {
    const page = await api.json('GET', `${failedEventsPath(name)}?MaxItems=1000${marker ? `&Marker=${encodeURIComponent(marker)}` : ''}`, 'ListFailedEvents');
    all.push(...(page?.FailedEvents ?? []));
    marker = page?.NextMarker;
  } while (marker);
  return all;
}

async function mustExist(api: ApiClient, name: string): Promise<void> {
  try {
    await api.json('GET', `${fnPath(name)}/configuration`, 'GetFunctionConfiguration');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'ResourceNotFoundException') {
      throw new UserError(`There is no function ${name}, and no failed events are kept for that name.`, 'Check the name: aws lambda list-functions lists the functions.');
    }
    throw e;
  }
}

/** Every value of a flag that may be repeated (`--request-id A --request-id B`, `--request-id=A`, `--request-id A,B`). */
function repeated(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.push(argv[++i]);
    else if (argv[i].startsWith(`--${name}=`)) out.push(argv[i].slice(name.length + 3));
  }
  return out.flatMap((v) => v.split(',')).filter(Boolean);
}

/** One delivery of a failed event, in words: where it went, or why not. */
function describeDelivery(d: any, failedIds: Set<string>): string {
  const head = `${d.Kind} → ${d.Target}`;
  if (d.Status === 'failed') return `${head}  not delivered: ${d.Reason ?? 'no reason given'}`;
  if (d.RequestId && failedIds.has(d.RequestId)) return `${head}  not delivered: sending it (${d.RequestId}) failed, listed below`;
  return d.RequestId ? `${head}  handed over (${d.RequestId})` : `${head}  delivered`;
}

/**
 * `alonzo events failed NAME [--json]`: the function's failed async events (request id, condition, reason, when, and
 * where their record went). `alonzo events redrive NAME [--request-id ID …]`: queues them (or only these) again.
 */
export async function events(p: Parsed, io: Io, argv: string[] = []): Promise<number> {
  const [verb, name, ...more] = p.positionals;
  const usage = 'Write: alonzo events list [my-fn], alonzo events failed my-fn, or alonzo events redrive my-fn [--request-id ID …]';
  if (verb !== 'failed' && verb !== 'redrive' && verb !== 'list') {
    throw new UserError(verb ? `Unknown events command '${verb}'.` : 'events needs a command: list, failed or redrive.', usage);
  }
  if (verb === 'list') {
    if (more.length) throw new UserError(`Unexpected argument '${more[0]}'.`, usage);
    const api = new ApiClient(endpointOf(p));
    const res = await api.json('GET', `/_alonzo/events${name ? `?FunctionName=${encodeURIComponent(name)}` : ''}`, 'GetEventCounts');
    const rows: { FunctionName: string; Queued: number; Running: number; Failed: number; OldestQueuedAt?: string }[] = res?.Functions ?? [];
    if (p.flags.has('json')) {
      io.out(`${JSON.stringify({ Functions: rows }, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      io.out('No Event invocations are queued, running or failed.\n');
      return 0;
    }
    const width = Math.max(8, ...rows.map((r) => r.FunctionName.length));
    io.out(`${'FUNCTION'.padEnd(width)}  QUEUED  RUNNING  FAILED  OLDEST QUEUED\n`);
    for (const r of rows) io.out(`${r.FunctionName.padEnd(width)}  ${String(r.Queued).padStart(6)}  ${String(r.Running).padStart(7)}  ${String(r.Failed).padStart(6)}  ${r.OldestQueuedAt ?? '-'}\n`);
    return 0;
  }
  if (!name) throw new UserError(`events ${verb} needs a function name.`, usage);
  const api = new ApiClient(endpointOf(p));
  const json = p.flags.has('json');
  const failed = await listFailed(api, name);
  // The list answers for any name (a deleted function's failed events stay readable): an empty one may be a typo.
  if (failed.length === 0) await mustExist(api, name);
  if (verb === 'failed') {
    if (more.length) throw new UserError(`Unexpected argument '${more[0]}'.`, usage);
    if (json) {
      io.out(`${JSON.stringify({ FailedEvents: failed }, null, 2)}\n`);
      return 0;
    }
    if (failed.length === 0) {
      io.out(`No failed events for ${name}.\n`);
      return 0;
    }
    const failedIds = new Set<string>(failed.map((e) => e.RequestId));
    const lines = [`${name} has ${failed.length} failed event${failed.length === 1 ? '' : 's'}:`, ''];
    for (const e of failed) {
      // A delivery that kept failing is listed with the event it carried (destinations.ts marks it `:#Kind`).
      const job = /:#(OnSuccess|OnFailure|DeadLetterQueue)$/.exec(e.FunctionArn ?? '');
      const what = job ? `${job[1]} delivery of ${e.Payload?.SourceRequestId ?? 'an event'}` : `${e.ApproximateInvokeCount} attempt${e.ApproximateInvokeCount === 1 ? '' : 's'}`;
      lines.push(`● ${e.RequestId}  ${e.Condition}  ${e.FailedAt}  (${what})`, `  ${e.Reason}`);
      for (const d of e.Deliveries ?? []) lines.push(`  ${describeDelivery(d, failedIds)}`);
      lines.push('');
    }
    lines.push(`Send them again with: alonzo events redrive ${name} [--request-id ID …]`);
    io.out(`${lines.join('\n')}\n`);
    return 0;
  }
  // Ids after the first `--request-id` land among the positionals: `--request-id A B` names both.
  const ids = [...repeated(argv, 'request-id'), ...(p.flags.has('request-id') ? more : [])];
  if (!p.flags.has('request-id') && more.length) throw new UserError(`Unexpected argument '${more[0]}'.`, usage);
  if (p.flags.get('request-id') === true || (p.flags.has('request-id') && ids.length === 0)) throw new UserError('--request-id needs a value.', 'Write --request-id ID (several ids may follow it).');
  const known = new Set<string>(failed.map((e) => e.RequestId));
  const unknown = ids.filter((id) => !known.has(id));
  if (ids.length > 0 && unknown.length === ids.length) {
    throw new UserError(`${name} has no failed event with request id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}.`, `List them with: alonzo events failed ${name}`);
  }
  const res = await api.json('POST', `${failedEventsPath(name)}/redrive`, 'RedriveFailedEvents', ids.length ? { RequestIds: ids } : {});
  const n: number = res?.Redriven ?? 0;
  if (json) {
    io.out(`${JSON.stringify({ Redriven: n, ...(unknown.length && { NotFound: unknown }) }, null, 2)}\n`);
    return 0;
  }
  for (const id of unknown) io.err(`▲ ${name} has no failed event with request id ${id}; skipped.\n`);
  io.out(n === 0 ? `No failed events of ${name} to send again.\n` : `Queued ${n} failed event${n === 1 ? '' : 's'} of ${name} again (same request id${n === 1 ? '' : 's'}).\n`);
  return 0;
}
