// The Lambda Runtime API (2018-06-01) served to one environment: the provided.* runtimes' own `bootstrap`, the built-in
// runtimes with runtimeTransport 'runtime-api', and any environment's code that reads AWS_LAMBDA_RUNTIME_API.
//
// Logs travel apart from the API: the runtime writes them to its stdout/stderr pipes, then calls us. Whatever it wrote
// before the call is readable when the call is, so it is read in the same poll phase at the latest (libuv reads up to
// 2 MiB from a pipe there, more than its socket buffer holds, ~208 KiB). The calls that end a phase (the first GET
// next, response, error, init error) therefore take effect in a setImmediate, after that poll phase. Measured over 500
// warm invokes that print 3 lines and return: without it 37 (Node) and 55 (Python) lost their lines to the next
// invocation, with it none (test/invoke/transport-parity.test.ts keeps checking). At init the same race was not seen
// in 400 cold starts; the first GET next waits the same turn anyway, for the same reason.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Environment, Invocation } from './environment.js';
import { safeErrorType } from './environment.js';
import { EXTENSION_PREFIX, LAUNCHER_PREFIX, LOGS_PATH, TELEMETRY_PATH } from './extensions.js';

const PREFIX = '/2018-06-01/runtime';
/** The most an Extensions, Telemetry or Logs API request may carry (a registration or subscription is a few hundred bytes). */
const EXTENSIONS_BODY = 64 * 1024;
const isExtensionsApi = (url: string): boolean =>
  url.startsWith(EXTENSION_PREFIX) || url.startsWith(LAUNCHER_PREFIX) || url.startsWith(TELEMETRY_PATH) || url.startsWith(LOGS_PATH);
/** AWS's limit on a response or error payload (interop.MaxPayloadSize in AWS's runtime interface emulator). */
export const MAX_PAYLOAD = 6 * 1024 * 1024 + 100;
const TOO_LARGE = `Exceeded maximum allowed payload size (${MAX_PAYLOAD} bytes).`;
/** A streamed response (AWS's runtime interface clients send it so): chunked body, error in the trailers. */
const RESPONSE_MODE = 'lambda-runtime-function-response-mode';
const TRAILER_ERROR_TYPE = 'lambda-runtime-function-error-type';
const TRAILER_ERROR_BODY = 'lambda-runtime-function-error-body';
/** The error body trailer is base64 of a JSON error: bounded like an error payload (Node also caps all headers at 16 KiB). */
const MAX_ERROR_BODY = 64 * 1024;

/** Reads a body up to `limit` bytes; past it, stops keeping bytes and answers undefined (nothing large is buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * ClientContext as a header value (printable ASCII and tabs; Node refuses the rest): a line break can only sit between
 * JSON tokens and becomes a space, any other character can only sit inside a string and becomes its \uXXXX escape. The
 * parsed value is unchanged.
 */
