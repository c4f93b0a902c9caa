// GetFunction and GetFunctionConfiguration: GET /2015-03-31/functions/{fn}[/configuration].
import { renderConfiguration } from '../shapes.js';
import { refOf, resolveTarget } from '../resolve.js';
import { mismatch } from '../../runtime/interpreters.js';
import type { ApiRequest, Operation, Services } from '../context.js';

export const getFunctionConfiguration: Operation = async (s, req) => {
  const t = await resolveTarget(s, refOf(s, req, 'manage'));
  return { status: 200, json: withRuntimeVersion(s, renderConfiguration(s.account, t.version, { arnQualifier: t.alias ? t.alias.name : t.ref.qualifier })) };
};

/**
 * RuntimeVersionConfig as this node runs the runtime: the interpreter's version in the ARN, and AWS's `Error` member
 * when it is not the runtime's own (a python3.12 function on Python 3.11 says so, per function).
 */
function withRuntimeVersion(s: Services, c: Record<string, unknown>): Record<string, unknown> {
  const runtime = typeof c.Runtime === 'string' ? c.Runtime : undefined;
  const i = runtime ? s.runtimes?.get(runtime) : undefined;
  if (!runtime || !i || !c.RuntimeVersionConfig) return c;
  const config: Record<string, unknown> = { RuntimeVersionArn: `arn:aws:lambda:${s.account.region}::runtime:alonzo-${runtime}-${i.version}` };
  const why = mismatch(runtime, i);
  if (why) config.Error = { ErrorCode: 'RuntimeVersionMismatch', Message: why };
  return { ...c, RuntimeVersionConfig: config };
}

/**
 * Where the client can fetch the package: the address it reached us at (its Host header), as AWS's presigned URL is
 * always reachable by the caller; the listen address when a client sends no Host.
 */
function codeBase(s: Services, req: ApiRequest): string {
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return s.baseUrl();
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

export const getFunction: Operation = async (s, req) => {
  const t = await resolveTarget(s, refOf(s, req, 'manage'));
  const arnQualifier = t.alias ? t.alias.name : t.ref.qualifier;
  const hex = Buffer.from(t.version.codeSha256, 'base64').toString('hex');
  const out: Record<string, unknown> = {
    Configuration: withRuntimeVersion(s, renderConfiguration(s.account, t.version, { arnQualifier })),
    // A presigned URL, as AWS's S3 one is: the download needs no credentials of its own, and lapses after 10 minutes.
    Code: { RepositoryType: 'S3', Location: await s.auth.presignCodeUrl(codeBase(s, req), `/_alonzo/code/${hex}.zip`) },
  };
  if (Object.keys(t.fn.tags).length) out.Tags = t.fn.tags;
  if (t.fn.reservedConcurrency !== null) out.Concurrency = { ReservedConcurrentExecutions: t.fn.reservedConcurrency };
  return { status: 200, json: out };
};
