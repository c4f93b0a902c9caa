// Auth-test helpers: keys made with the real `alonzo keys` command, the four real clients with chosen credentials or clock, and raw requests.
import { execFile } from 'node:child_process';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { main } from '../../src/cli/main.js';
import { AWS_CLI, lambdaClient, runAws, runBoto3, type CliResult } from '../helpers/alonzo.js';
import type { TestCredentials } from '../helpers/sign.js';

export interface CreatedKey extends TestCredentials {
  accountId: string;
  out: string;
}

/** Runs `alonzo …` in-process; returns exit code and output. */
export async function alonzo(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (x) => (out += x), err: (x) => (err += x) });
  return { code, out, err };
}

/** `alonzo keys create --json` on a data dir; the key it printed. */
export async function createKey(dataDir: string, ...extra: string[]): Promise<CreatedKey> {
  const r = await alonzo('keys', 'create', '--data-dir', dataDir, '--json', ...extra);
  if (r.code !== 0) throw new Error(`keys create failed: ${r.err}`);
  const k = JSON.parse(r.out).AccessKey;
  return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, accountId: k.AccountId, out: r.out };
}

/** What one client showed for a call: the error code it surfaced and its message (or none on success). */
export interface Shown {
  ok: boolean;
  code?: string;
  message?: string;
}

/** The AWS CLI's stderr line for a service error, parsed: `An error occurred (Code) when calling the Op operation: message`. */
export function fromCli(r: CliResult): Shown {
  if (r.code === 0) return { ok: true };
  const m = /An error occurred \(([A-Za-z]+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)/.exec(r.stderr);
  return { ok: false, code: m?.[1] ?? `exit ${r.code}: ${r.stderr.trim()}`, message: m?.[2] };
}

/** A Python prelude that turns botocore's clock back to 2001-01-01 (CLI v1's botocore and CLI v2's vendored copy differ). */
const CLOCK_2001 = `
import sys, datetime
import awscli.clidriver
import botocore.auth as _auth
_FIXED = datetime.datetime(2001, 1, 1, 0, 0, 0)
if hasattr(_auth, 'get_current_datetime'):
    _auth.get_current_datetime = lambda *a, **k: _FIXED
else:
    class _DT(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return _FIXED
    class _Mod:
        datetime = _DT
    _auth.datetime = _Mod
`;

/** An AWS CLI run whose signer believes it is 2001-01-01 (the real CLI code, run by its own Python). */
export function runAwsIn2001(cli: keyof typeof AWS_CLI, endpoint: string, args: string[], creds: TestCredentials): Promise<CliResult> {
  const python = cli === 'v2' ? '/usr/bin/python3' : 'python3';
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', `${CLOCK_2001}\nsys.exit(awscli.clidriver.main())`, ...args, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_PAGER: '' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export type Mode = { creds?: TestCredentials; unsigned?: boolean; in2001?: boolean };

/** ListFunctions through each of the four real clients, as `mode` says; what each one showed. */
export async function listThroughEveryClient(endpoint: string, mode: Mode): Promise<Record<'cliV1' | 'cliV2' | 'boto3' | 'sdkV3', Shown>> {
  const creds = mode.creds ?? { accessKeyId: 'test', secretAccessKey: 'test' };
  const env = { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey };
  const cliArgs = ['lambda', 'list-functions', ...(mode.unsigned ? ['--no-sign-request'] : [])];
  const cli = (v: 'v1' | 'v2') => (mode.in2001 ? runAwsIn2001(v, endpoint, cliArgs, creds) : runAws(v, endpoint, cliArgs, undefined, env));
  const py = [
    'import botocore, datetime',
    ...(mode.in2001 ? ['import botocore.auth', 'botocore.auth.get_current_datetime = lambda *a, **k: datetime.datetime(2001, 1, 1)'] : []),
    ...(mode.unsigned
      ? ["client = boto3.client('lambda', endpoint_url=ENDPOINT, region_name='us-east-1', config=Config(signature_version=botocore.UNSIGNED, retries={'max_attempts': 1}))"]
      : []),
    'try:',
    '    client.list_functions()',
    "    print(json.dumps({'ok': True}))",
    'except client.exceptions.ClientError as e:',
    "    print(json.dumps({'ok': False, 'code': e.response['Error']['Code'], 'message': e.response['Error']['Message']}))",
  ].join('\n');
  const sdk = async (): Promise<Shown> => {
    const client: LambdaClient = lambdaClient(endpoint, {
      credentials: creds,
      // SDK v3's own way to sign with a clock that is off: the offset it would otherwise learn from a skew error.
      ...(mode.in2001 ? { systemClockOffset: Date.UTC(2001, 0, 1) - Date.now() } : {}),
    });
    if (mode.unsigned) {
      // After signing, before sending: what an unsigned client puts on the wire.
      client.middlewareStack.add((next) => async (args: any) => {
        for (const h of Object.keys(args.request.headers)) if (/^(authorization|x-amz-date|x-amz-content-sha256)$/i.test(h)) delete args.request.headers[h];
        return next(args);
      }, { step: 'deserialize', name: 'stripSignature' });
    }
    try {
      await client.send(new ListFunctionsCommand({}));
      return { ok: true };
    } catch (e) {
      return { ok: false, code: (e as Error).name, message: (e as Error).message };
    } finally {
      client.destroy();
    }
  };
  const [cliV1, cliV2, boto, sdkV3] = await Promise.all([cli('v1'), cli('v2'), runBoto3(endpoint, py, creds), sdk()]);
  return { cliV1: fromCli(cliV1), cliV2: fromCli(cliV2), boto3: boto.code === 0 ? JSON.parse(boto.stdout) : { ok: false, code: `python failed: ${boto.stderr}` }, sdkV3 };
}

/** A request as a browser or an attacker's script sends it: plain fetch, no signature unless given. */
export async function rawFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Headers; json: any }> {
  const r = await fetch(url, init);
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, headers: r.headers, json };
}
