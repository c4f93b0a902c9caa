// The local API endpoint of `alonzo dev`: a template's `Api` and `HttpApi` events as routes, each request turned into
// API Gateway's event (payload 1.0 for REST APIs, 2.0 for HTTP APIs), the function invoked through the Lambda API, and
// its result mapped back to an HTTP answer as API Gateway maps it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { DevRoute } from './template.js';
import { mapResult, type UrlResponse } from '../url/response.js';
import { requestTime, sourceIpOf } from '../url/event.js';

/** The answer of an invoke through the Lambda API: the payload and whether the function failed. */
export type InvokeFn = (functionName: string, payload: Buffer) => Promise<{ payload: Buffer; functionError?: string }>;

export interface Match {
  route: DevRoute;
  /** Path parameters by name (greedy `{proxy+}` under `proxy`); undefined when the route has none. */
  params?: Record<string, string>;
}

const MAX_BODY = 10 * 1024 * 1024;

/** A route's path as a pattern: `{name}` one segment, `{name+}` the rest of the path (one segment at least). */
function compile(path: string): { re: RegExp; names: string[] } | undefined {
  if (path === '$default') return undefined;
  const names: string[] = [];
  const src = path
    .replace(/\/+$/, '')
    .split('/')
    .map((seg) => {
      const m = /^\{([^}+]+)(\+?)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
      names.push(m[1]);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { re: new RegExp(`^${src}/?$`), names };
}

/**
 * The route of a request, as API Gateway chooses: a route of the exact method before an ANY one, a path without
 * parameters before one with them, a greedy parameter last; an HttpApi `$default` catches what nothing else does.
 */
export function matchRoute(routes: DevRoute[], method: string, path: string): Match | undefined {
  const score = (r: DevRoute) => (r.path === '$default' ? 1000 : (r.path.includes('+}') ? 100 : 0) + (r.path.match(/\{/g)?.length ?? 0) * 10 + (r.method === 'ANY' ? 1 : 0));
  const ordered = [...routes].sort((a, b) => score(a) - score(b));
  for (const route of ordered) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    const c = compile(route.path);
    if (!c) return { route };
    const m = c.re.exec(path);
    if (!m) continue;
    if (!c.names.length) return { route };
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => (params[n] = safeDecode(m[i + 1])));
    return { route, params };
  }
  return undefined;
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const TEXT_TYPE = /^(text\/[^;]*|application\/([a-z0-9.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|yaml|x-yaml|graphql))(\s*;.*)?$/i;
const isText = (type: string | undefined, body: Buffer) => type !== undefined && TEXT_TYPE.test(type.trim()) && Buffer.from(body.toString('utf8'), 'utf8').equals(body);

export interface ApiRequest {
  req: IncomingMessage;
  path: string;
  rawQuery: string;
  body: Buffer;
  match: Match;
  requestId: string;
  now: Date;
  host: string;
}

/** Payload 1.0 (REST API, and HTTP API routes that ask for it): single- and multi-value headers and query. */
export function eventV1(r: ApiRequest, accountId: string): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < r.req.rawHeaders.length; i += 2) {
    const [k, v] = [r.req.rawHeaders[i], r.req.rawHeaders[i + 1]];
    headers[k] = v;
    (multiHeaders[k] ??= []).push(v);
  }
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  for (const [k, v] of new URLSearchParams(r.rawQuery)) {
    (query ??= {})[k] = v;
    ((multiQuery ??= {})[k] ??= []).push(v);
  }
  const method = r.req.method ?? 'GET';
  const resource = r.match.route.path === '$default' ? '/{proxy+}' : r.match.route.path;
  const text = r.body.length > 0 && isText(r.req.headers['content-type'], r.body);
  const sourceIp = sourceIpOf(r.req);
  return {
    resource,
    path: r.path,
    httpMethod: method,
    headers,
    multiValueHeaders: multiHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: r.match.params ?? null,
    stageVariables: null,
    requestContext: {
      accountId,
      apiId: 'alonzodev',
      domainName: r.host,
      domainPrefix: r.host.split('.')[0],
      extendedRequestId: r.requestId,
      httpMethod: method,
      identity: { accessKey: null, accountId: null, caller: null, cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null, principalOrgId: null, sourceIp, user: null, userAgent: r.req.headers['user-agent'] ?? null, userArn: null },
      path: r.match.route.kind === 'Api' ? `/${r.match.route.stage ?? 'Prod'}${r.path}` : r.path,
      protocol: `HTTP/${r.req.httpVersion}`,
      requestId: r.requestId,
      requestTime: requestTime(r.now),
      requestTimeEpoch: r.now.getTime(),
      resourceId: 'alonzo',
      resourcePath: resource,
      stage: r.match.route.kind === 'Api' ? (r.match.route.stage ?? 'Prod') : '$default',
    },
    body: r.body.length ? (text ? r.body.toString('utf8') : r.body.toString('base64')) : null,
    isBase64Encoded: r.body.length > 0 && !text,
  };
}

/** Payload 2.0 (HTTP API): as a function URL's, with the route's key and path parameters. */
export function eventV2(r: ApiRequest, accountId: string): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < r.req.rawHeaders.length; i += 2) {
    const name = r.req.rawHeaders[i].toLowerCase();
    const value = r.req.rawHeaders[i + 1];
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  let query: Record<string, string> | undefined;
  for (const [k, v] of new URLSearchParams(r.rawQuery)) (query ??= {})[k] = query[k] !== undefined ? `${query[k]},${v}` : v;
  const method = r.req.method ?? 'GET';
  const routeKey = r.match.route.path === '$default' ? '$default' : `${r.match.route.method} ${r.match.route.path}`;
  const text = r.body.length > 0 && isText(r.req.headers['content-type'], r.body);
  const event: Record<string, unknown> = { version: '2.0', routeKey, rawPath: r.path, rawQueryString: r.rawQuery };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  if (query) event.queryStringParameters = query;
  event.requestContext = {
    accountId,
    apiId: 'alonzodev',
    domainName: r.host,
    domainPrefix: r.host.split('.')[0],
    http: { method, path: r.path, protocol: `HTTP/${r.req.httpVersion}`, sourceIp: sourceIpOf(r.req), userAgent: r.req.headers['user-agent'] ?? '' },
    requestId: r.requestId,
    routeKey,
    stage: '$default',
    time: requestTime(r.now),
    timeEpoch: r.now.getTime(),
  };
  if (r.match.params) event.pathParameters = r.match.params;
  if (r.body.length) event.body = text ? r.body.toString('utf8') : r.body.toString('base64');
  event.isBase64Encoded = r.body.length > 0 && !text;
  return event;
}

