// The web dashboard at /_alonzo/: its page and vendored assets, its login, a small JSON API over the Lambda API's own
// operations (each authorized as the logged-in key, in its account), and server-sent events for live updates.
//
// Paths: `/_alonzo/` is the page; everything else is under `/_alonzo/dashboard/` (`static/…`, `api/…`), apart from the
// Lambda API's own `/_alonzo/functions/…` routes and the function URLs' `/_alonzo/url/…`. Security (docs/SECURITY.md
// §2e): only allowed Hosts; the API refuses requests a web page of another origin makes (Origin, Sec-Fetch-Site); a
// session cookie (HttpOnly, SameSite=Strict) from a login with the start-up token or an Alonzo key; a CSRF token in a
// header on every POST; no CORS grant; a strict Content-Security-Policy on the page.
import { readCappedBody } from '../core/http-body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipOfFile } from '../code/folder-zip.js';
import { ServiceError, err } from '../core/errors.js';
import { newRequestId } from '../core/ids.js';
import { HostPolicy } from '../auth/hosts.js';
import { routes } from '../api/router.js';
import { servicesFor, type ApiReply, type Services } from '../api/context.js';
import { logKey } from '../runtime/log-sink.js';
import type { Observer } from '../observe/observer.js';
import { readInvocations } from '../observe/log-events.js';
import { clearedCookie, CSRF_HEADER, sameSecret, sessionCookie, Sessions, type Session } from './sessions.js';

export const PAGE_PATH = '/_alonzo/';
const PREFIX = '/_alonzo/dashboard/';
/** A JSON body of the dashboard's API (a function's code included) is at most this large. */
const BODY_LIMIT = 6 << 20;
/** Recent invocations shown on a function's page, from at most the newest 128 KiB of its log (a page is fetched again about once a second while invocations arrive: reading 1 MiB each time cost ~20 ms). */
const RECENT = 50;
const RECENT_BYTES = 128 << 10;

export interface NodeInfo {
  name: string;
  url: string;
  alive: boolean;
  environments: number;
  running: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface DashboardDeps {
  services: Services;
  observer: Observer;
  /** This node's environments (the pool's). */
  environments(): Iterable<{ spec: { functionName: string; version: string; accountId: string; memoryMb: number }; state: string; pid: number | undefined; createdAt: number; lastUsed: number; provisioned: boolean }>;
  /** The cluster's nodes, or this one alone. */
  nodes(): Promise<NodeInfo[]>;
  /** The login token printed at start-up. */
  token: string;
  /** Where the built page and vendored files are (dist/src/dashboard/static). */
  staticDir: string;
}

/** Whether the dashboard serves this request (the page, its assets, its API). */
export const isDashboardRequest = (url: string | undefined): boolean => {
  const path = (url ?? '').split('?')[0];
  return path === PAGE_PATH || path === '/_alonzo' || path.startsWith(PREFIX);
};

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' };
/** The page may load only its own scripts and styles, talk only to its own origin, and be framed by nobody. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };

/** A POST's body; past BODY_LIMIT, the dashboard's 413. */
async function readDashboardBody(req: IncomingMessage): Promise<Buffer> {
  const { body } = await readCappedBody(req, BODY_LIMIT);
  if (!body) throw new HttpError(413, 'RequestEntityTooLarge', `The body is larger than ${BODY_LIMIT} bytes.`);
  return body;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...SECURITY_HEADERS, ...headers });
  res.end(text);
}

