// The request a function URL hands its function: API Gateway's payload format 2.0, built as Lambda's URL service builds it.
//
// What the oracle shows (reference/aws-oracle/api-function-urls.snapshot.json, echo entries): header names lower-cased
// with their values unchanged; `rawPath` and `requestContext.http.path` as sent (not decoded); query values decoded,
// a repeated key's values joined with commas; a body of a text type as text, anything else base64 of the exact bytes.
// Repeated headers are joined with commas too, and cookies move from the `cookie` header into `cookies`.
import type { IncomingMessage } from 'node:http';

export interface UrlRequest {
  req: IncomingMessage;
  urlId: string;
  /** `<url-id>.lambda-url.<region>.localhost`. */
  domainName: string;
  rawPath: string;
  rawQuery: string;
  body: Buffer;
  requestId: string;
  traceId: string;
  /** `anonymous` for AuthType NONE; the signer's for AWS_IAM, with what `authorizer.iam` tells. */
  caller?: { accessKeyId: string; accountId: string; arn: string };
  /** The server's port, for x-forwarded-port. */
  port: string;
  now: Date;
}

/** Content types whose bodies the function gets as text (the rest, and a body without a type, as base64). */
const TEXT_TYPE = /^(text\/[^;]*|application\/([a-z0-9.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|yaml|x-yaml|graphql|ld\+json))(\s*;.*)?$/i;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
/** `requestContext.time`: `29/Nov/2026:23:05:01 +0000`, the access-log form API Gateway uses. */
export const requestTime = (d: Date): string =>
  `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;

/** The caller's address as Lambda reports it: IPv4-mapped IPv6 addresses in their IPv4 form. */
export const sourceIpOf = (req: IncomingMessage): string => (req.socket.remoteAddress ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

function isText(contentType: string | undefined, body: Buffer): boolean {
  if (contentType === undefined || !TEXT_TYPE.test(contentType.trim())) return false;
  // Text that is not UTF-8 would be mangled by a string: it goes base64 like any binary body.
  return Buffer.from(body.toString('utf8'), 'utf8').equals(body);
}

/** Header names lower-cased, repeated ones joined with commas in the order sent; `cookie` headers become the cookie list. */
function headersOf(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim() !== '') cookies.push(c.trim());
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

/** Query values decoded, a repeated key's values joined with commas; undefined without a query. */
function queryOf(rawQuery: string): Record<string, string> | undefined {
  if (rawQuery === '') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

export function buildEvent(r: UrlRequest): Record<string, unknown> {
  const { headers, cookies } = headersOf(r.req);
  const sourceIp = sourceIpOf(r.req);
  // What Lambda's front end adds; a client's own X-Forwarded-For is kept in front of the address it came from.
  headers['x-amzn-trace-id'] = r.traceId;
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = r.port;
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: r.rawPath,
    rawQueryString: r.rawQuery,
  };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  const query = queryOf(r.rawQuery);
  if (query) event.queryStringParameters = query;
  const context: Record<string, unknown> = { accountId: r.caller ? r.caller.accountId : 'anonymous', apiId: r.urlId };
  if (r.caller) {
    // Lambda puts the IAM user's unique id in callerId/userId; Alonzo's keys have none, so the access key id stands in.
    context.authorizer = {
      iam: { accessKey: r.caller.accessKeyId, accountId: r.caller.accountId, callerId: r.caller.accessKeyId, cognitoIdentity: null, principalOrgId: null, userArn: r.caller.arn, userId: r.caller.accessKeyId },
    };
  }
  Object.assign(context, {
    domainName: r.domainName,
    domainPrefix: r.urlId,
    http: { method: r.req.method ?? 'GET', path: r.rawPath, protocol: `HTTP/${r.req.httpVersion}`, sourceIp, userAgent: r.req.headers['user-agent'] ?? '' },
    requestId: r.requestId,
    routeKey: '$default',
    stage: '$default',
    time: requestTime(r.now),
    timeEpoch: r.now.getTime(),
  });
  event.requestContext = context;
  const text = r.body.length > 0 && isText(r.req.headers['content-type'], r.body);
  if (r.body.length > 0) event.body = text ? r.body.toString('utf8') : r.body.toString('base64');
  event.isBase64Encoded = r.body.length > 0 && !text;
  return event;
}
