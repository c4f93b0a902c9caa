// The CLI's HTTP client: every command talks to the server through the Lambda HTTP API, never to the store, and signs with SigV4.
//
// Credentials: ALONZO_ACCESS_KEY_ID / ALONZO_SECRET_ACCESS_KEY, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN), else `test`/`test`, which a server in local mode accepts. The region is ALONZO_REGION,
// AWS_REGION or AWS_DEFAULT_REGION, else us-east-1. (The SDK's whole provider chain — profiles, SSO, IMDS — would
// add a dependency and, with nothing configured, a metadata-service probe to every command.)
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../auth/sigv4.js';
import { UserError } from './args.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

function signerFromEnv(env: NodeJS.ProcessEnv = process.env, given?: Credentials): SignatureV4 {
  const region = env.ALONZO_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  if (given) return new SignatureV4({ service: 'lambda', region, credentials: given, sha256: NodeSha256 });
  const accessKeyId = env.ALONZO_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || 'test';
  const secretAccessKey = (env.ALONZO_ACCESS_KEY_ID ? env.ALONZO_SECRET_ACCESS_KEY : env.AWS_SECRET_ACCESS_KEY) || 'test';
  const sessionToken = env.ALONZO_ACCESS_KEY_ID ? undefined : env.AWS_SESSION_TOKEN || undefined;
  return new SignatureV4({ service: 'lambda', region, credentials: { accessKeyId, secretAccessKey, sessionToken }, sha256: NodeSha256 });
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export class ApiClient {
  private readonly signer: SignatureV4;

  /** `credentials`: sign with these rather than the environment's (`alonzo dev` signs with the key it started its server with). */
  constructor(
    readonly endpoint: string,
    credentials?: Credentials,
  ) {
    this.signer = signerFromEnv(process.env, credentials);
  }

  /** The request's headers with SigV4's (Authorization, X-Amz-Date, X-Amz-Content-Sha256) added. */
  private async sign(method: string, url: URL, body: Buffer | string | undefined, headers: Record<string, string>): Promise<Record<string, string>> {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    });
    const { host: _host, ...out } = signed.headers;
    return out;
  }

  async call(method: string, path: string, opts: { body?: Buffer | string; headers?: Record<string, string>; operation: string }): Promise<ApiResponse> {
    let res: Response;
    let url: URL;
    try {
      url = new URL(`${this.endpoint}${path}`);
    } catch {
      throw new UserError(`--endpoint-url ${this.endpoint} is not a URL.`, 'Write it as http://HOST:PORT.');
    }
    const headers = await this.sign(method, url, opts.body, opts.headers ?? {});
    try {
      res = await fetch(url, { method, body: opts.body as BodyInit | undefined, headers });
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
