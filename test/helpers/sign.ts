// The credentials the tests sign with, and a fetch that signs its request with SigV4 (@smithy/signature-v4) as SDK v3 does.
//
// ALONZO_TEST_AUTH=sigv4 runs a suite against servers in sigv4 mode: startAlonzo then configures a root key and every
// client and raw helper signs with it; otherwise servers run in local mode and the clients sign with `test`/`test`.
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/auth/sigv4.js';

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export const SIGV4_SUITE = process.env.ALONZO_TEST_AUTH === 'sigv4';

/** The root key a sigv4-mode test server is started with. */
export const ROOT_KEY: TestCredentials = { accessKeyId: 'ALZKTESTROOT00000001', secretAccessKey: 'test-root-secret/0123456789abcdefghijklmnopq' };

/** What the clients sign with by default: the root key in a sigv4 suite, LocalStack's `test`/`test` otherwise. */
export const CREDENTIALS: TestCredentials = SIGV4_SUITE ? ROOT_KEY : { accessKeyId: 'test', secretAccessKey: 'test' };

export interface SignOptions {
  credentials?: TestCredentials;
  region?: string;
  /** Sign as if the clock said this (an expired or future signature). */
  signingDate?: Date;
}

/** The method, URL and headers of a request signed with SigV4 for `lambda`, ready for fetch. */
export async function signRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
  opts: SignOptions = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({ service: 'lambda', region: opts.region ?? 'us-east-1', credentials: opts.credentials ?? CREDENTIALS, sha256: NodeSha256 });
  const signed = await signer.sign(
    {
      method: init.method ?? 'GET',
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      // The path as it goes on the wire (already percent-encoded); the signer encodes it once more, as AWS does.
      path: u.pathname,
      query,
      headers: { ...(init.headers ?? {}), host: u.host },
      body: init.body,
    },
    { signingDate: opts.signingDate },
  );
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

/** fetch, with the request signed first. */
export async function signedFetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}, opts: SignOptions = {}): Promise<Response> {
  const headers = await signRequest(url, init, opts);
  return fetch(url, { method: init.method ?? 'GET', headers, body: init.body as BodyInit | undefined });
}
