// The function URL endpoint: finds the URL a request names, answers CORS preflights, authorises, invokes the function
// with a payload 2.0 event and maps the result to HTTP (BUFFERED), or relays its bytes as it writes them
// (RESPONSE_STREAM, stream.ts).
//
// Two addresses reach it, on the API's own server and port: the host form `<url-id>.lambda-url.<region>.localhost`
// (what FunctionUrl gives), and the path form `/_alonzo/url/<url-id>/<path>` on a host the API serves, for clients that
// cannot set a Host. The composition root sends a request here when either matches, and nowhere else: a request in the
// URL namespace never reaches the management API, whatever its path or signature, and the API's routes are never
// served on a URL host. Unknown URLs, missing permissions and refused signatures all get AWS's one 403.
import { readCappedBody } from '../core/http-body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { err, ServiceError } from '../core/errors.js';
import { newRequestId } from '../core/ids.js';
import { functionArn } from '../core/names.js';
import { URL_ID_RE, URL_PATH_PREFIX, urlDomain, urlHostLabel } from '../core/function-url.js';
import { newTraceId } from '../invoke/trace.js';
import { functionUrlAllows } from '../auth/resource-policy.js';
import type { Principal } from '../auth/index.js';
import { sendThrown } from '../api/respond.js';
import { servicesFor, type Services } from '../api/context.js';
import { buildEvent } from './event.js';
import { functionErrorResponse, mapResult, type UrlResponse } from './response.js';
import { applyCors, isPreflight, preflightHeaders, type Cors } from './cors.js';
import { relayStream, type Start } from './stream.js';

/** Lambda's limit on a synchronous invoke's request, which a URL's request is. */
const REQUEST_LIMIT = 6_291_456;

