// The CLI's commands: serve, invoke, deploy, logs. Each reads typed flags and prints a fixed grammar (or --json).
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import yazl from 'yazl';
import { flag, required, UserError, type Parsed } from './args.js';
import { ApiClient, ApiError, fnPath } from './client.js';
import { resolveConfig, ConfigError, type Config } from '../config/index.js';
import { startServer } from '../server/index.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export function endpointOf(p: Parsed): string {
  return flag(p, 'endpoint-url') ?? process.env.ALONZO_ENDPOINT ?? `http://127.0.0.1:${process.env.ALONZO_PORT ?? 3001}`;
}

/** `alonzo serve [--host] [--port] [--data-dir] [--async-time-scale]`: runs the service until Ctrl-C. */
export async function serve(p: Parsed, io: Io): Promise<number> {
  const flags: Partial<Record<keyof Config, unknown>> = {};
  const map: Record<string, keyof Config> = { host: 'host', port: 'port', 'data-dir': 'dataDir', region: 'region', 'account-id': 'accountId', 'log-level': 'logLevel', 'async-time-scale': 'asyncTimeScale', 'idle-timeout-ms': 'idleTimeoutMs' };
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
  const server = await startServer(config);
  io.out(`Alonzo is serving the Lambda API on ${server.url} (data in ${config.dataDir}).\nPoint a client at it: aws lambda list-functions --endpoint-url ${server.url}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      io.out('Stopping…\n');
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
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
  writeFileSync(outfile, res.body);
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

function zipDir(dir: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else zip.addFile(full, relative(dir, full), { mode: st.mode });
    }
  };
  walk(dir);
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => parts.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
  });
}

/** `alonzo deploy DIR --name N --runtime R --handler H [--memory-size] [--timeout] [--role] [--env K=V,…]`: create or update. */
export async function deploy(p: Parsed, io: Io): Promise<number> {
  const dir = p.positionals[0];
  if (!dir) throw new UserError('deploy needs the folder to deploy.', 'Write: alonzo deploy ./my-function --name my-fn --runtime nodejs20.x --handler index.handler');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${dir} is not a folder.`);
  const name = required(p, 'name');
  const api = new ApiClient(endpointOf(p));
  const json = p.flags.has('json');
  const say = (s: string) => json || io.err(`${s}\n`);
  say(`Zipping ${dir}…`);
  const zip = await zipDir(dir);
  say(`Zipped ${zip.length} bytes.`);
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
  if (env) config.Environment = { Variables: Object.fromEntries(env.split(',').map((kv) => kv.split('=') as [string, string])) };
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

/** `alonzo logs NAME`: recent invocations' logs. */
export async function logs(p: Parsed, io: Io): Promise<number> {
  const name = p.positionals[0];
  if (!name) throw new UserError('logs needs a function name.', 'Write: alonzo logs my-fn');
  const api = new ApiClient(endpointOf(p));
  const res = await api.call('GET', `/_alonzo/functions/${encodeURIComponent(name)}/logs`, { operation: 'GetLogs' });
  io.out(res.body.toString());
  return 0;
}
