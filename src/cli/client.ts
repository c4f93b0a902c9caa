// The CLI's HTTP client: every command talks to the server through the Lambda HTTP API, never to the store.
import { UserError } from './args.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export class ApiClient {
  constructor(readonly endpoint: string) {}

  async call(method: string, path: string, opts: { body?: Buffer | string; headers?: Record<string, string>; operation: string }): Promise<ApiResponse> {
    let res: Response;
    try {
      res = await fetch(`${this.endpoint}${path}`, { method, body: opts.body as BodyInit | undefined, headers: opts.headers });
    } catch (e) {
      throw new UserError(`Could not reach Alonzo at ${this.endpoint} (${(e as Error).cause ?? (e as Error).message}).`, 'Start it with `npx alonzo serve`, or pass --endpoint-url.');
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status >= 400) {
      const code = res.headers.get('x-amzn-errortype') ?? 'Unknown';
      let message = body.toString();
      try {
        const j = JSON.parse(message);
        message = j.message ?? j.Message ?? message;
      } catch {
        // not JSON
      }
      throw new ApiError(code, message, opts.operation);
    }
    return { status: res.status, headers: res.headers, body };
  }

  async json(method: string, path: string, operation: string, body?: unknown): Promise<any> {
    const r = await this.call(method, path, { operation, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    return r.body.length ? JSON.parse(r.body.toString()) : undefined;
  }
}

/** A service error, printed as the AWS CLI prints it. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly operation: string) {
    super(message);
  }
}

export const fnPath = (name: string): string => `/2015-03-31/functions/${encodeURIComponent(name)}`;