function asciiJson(text: string): string {
  return text.replace(/[\r\n]/g, ' ').replace(/[^\t\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every error as AWS's runtime API renders it: `{"errorMessage","errorType"}` and a trailing newline. */
function json(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = `${JSON.stringify(body)}\n`;
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** AWS's 403 for a call the runtime's state does not allow ("State transition from Ready to InitError failed…"). */
function refused(res: ServerResponse, from: string, to: string): void {
  json(res, 403, { errorMessage: `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`, errorType: 'InvalidStateTransition' });
}

const ROUTES: [RegExp, string][] = [
  [/^\/2018-06-01\/runtime\/invocation\/next$/, 'GET'],
  [/^\/2018-06-01\/runtime\/invocation\/[^/]+\/(response|error)$/, 'POST'],
  [/^\/2018-06-01\/runtime\/init\/error$/, 'POST'],
];

export class RuntimeApiServer {
  private server: Server;
  /** `next` long polls waiting for the next invocation, oldest first (AWS's emulator lets several wait, and serves the oldest). */
  private waiting: ServerResponse[] = [];
  /**
   * The invocation last handed out, by identity: an async retry runs again with the same request id, often on the same
   * warm environment, and must still be delivered.
   */
  private delivered?: Invocation;
  /** The runtime reported an init error: its state is InitError and nothing more is allowed. */
  private initErrored = false;
  /** Whether each connection comes from the environment's own processes (checked once per connection). */
  private trusted = new WeakMap<Socket, boolean>();
  private port = 0;
  /** The streamed response being received, if any (one invocation at a time). */
  private streaming?: IncomingMessage;

  constructor(private readonly env: Environment) {
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    this.server.keepAliveTimeout = 0;
    // A runtime sends small headers; Node's default (16 KiB) applies, and a slow sender is cut off.
    this.server.headersTimeout = 10_000;
    // No cap on a whole request's time: a streamed response lasts as long as its function (up to its Timeout), and an
    // extension's relayed output as long as the extension (Node's default would cut both at 300 s).
    this.server.requestTimeout = 0;
  }

  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve(`127.0.0.1:${this.port}`);
      });
    });
  }

  /** An invocation is pending: hand it to the oldest waiting long poll, if the runtime is already asking. */
  dispatch(): void {
    while (this.waiting.length) {
      const res = this.waiting.shift()!;
      if (res.destroyed || res.socket?.destroyed) continue;
      this.deliver(res);
      return;
    }
  }

  private deliver(res: ServerResponse): void {
    const inv = this.env.currentInvocation();
    // Between invocations, or after a response, `next` waits. While an invocation runs without an answer yet, AWS
    // hands the same invocation out again.
    if (!inv || (this.delivered === inv && this.env.state !== 'busy')) {
      this.waiting.push(res);
      return;
    }
    this.delivered = inv;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': inv.payload.length,
      'Lambda-Runtime-Aws-Request-Id': inv.requestId,
      'Lambda-Runtime-Deadline-Ms': this.env.deadlineMs(),
      'Lambda-Runtime-Invoked-Function-Arn': inv.invokedArn,
      'Lambda-Runtime-Trace-Id': inv.traceId ?? '',
    };
    if (inv.clientContext) headers['Lambda-Runtime-Client-Context'] = asciiJson(inv.clientContext);
    res.writeHead(200, headers);
    res.end(inv.payload);
  }

  /** Only the environment's own processes may speak for its runtime: any other local process is refused. */
  private fromEnvironment(socket: Socket): boolean {
    let ok = this.trusted.get(socket);
    if (ok === undefined) {
      ok = socket.remoteAddress === '127.0.0.1' && socket.remotePort !== undefined && this.env.owns(socket.remotePort, this.port);
      this.trusted.set(socket, ok);
    }
    return ok;
  }

  /** The runtime state's name as AWS's emulator words it. */
  private stateName(): string {
    if (this.initErrored) return 'InitError';
    if (this.env.state === 'starting') return 'Started';
    return this.env.state === 'busy' && this.env.currentInvocation() ? 'Running' : 'Ready';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.fromEnvironment(req.socket)) {
      json(res, 403, { errorMessage: 'This Runtime API serves its own execution environment only.', errorType: 'AccessDenied' }, true);
      req.socket.destroySoon();
      return;
    }
    const url = req.url ?? '';
    // The Extensions, Telemetry and Logs APIs share the runtime's address, as on Lambda (runtime/extensions.ts).
    if (!url.startsWith(PREFIX) && isExtensionsApi(url)) {
      // An extension's output, relayed by the launcher, streams for as long as the extension runs: not read whole.
      const relay = url.startsWith(`${LAUNCHER_PREFIX}log`);
      return this.env.extensionsApi(req, res, url, relay ? Buffer.alloc(0) : await readBody(req, EXTENSIONS_BODY));
    }
    const route = ROUTES.find(([re]) => re.test(url));
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('404 page not found\n');
      return;
    }
    if (req.method !== route[1]) {
      res.writeHead(405, { Allow: route[1], 'Content-Length': 0 });
      res.end();
      return;
    }
    if (req.method === 'POST' && req.headers[RESPONSE_MODE] === 'streaming' && url.endsWith('/response')) return this.stream(req, res, url);
    const body = await readBody(req, route[1] === 'GET' ? 65_536 : MAX_PAYLOAD);
    if (!this.env.servesRuntimeApi()) return this.forbidden(res);
    if (req.method === 'GET') {
      if (this.initErrored) return refused(res, 'InitError', 'Ready');
      if (this.env.state !== 'starting') return this.deliver(res);
      // The first `next` is the end of init (after the init's log lines are in).
      setImmediate(() => {
        this.env.initDone('runtime-api');
        if (!this.env.servesRuntimeApi()) return this.forbidden(res);
        this.deliver(res);
      });
      return;
    }
    await new Promise((ok) => setImmediate(ok));
    if (url === `${PREFIX}/init/error`) {
      if (this.env.state !== 'starting' || this.initErrored) return refused(res, this.stateName(), 'InitError');
      if (!body) return json(res, 413, { errorMessage: TOO_LARGE, errorType: 'RequestEntityTooLarge' }, true);
      const type = safeErrorType(req.headers['lambda-runtime-function-error-type']);
      this.initErrored = true;
      this.env.initError(type, body.length ? body : Buffer.from(JSON.stringify({ errorType: type, errorMessage: '' })));
      return json(res, 202, { status: 'OK' });
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url)!;
    let id: string;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      id = m[1];
    }
    const current = this.env.currentInvocation();
    // The request id is checked before anything else, as AWS's emulator does: an old, unknown or already answered one is a 400.
    if (!current || current.requestId !== id || this.delivered !== current) return json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    if (!body) {
      // Too large: the invoker gets AWS's Function.ResponseSizeTooLarge, the runtime a 413; nothing was kept.
      const errorType = 'Function.ResponseSizeTooLarge';
      this.env.finish(id, 'error', Buffer.from(JSON.stringify({ errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD} bytes).`, errorType })), errorType);
      return json(res, 413, { errorMessage: TOO_LARGE, errorType: 'RequestEntityTooLarge' }, true);
    }
    if (m[2] === 'response') this.env.finish(id, 'result', body);
    else {
      const type = safeErrorType(req.headers['lambda-runtime-function-error-type'], '');
      let payload = body;
      let errorType = type || 'Unhandled';
      try {
        const parsed = JSON.parse(body.toString('utf8'));
        if (parsed && typeof parsed.errorType === 'string') errorType = safeErrorType(parsed.errorType, errorType);
      } catch {
        payload = Buffer.from(JSON.stringify({ errorType, errorMessage: body.toString('utf8') }));
      }
      this.env.finish(id, 'error', payload, errorType);
    }
    return json(res, 202, { status: 'OK' });
  }

  /**
   * POST …/{id}/response with Lambda-Runtime-Function-Response-Mode: streaming: each chunk of the body goes on to the
   * invoker as it arrives (bounded by the environment's stream limit, never buffered whole); the end of the body ends
   * the invocation, with the error the trailers carry (Lambda-Runtime-Function-Error-Type, and -Error-Body: base64
   * of the JSON error) if they carry one.
   */
  private stream(req: IncomingMessage, res: ServerResponse, url: string): void {
    if (!this.env.servesRuntimeApi()) {
      req.resume();
      return this.forbidden(res);
    }
    const raw = url.slice(`${PREFIX}/invocation/`.length, -'/response'.length);
    let id: string;
    try {
      id = decodeURIComponent(raw);
    } catch {
      id = raw;
    }
    const current = this.env.currentInvocation();
    if (!current || current.requestId !== id || this.delivered !== current || this.streaming) {
      req.resume();
      return json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' }, true);
    }
    this.streaming = req;
    const contentType = req.headers['content-type'];
    this.env.streamBegin(id, contentType);
    let refused = false;
    const done = () => {
      if (this.streaming === req) this.streaming = undefined;
    };
    req.on('data', (c: Buffer) => {
      if (refused) return;
      if (!this.env.streamWrite(id, c)) {
        // Past the limit, or the invocation ended meanwhile (a timeout): nothing more of this body is read.
        refused = true;
        done();
        const tooLarge = this.env.lastStreamTooLarge === id;
        if (tooLarge) json(res, 413, { errorMessage: TOO_LARGE, errorType: 'RequestEntityTooLarge' }, true);
        else json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' }, true);
        req.destroy();
      }
    });
    req.on('end', () => {
      done();
      if (refused) return;
      // As for a buffered response: the log lines written before the end are read first.
      setImmediate(() => {
        const type = req.trailers[TRAILER_ERROR_TYPE];
        if (type === undefined || type === '') {
          this.env.streamEnd(id);
        } else {
          const errorType = safeErrorType(type, 'Unhandled');
          const b64 = req.trailers[TRAILER_ERROR_BODY] ?? '';
          let payload: Buffer = Buffer.from(b64.length <= MAX_ERROR_BODY ? b64 : '', 'base64');
          try {
            JSON.parse(payload.toString('utf8'));
          } catch {
            payload = Buffer.from(JSON.stringify({ errorType, errorMessage: payload.toString('utf8') }));
          }
          this.env.streamEnd(id, { errorType, payload });
        }
        json(res, 202, { status: 'OK' });
      });
    });
    req.on('close', done);
  }

  /** Backpressure (Environment.pauseRuntime): the streamed body is read no further until resumed. */
  pauseStream(): void {
    this.streaming?.pause();
  }

  resumeStream(): void {
    this.streaming?.resume();
  }

  /** AWS's answer to a call its runtime state does not allow; here, the environment's runtime already uses the channel. */
  private forbidden(res: ServerResponse): void {
    json(res, 403, {
      errorMessage: "State transition failed for runtime. Error: this environment's runtime is connected over Alonzo's private channel",
      errorType: 'InvalidStateTransition',
    });
  }

  close(): void {
    for (const w of this.waiting) w.destroy();
    this.waiting = [];
    this.server.closeAllConnections();
    this.server.close();
  }
}
