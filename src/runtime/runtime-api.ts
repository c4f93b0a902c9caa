// The Lambda Runtime API (2018-06-01) served to one environment whose runtime is its own `bootstrap` (provided.al2, provided.al2023).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Environment } from './environment.js';

const PREFIX = '/2018-06-01/runtime';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
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
  private delivered?: string;

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
    if (!inv || this.delivered === inv.requestId) {
      this.waiting = res;
      return;
    }
    this.delivered = inv.requestId;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': inv.payload.length,
      'Lambda-Runtime-Aws-Request-Id': inv.requestId,
      'Lambda-Runtime-Deadline-Ms': this.env.deadlineMs(),
      'Lambda-Runtime-Invoked-Function-Arn': inv.invokedArn,
      'Lambda-Runtime-Trace-Id': inv.traceId ?? '',
    };
    if (inv.clientContext) headers['Lambda-Runtime-Client-Context'] = inv.clientContext;
    res.writeHead(200, headers);
    res.end(inv.payload);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const body = await readBody(req);
    if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
      // The first `next` is the end of init.
      if (this.env.state === 'starting') this.env.initDone();
      this.deliver(res);
      return;
    }
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

  close(): void {
    this.waiting?.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}