const json = (status: number, message: string): UrlResponse => ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ message })) });

/**
 * A payload 1.0 result as API Gateway's Lambda proxy integration maps it: an object with a numeric statusCode,
 * optional headers / multiValueHeaders, a string body (base64 when isBase64Encoded); anything else is the integration's
 * 502 `Internal server error`.
 */
export function mapResultV1(payload: Buffer): UrlResponse {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return json(502, 'Internal server error');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return json(502, 'Internal server error');
  const o = v as { statusCode?: unknown; headers?: unknown; multiValueHeaders?: unknown; body?: unknown; isBase64Encoded?: unknown };
  const status = typeof o.statusCode === 'number' ? o.statusCode : typeof o.statusCode === 'string' && /^\d+$/.test(o.statusCode) ? Number(o.statusCode) : o.statusCode === undefined ? 200 : NaN;
  if (!Number.isInteger(status) || status < 100 || status > 599) return json(502, 'Internal server error');
  if (o.body !== undefined && o.body !== null && typeof o.body !== 'string') return json(502, 'Internal server error');
  const headers: Record<string, string | string[]> = {};
  const ok = (k: string, s: string) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && /^[^\r\n\0]*$/.test(s) && !['content-length', 'transfer-encoding', 'connection'].includes(k.toLowerCase());
  if (o.multiValueHeaders && typeof o.multiValueHeaders === 'object') {
    for (const [k, vs] of Object.entries(o.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(vs)) continue;
      const list = vs.map(String).filter((s) => ok(k, s));
      if (list.length) headers[k.toLowerCase()] = list;
    }
  }
  if (o.headers && typeof o.headers === 'object') {
    for (const [k, x] of Object.entries(o.headers as Record<string, unknown>)) {
      const s = String(x);
      if (ok(k, s)) headers[k.toLowerCase()] = s;
    }
  }
  if (!('content-type' in headers)) headers['content-type'] = 'application/json';
  const body = typeof o.body === 'string' ? (o.isBase64Encoded === true ? Buffer.from(o.body, 'base64') : Buffer.from(o.body)) : Buffer.alloc(0);
  return { status, headers, body };
}

export interface ApiGateway {
  url: string;
  port: number;
  setRoutes(routes: DevRoute[]): void;
  close(): Promise<void>;
}

/** Serves the routes on host:port (0: any free port). */
export async function startApiGateway(opts: { host: string; port: number; accountId: string; routes: DevRoute[]; invoke: InvokeFn; onError?: (e: Error) => void }): Promise<ApiGateway> {
  let routes = opts.routes;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = (req.url ?? '').indexOf('?');
    const rawQuery = q === -1 ? '' : (req.url ?? '').slice(q + 1);
    const path = url.pathname;
    const match = matchRoute(routes, req.method ?? 'GET', path);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) return send(res, json(413, 'Request Too Long'));
      chunks.push(c as Buffer);
    }
    // API Gateway's answers for a path or method nothing serves.
    if (!match) return send(res, routes.some((r) => r.kind === 'Api') && !routes.some((r) => r.kind === 'HttpApi') ? json(403, 'Missing Authentication Token') : json(404, 'Not Found'));
    const r: ApiRequest = { req, path, rawQuery, body: Buffer.concat(chunks), match, requestId: randomUUID(), now: new Date(), host: req.headers.host ?? 'localhost' };
    const event = match.route.payloadVersion === '1.0' ? eventV1(r, opts.accountId) : eventV2(r, opts.accountId);
    let out: { payload: Buffer; functionError?: string };
    try {
      out = await opts.invoke(match.route.functionName, Buffer.from(JSON.stringify(event)));
    } catch (e) {
      opts.onError?.(e as Error);
      return send(res, json(502, 'Internal server error'));
    }
    if (out.functionError) return send(res, json(502, 'Internal server error'));
    send(res, match.route.payloadVersion === '1.0' ? mapResultV1(out.payload) : mapResult(out.payload));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      opts.onError?.(e as Error);
      if (!res.headersSent) send(res, json(500, 'Internal server error'));
      else res.destroy();
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    port,
    setRoutes(next) {
      routes = next;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, r: UrlResponse): void {
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  res.setHeader('content-length', r.body.length);
  res.end(r.body);
}