/** AWS's one answer for an unknown URL, a missing permission and a refused signature (oracle test_lambda_url_persists_after_alias_delete). */
const forbidden = () => err('AccessDeniedException', 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html');

/** Invoke's 413 (AWS's body for a URL's is not recorded). */
const tooLarge = () => err('RequestEntityTooLargeException', `Request must be smaller than ${REQUEST_LIMIT} bytes for the InvokeFunction operation`);

/** Whether a request is the URL endpoint's: a host in the URL namespace, or the path form. */
export function isUrlRequest(req: IncomingMessage): boolean {
  return urlHostLabel(req.headers.host) !== undefined || (req.url ?? '').startsWith(URL_PATH_PREFIX);
}

/** The url id and the function's path, from the host form or the path form; undefined when neither holds one. */
function locate(s: Services, req: IncomingMessage): { urlId: string; rawPath: string; rawQuery: string; signedPath: string } | undefined {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  // Both forms answer only on names the server serves (loopback names, `*.localhost` included, and --host /
  // --allowed-hosts), as the API does: a page on `<url-id>.lambda-url.evil.example` rebound to 127.0.0.1 would be
  // same-origin with the answer and could read it past the URL's Cors.
  if (!s.auth.servesHost(req.headers.host)) return undefined;
  const label = urlHostLabel(req.headers.host);
  if (label !== undefined) return URL_ID_RE.test(label) ? { urlId: label, rawPath: path, rawQuery, signedPath: path } : undefined;
  const rest = path.slice(URL_PATH_PREFIX.length);
  const slash = rest.indexOf('/');
  const urlId = slash === -1 ? rest : rest.slice(0, slash);
  if (!URL_ID_RE.test(urlId)) return undefined;
  return { urlId, rawPath: slash === -1 ? '/' : rest.slice(slash), rawQuery, signedPath: path };
}

function send(res: ServerResponse, requestId: string, traceId: string | undefined, r: UrlResponse): void {
  const headers: Record<string, string | string[] | number> = { ...r.headers, 'x-amzn-RequestId': requestId, 'content-length': r.body.length };
  if (traceId) headers['x-amzn-Trace-Id'] = traceId;
  res.writeHead(r.status, headers);
  res.end(r.body);
}

export function createUrlHandler(s: Services) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    let urlId: string | undefined;
    let principal: Principal | undefined;
    try {
      const where = locate(s, req);
      if (!where) {
        req.resume();
        throw forbidden();
      }
      urlId = where.urlId;
      const found = await s.store.findFunctionUrl(where.urlId);
      if (!found) {
        req.resume();
        throw forbidden();
      }
      const { accountId, url } = found;
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      const cors = url.cors as Cors | null;
      if (cors && isPreflight(req.method, req.headers)) {
        // Browsers send preflights unsigned and without cookies: Lambda answers them from the setting, without invoking.
        req.resume();
        send(res, requestId, undefined, { status: 200, headers: preflightHeaders(cors, origin), body: Buffer.alloc(0) });
        return;
      }
      const own = servicesFor(s, accountId);
      const qualifier = url.qualifier === '' ? undefined : url.qualifier;
      const policy = await own.store.getPolicy(url.functionName, url.qualifier);
      const resource = functionArn(own.account, url.functionName, qualifier);
      const allowed = (caller?: Principal) => functionUrlAllows({ authType: url.authType, statements: policy?.statements ?? [], resource, functionAccount: accountId, caller });
      // A NONE URL without its permission is refused before the body is read; an AWS_IAM one needs the body (it is signed).
      if (url.authType === 'NONE' && !allowed()) {
        req.resume();
        throw forbidden();
      }
      const { body } = await readCappedBody(req, REQUEST_LIMIT);
      if (body === undefined) throw tooLarge();
      if (url.authType === 'AWS_IAM') {
        try {
          // The signature covers the request as sent: the path form's prefix included.
          principal = await s.auth.authenticate({ method: req.method ?? 'GET', rawPath: where.signedPath, rawQuery: where.rawQuery, headers: req.headers, body });
        } catch (e) {
          if (e instanceof ServiceError) throw forbidden();
          throw e;
        }
        if (!allowed(principal)) throw forbidden();
      }

      const traceId = newTraceId();
      const now = new Date();
      const event = buildEvent({
        req,
        urlId: where.urlId,
        domainName: urlDomain(where.urlId, s.account.region),
        rawPath: where.rawPath,
        rawQuery: where.rawQuery,
        body,
        requestId,
        traceId,
        caller: principal,
        port: String(req.socket.localPort ?? ''),
        now,
      });
      // The event is the invoke's payload, held to the same 6 MB (a binary body grows by a third in base64).
      const payload = Buffer.from(JSON.stringify(event));
      if (payload.length > REQUEST_LIMIT) throw tooLarge();
      let out: UrlResponse;
      try {
        const common = { functionName: url.functionName, qualifier, payload, logTail: false, requestId, traceId };
        if (url.invokeMode === 'RESPONSE_STREAM') {
          const inv = await own.invoker.invokeStream(common);
          const start: Start = (status, headers) => {
            if (cors) applyCors(cors, origin, headers);
            // No content-length: the body goes chunked, as the function writes it.
            res.writeHead(status, { ...headers, 'x-amzn-RequestId': requestId, 'x-amzn-Trace-Id': traceId });
          };
          const whole = await relayStream(inv, res, start, (why) => s.log.warn('url:bad-stream', { requestId, urlId, why }));
          if (whole === undefined) return;
          out = whole;
        } else {
          const result = await own.invoker.invoke({ ...common, invocationType: 'RequestResponse' });
          out = result.functionError ? functionErrorResponse() : mapResult(result.payload);
        }
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (e.code === 'TooManyRequestsException') out = { status: 429, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ Message: 'Rate Exceeded.' })) };
        else {
          s.log.warn('url:invoke-failed', { requestId, urlId, code: e.code, message: e.message });
          out = functionErrorResponse();
        }
      }
      if (cors) applyCors(cors, origin, out.headers);
      send(res, requestId, traceId, out);
    } catch (e) {
      sendThrown(res, requestId, e, (error) => s.log.error('url:internal-error', { requestId, error }));
    } finally {
      s.log.info('url:request', { requestId, urlId, status: res.statusCode, accessKeyId: principal?.accessKeyId, accountId: principal?.accountId });
    }
  };
}