export function createDashboard(d: DashboardDeps) {
  const s = d.services;
  const own = s.account.accountId;
  const sessions = new Sessions(d.token);
  /** Open event streams: ended when the server stops, which would otherwise wait for them. */
  const streams = new Set<ServerResponse>();
  const ops = new Map(routes.map((r) => [r.name, r.op]));
  // The page and its assets, read once: a handful of small files.
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(d.staticDir, { recursive: true }) as string[]) {
    if (/\.(js|css|html|svg)$/.test(name)) files.set(name.replaceAll('\\', '/'), readFileSync(join(d.staticDir, name)));
  }

  /** One Lambda API operation, as the session's key: its policy decides, in its account. */
  async function call(sess: Session, name: string, params: Record<string, string>, opts: { method?: string; query?: Record<string, string>; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiReply> {
    const op = ops.get(name);
    if (!op) throw new Error(`no operation ${name}`);
    const query = new URLSearchParams(opts.query ?? {});
    const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(opts.body));
    if (sess.principal) s.auth.authorize(sess.principal, name, { params, query, body });
    return op(servicesFor(s, sess.accountId), { method: opts.method ?? 'GET', params, query, headers: opts.headers ?? {}, body, requestId: newRequestId(), callerArn: sess.principal?.arn });
  }

  /** Authorizes an operation without running it (reads the dashboard does itself, from the same data). */
  const allow = (sess: Session, name: string, params: Record<string, string> = {}) => {
    if (sess.principal) s.auth.authorize(sess.principal, name, { params, query: new URLSearchParams(), body: Buffer.alloc(0) });
  };
  const keyOf = (sess: Session, fn: string) => logKey(sess.accountId === own ? undefined : sess.accountId, fn);

  async function listAll(sess: Session): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let marker: string | undefined;
    do {
      const r = await call(sess, 'ListFunctions', {}, { query: { MaxItems: '50', ...(marker ? { Marker: marker } : {}) } });
      const page = r.json as { Functions: Record<string, unknown>[]; NextMarker?: string };
      out.push(...page.Functions);
      marker = page.NextMarker;
    } while (marker);
    return out;
  }

  async function functionPage(sess: Session, fn: string) {
    const got = (await call(sess, 'GetFunction', { fn })).json as Record<string, unknown>;
    const versions = ((await call(sess, 'ListVersionsByFunction', { fn })).json as { Versions: unknown[] }).Versions;
    const aliases = ((await call(sess, 'ListAliases', { fn })).json as { Aliases: unknown[] }).Aliases;
    let url: unknown = null;
    try {
      url = (await call(sess, 'GetFunctionUrlConfig', { fn })).json;
    } catch (e) {
      if (!(e instanceof ServiceError && e.code === 'ResourceNotFoundException')) throw e;
    }
    allow(sess, 'GetLogs', { fn });
    const invocations = (await readInvocations(s.logs, keyOf(sess, fn), () => d.observer.flushIndex(), RECENT_BYTES))
      .slice(-RECENT)
      .reverse()
      .map(({ e, text }) => ({ requestId: e.requestId, startedAt: e.startedAt, durationMs: e.durationMs, initDurationMs: e.initDurationMs ?? null, status: e.status, stream: e.stream, log: text.toString('utf8') }));
    return { ...got, Versions: versions, Aliases: aliases, Url: url, Invocations: invocations, Hour: d.observer.metrics.hour(sess.accountId, fn) };
  }

  async function asyncPage(sess: Session) {
    allow(sess, 'ListFunctions');
    const stats = await s.asyncInvoke.events.stats();
    const byFn = new Map<string, { FunctionName: string; Queued: number; Running: number; Failed: number; OldestQueuedAgeSeconds: number | null }>();
    const now = Date.now();
    for (const q of stats) {
      if ((q.accountId ?? own) !== sess.accountId) continue;
      let row = byFn.get(q.functionName);
      if (!row) byFn.set(q.functionName, (row = { FunctionName: q.functionName, Queued: 0, Running: 0, Failed: 0, OldestQueuedAgeSeconds: null }));
      if (q.state === 'queued') {
        row.Queued += q.count;
        row.OldestQueuedAgeSeconds = Math.round((now - q.oldestEnqueuedAt) / 1000);
      } else if (q.state === 'running') row.Running += q.count;
      else row.Failed += q.count;
    }
    return { Functions: [...byFn.values()].sort((a, b) => (a.FunctionName < b.FunctionName ? -1 : 1)) };
  }

  function environmentsPage(sess: Session) {
    allow(sess, 'ListFunctions');
    const now = Date.now();
    const out = [];
    for (const e of d.environments()) {
      if (e.spec.accountId !== sess.accountId) continue;
      out.push({ FunctionName: e.spec.functionName, Version: e.spec.version, State: e.state, Pid: e.pid ?? null, MemoryMb: e.spec.memoryMb, AgeSeconds: Math.round((now - e.createdAt) / 1000), IdleSeconds: e.state === 'ready' ? Math.round((now - e.lastUsed) / 1000) : 0, Provisioned: e.provisioned });
    }
    return { Environments: out.sort((a, b) => (a.FunctionName < b.FunctionName ? -1 : a.FunctionName > b.FunctionName ? 1 : a.AgeSeconds - b.AgeSeconds)) };
  }

  /** What changed since the last look, cheaply: counts of this account's invocations, throttles, queue and environments. */
  async function stamp(sess: Session): Promise<string> {
    let n = 0;
    for (const f of d.observer.metrics.series.values()) if (f.accountId === sess.accountId) n += f.success + f.error + f.minutes.reduce((a, m) => a + m.throttles, 0);
    const q = (await s.asyncInvoke.events.stats()).filter((x) => (x.accountId ?? own) === sess.accountId).map((x) => `${x.functionName}:${x.state}:${x.count}`);
    const envs: string[] = [];
    for (const e of d.environments()) if (e.spec.accountId === sess.accountId) envs.push(`${e.spec.functionName}:${e.state}`);
    return `${n}|${q.sort().join(',')}|${envs.sort().join(',')}`;
  }

  function stream(sess: Session, req: IncomingMessage, res: ServerResponse, fn: string | null): void {
    if (fn) allow(sess, 'GetLogs', { fn });
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', ...SECURITY_HEADERS, Connection: 'keep-alive' });
    res.write(': live\n\n');
    let last = '';
    let busy = false;
    const tick = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const now = await stamp(sess);
        if (now !== last) {
          last = now;
          res.write('event: changed\ndata: {}\n\n');
        }
      } catch (e) {
        // the store closed under us: the stream ends with the server
        s.log.debug('dashboard:stream-failed', { error: String(e) });
      } finally {
        busy = false;
      }
    }, 1000);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    const untail = fn ? d.observer.tail(keyOf(sess, fn), (text) => res.write(`event: log\ndata: ${JSON.stringify(text.toString('utf8'))}\n\n`)) : undefined;
    const stop = () => {
      clearInterval(tick);
      clearInterval(ping);
      untail?.();
    };
    // The response's close, not the request's: a request without a body 'closes' as soon as it has been read.
    res.on('close', stop);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    // A web page of another origin gets nothing here: its fetch carries Origin or Sec-Fetch-Site, a form's too.
    if (HostPolicy.fromWebPage(req.headers)) throw new HttpError(403, 'CrossOriginRefused', 'Requests from other web pages are refused.');
    const body = method === 'POST' ? await readDashboardBody(req) : (req.resume(), Buffer.alloc(0));
    const input = (): Record<string, unknown> => {
      try {
        const v = body.length ? JSON.parse(body.toString('utf8')) : {};
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
      } catch {
        // answered below
      }
      throw new HttpError(400, 'InvalidRequestContentException', 'The body must be a JSON object.');
    };
    if (path === 'login' && method === 'POST') {
      const b = input();
      let sess: Session | undefined;
      if (typeof b.token === 'string' && sameSecret(b.token, sessions.token)) sess = sessions.create(own);
      else if (typeof b.accessKeyId === 'string' && typeof b.secretAccessKey === 'string') {
        const p = s.auth.verifyKey(b.accessKeyId, b.secretAccessKey);
        if (p) sess = sessions.create(p.accountId, p);
      }
      if (!sess) throw new HttpError(401, 'LoginFailed', 'That token or key is not valid.');
      return json(res, 200, { csrf: sess.csrf, accountId: sess.accountId, who: sess.principal?.arn ?? 'start-up token' }, { 'Set-Cookie': sessionCookie(sess) });
    }
    const sess = sessions.find(req.headers.cookie);
    if (!sess) throw new HttpError(401, 'LoginRequired', 'Log in with the token Alonzo printed at start-up, or an access key.');
    if (method === 'POST') {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, sess.csrf)) throw new HttpError(403, 'CsrfTokenInvalid', 'The CSRF token is missing or wrong.');
    } else if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', 'GET or POST.');
    const seg = path.split('/').map((x) => decodeURIComponent(x));
    const route = `${method} ${seg[0]}${seg.length > 1 ? `/${seg.length > 2 ? `*/${seg.slice(2).join('/')}` : '*'}` : ''}`;
    switch (route) {
      case 'GET session':
        return json(res, 200, { csrf: sess.csrf, accountId: sess.accountId, who: sess.principal?.arn ?? 'start-up token' });
      case 'POST logout':
        sessions.end(sess);
        return json(res, 200, {}, { 'Set-Cookie': clearedCookie });
      case 'GET functions': {
        const fns = await listAll(sess);
        const m = d.observer.metrics;
        return json(res, 200, {
          Functions: fns.map((f) => {
            const series = m.series.get(`${sess.accountId}\u0000${f.FunctionName as string}`);
            return { ...f, Invocations: series ? series.success + series.error : 0, Errors: series?.error ?? 0, LastInvokedAt: series?.lastInvokedAt || null };
          }),
        });
      }
      case 'POST functions': {
        const b = input();
        const runtime = String(b.Runtime ?? '');
        const file = typeof b.FileName === 'string' && b.FileName ? b.FileName : runtime.startsWith('python') ? 'lambda_function.py' : 'index.js';
        if (!/^[A-Za-z0-9_.-]{1,100}$/.test(file)) throw new HttpError(400, 'InvalidParameterValueException', 'FileName must be a plain file name.');
        const zip = await zipOfFile(file, String(b.Code ?? ''));
        const r = await call(sess, 'CreateFunction', {}, {
          method: 'POST',
          body: { FunctionName: b.FunctionName, Runtime: runtime, Handler: b.Handler, Role: `arn:aws:iam::${sess.accountId}:role/alonzo-dashboard`, MemorySize: b.MemorySize ?? 128, Timeout: b.Timeout ?? 3, Code: { ZipFile: zip.toString('base64') } },
        });
        return json(res, r.status, r.json);
      }
      case 'GET functions/*':
        return json(res, 200, await functionPage(sess, seg[1]));
      case 'POST functions/*/invoke': {
        const b = input();
        const payload = typeof b.Payload === 'string' ? b.Payload : '{}';
        const op = ops.get('Invoke')!;
        const params = { fn: seg[1] };
        const q = new URLSearchParams(typeof b.Qualifier === 'string' && b.Qualifier ? { Qualifier: b.Qualifier } : {});
        if (sess.principal) s.auth.authorize(sess.principal, 'Invoke', { params, query: q, body: Buffer.from(payload) });
        const r = await op(servicesFor(s, sess.accountId), { method: 'POST', params, query: q, headers: { 'x-amz-log-type': 'Tail', 'x-amz-invocation-type': 'RequestResponse' }, body: Buffer.from(payload), requestId: newRequestId(), callerArn: sess.principal?.arn });
        const h = r.headers ?? {};
        const find = (name: string) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
        const log = find('x-amz-log-result');
        return json(res, 200, { StatusCode: r.status, FunctionError: find('x-amz-function-error') ?? null, ExecutedVersion: find('x-amz-executed-version') ?? null, Payload: (r.raw ?? Buffer.alloc(0)).toString('utf8'), Log: log ? Buffer.from(String(log), 'base64').toString('utf8') : '' });
      }
      case 'GET async':
        return json(res, 200, await asyncPage(sess));
      case 'GET async/*/failed': {
        const r = await call(sess, 'ListFailedEvents', { fn: seg[1] }, { query: { MaxItems: '100' } });
        return json(res, 200, r.json);
      }
      case 'POST async/*/redrive': {
        const b = input();
        const r = await call(sess, 'RedriveFailedEvents', { fn: seg[1] }, { method: 'POST', body: Array.isArray(b.RequestIds) ? { RequestIds: b.RequestIds } : {} });
        return json(res, 200, r.json);
      }
      case 'GET environments':
        return json(res, 200, environmentsPage(sess));
      case 'GET nodes':
        allow(sess, 'ListFunctions');
        return json(res, 200, { Nodes: await d.nodes() });
      case 'GET stream':
        return stream(sess, req, res, query.get('fn'));
    }
    throw new HttpError(404, 'NotFound', 'No such dashboard call.');
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    try {
      // DNS rebinding: a page on a name of its own that now points here still sends its name.
      if (!s.auth.servesHost(req.headers.host)) throw new HttpError(403, 'HostNotServed', 'This Host is not served here.');
      if (path === '/_alonzo') {
        req.resume();
        res.writeHead(308, { Location: PAGE_PATH, ...SECURITY_HEADERS }).end();
        return;
      }
      if (path === PAGE_PATH || path.startsWith(`${PREFIX}static/`)) {
        req.resume();
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'MethodNotAllowed', 'GET only.');
        const name = path === PAGE_PATH ? 'index.html' : path.slice(`${PREFIX}static/`.length);
        const file = files.get(name);
        if (!file) throw new HttpError(404, 'NotFound', 'No such file.');
        const ext = name.slice(name.lastIndexOf('.'));
        res.writeHead(200, { 'Content-Type': TYPES[ext] ?? 'application/octet-stream', 'Content-Length': file.length, ...SECURITY_HEADERS, ...(ext === '.html' ? { 'Content-Security-Policy': CSP } : {}) });
        res.end(req.method === 'HEAD' ? undefined : file);
        return;
      }
      if (path.startsWith(`${PREFIX}api/`)) return await api(req, res, path.slice(`${PREFIX}api/`.length), query);
      throw new HttpError(404, 'NotFound', 'Not found.');
    } catch (e) {
      req.resume();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) return json(res, e.status, { error: e.code, message: e.message });
      if (e instanceof ServiceError) return json(res, e.status, { error: e.code, message: e.message });
      s.log.error('dashboard:internal-error', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      const se = err('ServiceException', 'An internal error occurred. See the Alonzo server log.');
      return json(res, 500, { error: se.code, message: se.message });
    }
  };
  return Object.assign(handler, {
    /** Ends the live streams (the server's close). */
    close(): void {
      for (const r of streams) r.end();
    },
  });
}
