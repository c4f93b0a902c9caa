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
import type { AddressInfo } from 'node:net';
import type { Environment, Invocation } from './environment.js';

const PREFIX = '/2018-06-01/runtime';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
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

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export class RuntimeApiServer {
  private server: Server;
  /** A `next` long poll waiting for the next invocation. */
  private waiting?: ServerResponse;
  /**
   * The invocation last handed out, by identity: an async retry runs again with the same request id, often on the same
   * warm environment, and must still be delivered.
   */
  private delivered?: Invocation;

  constructor(private readonly env: Environment) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 0;
  }

  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(this.server.address() as AddressInfo).port}`));
    });
  }

  /** An invocation is pending: hand it to the waiting long poll, if the runtime is already asking. */
  dispatch(): void {
    if (this.waiting) {
      const res = this.waiting;
      this.waiting = undefined;
      this.deliver(res);
    }
  }

  private deliver(res: ServerResponse): void {
    const inv = this.env.currentInvocation();
    if (!inv || this.delivered === inv) {
      this.waiting = res;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const body = await readBody(req);
    if (!this.env.servesRuntimeApi()) return this.forbidden(res);
    if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
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
    if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
      const type = String(req.headers['lambda-runtime-function-error-type'] ?? 'Runtime.Unknown');
      this.env.initError(type, body.length ? body : Buffer.from(JSON.stringify({ errorType: type, errorMessage: '' })));
      return json(res, 202, { status: 'OK' });
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && m) {
      const id = decodeURIComponent(m[1]);
      let ok: boolean;
      if (m[2] === 'response') ok = this.env.finish(id, 'result', body);
      else {
        const type = String(req.headers['lambda-runtime-function-error-type'] ?? '');
        let payload = body;
        let errorType = type || 'Unhandled';
        try {
          const parsed = JSON.parse(body.toString('utf8'));
          if (parsed && typeof parsed.errorType === 'string') errorType = parsed.errorType;
        } catch {
          payload = Buffer.from(JSON.stringify({ errorType, errorMessage: body.toString('utf8') }));
        }
        ok = this.env.finish(id, 'error', payload, errorType);
      }
      if (!ok) return json(res, 400, { errorMessage: `Invalid request ID: ${id}`, errorType: 'InvalidRequestID' });
      return json(res, 202, { status: 'OK' });
    }
    json(res, 404, { errorMessage: `Unknown Runtime API path: ${req.method} ${url}`, errorType: 'InvalidPath' });
  }

  /** AWS's answer to a call its runtime state does not allow; here, the environment's runtime already uses the channel. */
  private forbidden(res: ServerResponse): void {
    json(res, 403, {
      errorMessage: "State transition failed for runtime. Error: this environment's runtime is connected over Alonzo's private channel",
      errorType: 'InvalidStateTransition',
    });
  }

  close(): void {
    this.waiting?.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}
