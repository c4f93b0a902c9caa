// UpdateFunctionCode (PUT …/code) and UpdateFunctionConfiguration (PUT …/configuration) → 200 FunctionConfiguration (InProgress).
import { err } from '../../core/errors.js';
import { LATEST } from '../../core/names.js';
import { lambdaTimestamp, newRevisionId } from '../../core/ids.js';
import { parseJsonBody, bool, str } from '../body.js';
import { readSettings } from '../settings.js';
import { renderConfiguration } from '../shapes.js';
import { preconditionFailed, settle, withUpdateLock } from '../lifecycle.js';
import { refOf, resolveTarget } from '../resolve.js';
import { readZipFile } from './code-input.js';
import { publishLatest } from './publish-version.js';
import type { Operation } from '../context.js';
import type { VersionRecord } from '../../store/types.js';

function unqualified(ref: { qualifier?: string }): void {
  if (ref.qualifier !== undefined && ref.qualifier !== LATEST) {
    throw err('InvalidParameterValueException', 'Current operation does not support versions other than $LATEST. Please set version to $LATEST or do not set a version in your request.');
  }
}

export const updateFunctionCode: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  unqualified(ref);
  const body = parseJsonBody(req.body);
  const zip = readZipFile(body);
  const publish = bool(body, 'Publish') ?? false;
  const dryRun = bool(body, 'DryRun') ?? false;
  const revision = str(body, 'RevisionId');
  const { version: cur } = await resolveTarget(s, { ...ref, qualifier: undefined });
  if (revision !== undefined && revision !== cur.revisionId) throw preconditionFailed();
  let settings = cur.settings;
  if (body.Architectures !== undefined) settings = readSettings({ Architectures: body.Architectures }, settings, cur.functionName);
  return withUpdateLock(s, cur.functionName, async () => {
    const stored = await s.code.save(zip);
    if (dryRun) return { status: 200, json: renderConfiguration(s.account, { ...cur, codeSha256: stored.sha256, codeSize: stored.size }) };
    const next: VersionRecord = {
      ...cur,
      settings,
      codeSha256: stored.sha256,
      codeSize: stored.size,
      lastUpdateStatus: 'InProgress',
      revisionId: newRevisionId(),
      lastModified: lambdaTimestamp(),
    };
    if (!(await s.store.putVersion(next, cur.revisionId))) throw preconditionFailed();
    s.invoker.evict(cur.functionName, LATEST);
    if (publish) {
      await settle(s, next);
      const published = await publishLatest(s, cur.functionName, {});
      return { status: 200, json: renderConfiguration(s.account, published, { arnQualifier: published.version, pending: 'create' }) };
    }
    setImmediate(() => void settle(s, next).catch(() => undefined));
    return { status: 200, json: renderConfiguration(s.account, next, { pending: 'update' }) };
  });
};

export const updateFunctionConfiguration: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  unqualified(ref);
  const body = parseJsonBody(req.body);
  const { version: cur } = await resolveTarget(s, { ...ref, qualifier: undefined });
  const settings = readSettings(body, cur.settings, cur.functionName);
  const revision = str(body, 'RevisionId');
  if (revision !== undefined && revision !== cur.revisionId) throw preconditionFailed();
  return withUpdateLock(s, cur.functionName, async () => {
    const next: VersionRecord = { ...cur, settings, lastUpdateStatus: 'InProgress', revisionId: newRevisionId(), lastModified: lambdaTimestamp() };
    if (!(await s.store.putVersion(next, cur.revisionId))) throw preconditionFailed();
    s.invoker.evict(cur.functionName, LATEST);
    setImmediate(() => void settle(s, next).catch(() => undefined));
    return { status: 200, json: renderConfiguration(s.account, next, { pending: 'update' }) };
  });
};
