// Writing responses: JSON bodies, raw bodies, and every error rendered by one function.
import type { ServerResponse } from 'node:http';
import { err, ServiceError } from '../core/errors.js';
import { H } from './headers.js';

export function sendJson(res: ServerResponse, requestId: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    [H.requestId]: requestId,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, requestId: string, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { [H.requestId]: requestId, 'Content-Length': 0, ...headers });
  res.end();
}

export function sendRaw(res: ServerResponse, requestId: string, status: number, body: Buffer | string, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, {
    [H.requestId]: requestId,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Status and headers now, then the body as `write` produces it (chunked: its length is not known ahead). */
export function sendStream(res: ServerResponse, requestId: string, status: number, headers: Record<string, string>, write: (res: ServerResponse) => void): void {
  res.writeHead(status, { [H.requestId]: requestId, ...headers });
  // Headers go out at once: a client waits for them before it reads the first event.
  res.flushHeaders();
  write(res);
}

/** The one error renderer: status, `x-amzn-ErrorType`, and the body in the exception's casing. */
/**
 * Answers whatever a request handler threw: a service error as itself, anything else as a 500 ServiceException that
 * names no internals (`internal` gets the real error, for the server's log).
 */
export function sendThrown(res: ServerResponse, requestId: string, e: unknown, internal: (error: string) => void): void {
  if (e instanceof ServiceError) return sendError(res, requestId, e);
  internal(e instanceof Error ? (e.stack ?? e.message) : String(e));
  sendError(res, requestId, err('ServiceException', 'An internal error occurred. See the Alonzo server log for the request id.'));
}

export function sendError(res: ServerResponse, requestId: string, e: ServiceError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, requestId, e.status, e.body(), { [H.errorType]: e.code, ...e.headers });
}
