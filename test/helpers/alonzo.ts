// Starts a real Alonzo server for a test (in-process, real HTTP on 127.0.0.1, port 0, its own data dir) and builds clients for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { LambdaClient } from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import { startServer, type RunningServer } from '../../src/server/index.js';
import type { Config } from '../../src/config/index.js';
import { CREDENTIALS, ROOT_KEY, SIGV4_SUITE, type TestCredentials } from './sign.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  client: LambdaClient;
}

/** Starts a server; `t.after(() => s.close())` or `await using`. The data dir is removed on close unless keepData. */
export async function startAlonzo(overrides: Partial<Config> = {}, opts: { keepData?: boolean } = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'alonzo-test-'));
  // ALONZO_TEST_RUNTIME_TRANSPORT=runtime-api runs a suite with the built-in runtimes on the Runtime API over HTTP.
  const transport = process.env.ALONZO_TEST_RUNTIME_TRANSPORT as Config['runtimeTransport'] | undefined;
  // ALONZO_TEST_AUTH=sigv4 runs a suite in sigv4 mode, every client signing with the root key (helpers/sign.ts).
  const auth: Partial<Config> = SIGV4_SUITE ? { auth: 'sigv4', rootAccessKeyId: ROOT_KEY.accessKeyId, rootSecretAccessKey: ROOT_KEY.secretAccessKey } : {};
  const server = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...(transport ? { runtimeTransport: transport } : {}), ...auth, ...overrides, dataDir });
  const client = lambdaClient(server.url);
  return {
    ...server,
    dataDir,
    client,
    async close() {
      client.destroy();
      await server.close();
      if (!opts.keepData && !overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function lambdaClient(endpoint: string, extra: Record<string, unknown> = {}): LambdaClient {
  return new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    ...extra,
  });
}

/** A zip (as a Buffer) holding the given files; values are file contents. */
export function zipOf(files: Record<string, string | Buffer>, mode = 0o644): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name, { mode, mtime: new Date(0) });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

export interface CliResult { code: number; stdout: string; stderr: string }

/** The AWS CLIs as users run them: v1 is `aws` on PATH, v2 is Debian's /usr/bin/aws. */
export const AWS_CLI = { v1: 'aws', v2: '/usr/bin/aws' } as const;

/** Runs an AWS CLI against the server; never throws on a non-zero exit. `env` adds to (or, as `undefined`, removes from) its environment. */
export function runAws(cli: keyof typeof AWS_CLI, endpoint: string, args: string[], cwd?: string, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const merged: Record<string, string | undefined> = { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_PAGER: '', ...env };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return new Promise((resolve) => {
    execFile(
      AWS_CLI[cli],
      [...args, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'],
      { cwd, env: merged as NodeJS.ProcessEnv, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a Python (boto3) snippet with `ENDPOINT` and `client` defined; returns its stdout parsed as JSON. */
export function runBoto3(endpoint: string, script: string, credentials: TestCredentials = CREDENTIALS): Promise<CliResult> {
  const prelude = [
    'import boto3, json, sys, base64',
    'from botocore.config import Config',
    `ENDPOINT = ${JSON.stringify(endpoint)}`,
    `client = boto3.client('lambda', endpoint_url=ENDPOINT, region_name='us-east-1', aws_access_key_id=${JSON.stringify(credentials.accessKeyId)}, aws_secret_access_key=${JSON.stringify(credentials.secretAccessKey)}, config=Config(retries={'max_attempts': 1}))`,
  ].join('\n');
  return new Promise((resolve) => {
    execFile('python3', ['-c', `${prelude}\n${script}`], { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
