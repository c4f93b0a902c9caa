// What a function's result becomes on the wire of a function URL, as Lambda maps it.
//
// An object with `statusCode` is a response description: status (a numeric string is accepted, oracle
// test_lambda_url_headers_and_status), headers, `cookies` (one Set-Cookie each), body (a non-string body is sent as its
// JSON, oracle test_lambda_url_echo_http_fixture_default) and isBase64Encoded. Any other value is the body itself:
// 200, Content-Type application/json, a string as its text (without quotes), anything else as compact JSON (oracle
// test_lambda_url_invocation[dict, http-response, string, integer, boolean]). A function error is 502 with AWS's text.

export interface UrlResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SAFE_VALUE = /^[^\r\n\0]*$/;
/** Set by the server from the body (or meaningless here): a function's own values are dropped. */
const MANAGED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'set-cookie']);

export const functionErrorResponse = (): UrlResponse => ({ status: 502, headers: { 'content-type': 'application/json' }, body: Buffer.from('Internal Server Error') });

/** A function's statusCode as an HTTP status: a number or a numeric string, 100-599; undefined for anything else. */
export function statusOf(value: unknown): number | undefined {
  const status = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

/**
 * A function's headers and cookies as response headers (names lower-cased, one Set-Cookie per cookie): from a
 * returned response description, or from a streamed response's prelude.
 */
export function functionHeaders(raw: unknown, cookies: unknown): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [k, x] of Object.entries(raw as Record<string, unknown>)) {
      const name = k.toLowerCase();
      const text = typeof x === 'string' ? x : x === null || x === undefined ? '' : String(x);
      // A header a client could be split or fooled by is left out rather than sent.
      if (!TOKEN.test(name) || !SAFE_VALUE.test(text) || MANAGED.has(name)) continue;
      headers[name] = text;
    }
  }
  if (Array.isArray(cookies)) {
    const list = cookies.filter((c): c is string => typeof c === 'string' && SAFE_VALUE.test(c));
    if (list.length) headers['set-cookie'] = list;
  }
  return headers;
}

export function mapResult(payload: Buffer): UrlResponse {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    // The engine hands over JSON; should it ever not be, the bytes go as they are.
    return { status: 200, headers: { 'content-type': 'application/json' }, body: payload };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) {
    const body = typeof value === 'string' ? value : JSON.stringify(value);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const v = value as { statusCode: unknown; headers?: unknown; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown };
  const status = statusOf(v.statusCode);
  if (status === undefined) return functionErrorResponse();
  const headers = functionHeaders(v.headers, v.cookies);
  if (!('content-type' in headers)) headers['content-type'] = 'application/json';
  let body: Buffer;
  if (v.body === undefined || v.body === null) body = Buffer.alloc(0);
  else if (typeof v.body === 'string') body = v.isBase64Encoded === true ? Buffer.from(v.body, 'base64') : Buffer.from(v.body);
  else body = Buffer.from(JSON.stringify(v.body));
  return { status, headers, body };
}
