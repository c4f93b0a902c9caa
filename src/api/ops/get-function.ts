// GetFunction and GetFunctionConfiguration: GET /2015-03-31/functions/{fn}[/configuration].
import { renderConfiguration } from '../shapes.js';
import { refOf, resolveTarget } from '../resolve.js';
import type { Operation } from '../context.js';

export const getFunctionConfiguration: Operation = async (s, req) => {
  const t = await resolveTarget(s, refOf(s, req, 'manage'));
  return { status: 200, json: renderConfiguration(s.account, t.version, { arnQualifier: t.alias ? t.alias.name : t.ref.qualifier }) };
};

export const getFunction: Operation = async (s, req) => {
  const t = await resolveTarget(s, refOf(s, req, 'manage'));
  const arnQualifier = t.alias ? t.alias.name : t.ref.qualifier;
  const hex = Buffer.from(t.version.codeSha256, 'base64').toString('hex');
  const out: Record<string, unknown> = {
    Configuration: renderConfiguration(s.account, t.version, { arnQualifier }),
    Code: { RepositoryType: 'S3', Location: `${s.baseUrl()}/_alonzo/code/${hex}.zip` },
  };
  if (Object.keys(t.fn.tags).length) out.Tags = t.fn.tags;
  if (t.fn.reservedConcurrency !== null) out.Concurrency = { ReservedConcurrentExecutions: t.fn.reservedConcurrency };
  return { status: 200, json: out };
};
