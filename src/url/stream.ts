// A RESPONSE_STREAM function URL's answer: the function's bytes relayed to the HTTP client as it writes them.
//
// - A handler that streams answers 200 with the content type it set (application/octet-stream unless it set one). After
//   awslambda.HttpResponseStream.from its body opens with a JSON prelude ({statusCode, headers, cookies}) and 8 NUL
//   bytes (content type application/vnd.awslambda.http-integration-response): the prelude is split off and becomes the
//   status, headers and Set-Cookie, as on AWS; the client never sees it.
// - The status line goes out with the first byte of the body (or at its end, for an empty one), chunked: a function that
//   fails before that answers 502 as a BUFFERED URL does. After it, the connection is ended without chunked encoding's
//   last chunk (AWS truncates too), so that a client can tell a cut body from a whole one.
// - A handler that does not stream (a Python one included) answers its whole JSON result, unmapped: AWS sends
//   `{"statusCode":200,"body":"…"}` itself, not the body (oracle TestLambdaURL::test_lambda_url_echo_invoke[RESPONSE_STREAM]).
// - Nothing is buffered here beyond one chunk: a write the socket does not take waits for 'drain', and the engine holds
//   the function back meanwhile. A client that goes away destroys the body, which frees the function from the stream.
import type { ServerResponse } from 'node:http';
import type { StreamedInvocation } from '../invoke/types.js';
import { functionErrorResponse, functionHeaders, statusOf, type UrlResponse } from './response.js';

export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const SEPARATOR = Buffer.alloc(8);
/**
 * The longest prelude read before the answer is a 502. AWS documents no limit; a prelude is a status and headers, and
 * 64 KiB is four times the header size most HTTP servers accept, while it bounds what a function can make us hold.
 */
export const PRELUDE_LIMIT = 64 * 1024;
/** How long a cut response may take to hand its last bytes to a client before the socket is destroyed anyway. */
const CUT_GRACE_MS = 10_000;

export type Headers = Record<string, string | string[]>;
/** Sends the status line and headers (the endpoint adds its own and the CORS ones). */
export type Start = (status: number, headers: Headers) => void;

/** The prelude's bytes were not a JSON object, or its statusCode no status: the answer is 502. */
class BadPrelude extends Error {}

/** Reads the prelude's JSON: status (200 unless given), headers and cookies, held to the rules of a buffered result. */
export function parsePrelude(bytes: Buffer): { status: number; headers: Headers } {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BadPrelude('the prelude is not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new BadPrelude('the prelude is not a JSON object');
  const p = v as { statusCode?: unknown; headers?: unknown; cookies?: unknown };
  const status = p.statusCode === undefined ? 200 : statusOf(p.statusCode);
  if (status === undefined) throw new BadPrelude('the prelude has no valid statusCode');
  const headers = functionHeaders(p.headers, p.cookies);
  if (!('content-type' in headers)) headers['content-type'] = 'application/octet-stream';
  return { status, headers };
}

/**
 * Collects the body's first bytes until the 8 NUL bytes that end a prelude (a JSON text holds no NUL byte, so the
 * first eight in a row are the separator). Holds at most PRELUDE_LIMIT bytes.
 */
export class PreludeSplitter {
  private held: Buffer = Buffer.alloc(0);

  /** undefined while the separator has not come; then the prelude and the body bytes that followed it. */
  push(chunk: Buffer): { prelude: Buffer; rest: Buffer } | undefined {
    // Only the last 7 bytes held can start a separator that this chunk completes.
    const from = Math.max(0, this.held.length - (SEPARATOR.length - 1));
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const at = this.held.indexOf(SEPARATOR, from);
    if (at === -1) {
      if (this.held.length > PRELUDE_LIMIT) throw new BadPrelude(`no prelude separator in the first ${PRELUDE_LIMIT} bytes`);
      return undefined;
    }
    if (at > PRELUDE_LIMIT) throw new BadPrelude(`the prelude is longer than ${PRELUDE_LIMIT} bytes`);
    return { prelude: this.held.subarray(0, at), rest: this.held.subarray(at + SEPARATOR.length) };
  }
}

/** Resolves when the socket takes more, or when the client has gone. */
function writable(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((ok) => {
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      ok();
    };
    res.on('drain', go);
    res.on('close', go);
  });
}

/** Ends a response whose status went out without its last chunk: what was written reaches the client, then EOF. */
function cut(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return void res.destroy();
  socket.end();
  // A client that does not read would keep a half-closed socket forever.
  setTimeout(() => socket.destroy(), CUT_GRACE_MS).unref();
}

/**
 * Relays a streamed invocation. Resolves with a whole response for the endpoint to send when nothing was sent yet and
 * the answer is not a stream (a non-streaming handler; a 502); undefined once it has answered (or the client is gone).
 * Rejects as the invoke would (the engine's failure before the first byte), for the endpoint's usual answer.
 */
export async function relayStream(inv: StreamedInvocation, res: ServerResponse, start: Start, log: (why: string) => void): Promise<UrlResponse | undefined> {
  const { body } = inv;
  let gone = false;
  const onClose = () => {
    if (res.writableFinished) return;
    gone = true;
    body.destroy();
  };
  res.on('close', onClose);
  try {
    const head = await inv.head;
    if (!head.streaming) {
      // The result is in the engine's memory already (6 MB at most, as any RequestResponse result).
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      const done = await inv.done;
      if (done.functionError) return functionErrorResponse();
      return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) };
    }
    const splitter = head.contentType === HTTP_INTEGRATION_CONTENT_TYPE ? new PreludeSplitter() : undefined;
    let meta: { status: number; headers: Headers } | undefined = splitter ? undefined : { status: 200, headers: { 'content-type': head.contentType ?? 'application/octet-stream' } };
    let started = false;
    try {
      for await (const chunk of body) {
        let bytes = chunk as Buffer;
        if (meta === undefined) {
          const split = splitter!.push(bytes);
          if (split === undefined) continue;
          meta = parsePrelude(split.prelude);
          bytes = split.rest;
        }
        if (bytes.length === 0) continue;
        if (!started) {
          started = true;
          start(meta.status, meta.headers);
        }
        if (!res.write(bytes)) await writable(res);
      }
    } catch (e) {
      if (gone) return undefined;
      if (e instanceof BadPrelude) {
        log(e.message);
        body.destroy();
        return functionErrorResponse();
      }
      if (!started) throw e;
      cut(res);
      return undefined;
    }
    if (gone) return undefined;
    const done = await inv.done.catch((e) => {
      if (!started) throw e;
      return { functionError: 'Unhandled' as const };
    });
    if (done.functionError) {
      if (!started) return functionErrorResponse();
      cut(res);
      return undefined;
    }
    if (meta === undefined) {
      // The body ended inside the prelude (no separator): not an HTTP integration response after all.
      log('the stream ended before its prelude did');
      return functionErrorResponse();
    }
    if (!started) start(meta.status, meta.headers);
    res.end();
    return undefined;
  } catch (e) {
    // The client went away: there is no one left to answer.
    if (gone) return undefined;
    throw e;
  } finally {
    res.off('close', onClose);
  }
}
