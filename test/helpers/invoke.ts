// Invoke-test helpers: deploy a fixture folder as a function, call Invoke over raw HTTP (for bytes and headers the SDKs
// would not send), read a function's logs, and check that no environment process outlives its server.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CreateFunctionCommand, GetFunctionCommand, type CreateFunctionCommandInput } from '@aws-sdk/client-lambda';
import { ROLE, zipOf, type TestServer } from './alonzo.js';
import { FUNCTION_FIXTURES } from './paths.js';
import { signedFetch } from './sign.js';

/** Every file of a fixture folder (Python caches left out), keyed by its path inside the zip. */
export function fixtureFiles(name: string): Record<string, Buffer> {
  const root = join(FUNCTION_FIXTURES, name);
  const out: Record<string, Buffer> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === '__pycache__' || entry.endsWith('.pyc')) continue;
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p);
    }
  };
  walk(root);
  return out;
}

/** The fixture folder as a zip; `mode` sets every entry's permissions (0o755 for a provided runtime's bootstrap). */
export function fixtureZip(name: string, mode?: number): Promise<Buffer> {
  return zipOf(fixtureFiles(name), mode);
}

export type FunctionOptions = Partial<Omit<CreateFunctionCommandInput, 'FunctionName' | 'Code'>> & { zip?: Buffer; fixture?: string };

/** Creates a function from a fixture folder (or a zip) and waits until it is Active. Returns its name. */
export async function deploy(s: TestServer, name: string, opts: FunctionOptions): Promise<string> {
  const { zip, fixture, ...rest } = opts;
  const code = zip ?? (await fixtureZip(fixture!));
  await s.client.send(
    new CreateFunctionCommand({ FunctionName: name, Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 3, MemorySize: 128, ...rest, Code: { ZipFile: code } }),
  );
  await waitActive(s, name);
  return name;
}

export async function waitActive(s: TestServer, name: string, qualifier?: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await s.client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier }));
    if (r.Configuration?.State === 'Active' && r.Configuration.LastUpdateStatus !== 'InProgress') return;
    await new Promise((ok) => setTimeout(ok, 10));
  }
  throw new Error(`function ${name} did not become Active`);
}

export interface RawReply {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** POSTs to an Invoke-family path with exactly these bytes and headers (no SDK in between), signed with SigV4. */
export async function rawInvoke(
  s: TestServer,
  fn: string,
  body: Buffer | string | undefined,
  headers: Record<string, string> = {},
  opts: { qualifier?: string; path?: string } = {},
): Promise<RawReply> {
  const path = opts.path ?? `/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`;
  const url = `${s.url}${path}${opts.qualifier !== undefined ? `?Qualifier=${encodeURIComponent(opts.qualifier)}` : ''}`;
  const res = await signedFetch(url, { method: 'POST', headers, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: buf, text, json };
}

/** The function's stored log (Alonzo's own read API). */
export async function functionLogs(s: TestServer, fn: string): Promise<string> {
  const res = await signedFetch(`${s.url}/_alonzo/functions/${encodeURIComponent(fn)}/logs`);
  return res.text();
}

/** Polls until `check` holds (or fails after `ms`). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

/** Pids of the processes still running whose command line mentions `needle` (used to prove environments are gone). */
export function processesMentioning(needle: string): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((l) => l.includes(needle) && !l.includes('ps -eo'))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((n) => Number.isFinite(n));
}

/** Children of this test process (environments are spawned by the in-process server). */
export function childPids(): number[] {
  try {
    // Every process, to tell an idle standby launcher (no child yet) from an environment.
    const out = execFileSync('ps', ['-o', 'pid=,ppid=,comm=,args=', '-e'], { encoding: 'utf8' });
    const rows = out.split('\n').map((l) => l.trim().split(/\s+/));
    const hasChild = new Set(rows.map(([, ppid]) => Number(ppid)));
    return rows
      .filter(([pid, ppid, comm]) => Number(pid) > 0 && Number(ppid) === process.pid && comm !== 'ps')
      // A sandbox launcher started ahead of need (standby) is not an environment until it has a runtime under it.
      .filter(([pid, , , ...args]) => !(args.includes('--standby') && !hasChild.has(Number(pid))))
      .map(([pid]) => Number(pid));
  } catch {
    return [];
  }
}

export const decodeLog = (logResult: string | undefined | null): string => Buffer.from(logResult ?? '', 'base64').toString('utf8');
