// UpdateFunctionCode (PUT …/code) and UpdateFunctionConfiguration (PUT …/configuration) → 200 FunctionConfiguration (InProgress).
import { err } from '../../core/errors.js';
import { LATEST } from '../../core/names.js';
import { lambdaTimestamp, newRevisionId } from '../../core/ids.js';
import { parseJsonBody, bool, str } from '../body.js';
import { checkRoleAccount, readSettings } from '../settings.js';
import { layersSize, resolveLayers } from './layers.js';
import { checkCombinedSize, unzippedSizeOf } from '../../code/index.js';
import { renderConfiguration } from '../shapes.js';
import { preconditionFailed, settledWrite, withUpdateLock } from '../lifecycle.js';
import { refOf, resolveTarget, notFound } from '../resolve.js';
import { readCode } from './code-input.js';
import { publishLatest } from './publish-version.js';
import type { Operation } from '../context.js';

function unqualified(ref: { qualifier?: string }): void {
  if (ref.qualifier !== undefined && ref.qualifier !== LATEST) {
    throw err('InvalidParameterValueException', 'Current operation does not support versions other than $LATEST. Please set version to $LATEST or do not set a version in your request.');
  }
}

export const updateFunctionCode: Operation = async (s, req) => {
  const ref = refOf(s, req, 'strict');
  unqualified(ref);
  const body = parseJsonBody(req.body);
  const input = await readCode(s, body);
  const publish = bool(body, 'Publish') ?? false;
  const dryRun = bool(body, 'DryRun') ?? false;
  const revision = str(body, 'RevisionId');
  const { version: seen } = await resolveTarget(s, { ...ref, qualifier: undefined });
  const name = seen.functionName;
  if (body.Architectures !== undefined) readSettings({ Architectures: body.Architectures }, seen.settings, name);
  return withUpdateLock(s, name, async () => {
    // Re-read under the lock: the function may have changed since the request was parsed.
    const cur = await s.store.getVersion(name, LATEST);
    if (!cur) throw notFound(s, name);
    if (revision !== undefined && revision !== cur.revisionId) throw preconditionFailed();
    const settings = body.Architectures !== undefined ? readSettings({ Architectures: body.Architectures }, cur.settings, name) : cur.settings;
    if (settings.Layers?.length) checkCombinedSize((await unzippedSizeOf(input.zip)) + (await layersSize(s, settings.Layers)));
    const pkg = await s.code.save(input.zip, input.maxZipped);
    if (dryRun) return { status: 200, json: renderConfiguration(s.account, { ...cur, settings, codeSha256: pkg.sha256, codeSize: pkg.size }) };
    const { stored, answered } = settledWrite({
      ...cur,
      settings,
      codeSha256: pkg.sha256,
      codeSize: pkg.size,
      lastUpdateStatus: 'InProgress',
      revisionId: newRevisionId(),
      lastModified: lambdaTimestamp(),
    });
    if (!(await s.store.putVersion(stored, cur.revisionId))) throw preconditionFailed();
    s.invoker.evict(name, LATEST);
    if (publish) {
      // AWS answers with the new version, still Pending, under its qualified ARN (oracle test_publish_with_update).
      const published = await publishLatest(s, name, {});
      return { status: 200, json: renderConfiguration(s.account, published, { arnQualifier: published.version, pending: 'create' }) };
    }
    return { status: 200, json: renderConfiguration(s.account, answered, { pending: 'update' }) };
  });
};

export const updateFunctionConfiguration: Operation = async (s, req) => {
  const ref = refOf(s, req, 'strict');
  unqualified(ref);
  const body = parseJsonBody(req.body);
  const revision = str(body, 'RevisionId');
  const { version: seen } = await resolveTarget(s, { ...ref, qualifier: undefined });
  const name = seen.functionName;
  // Validated in full before anything is written.
  const next = readSettings(body, seen.settings, name);
  if (body.Role !== undefined) checkRoleAccount(s, next.Role);
  const layers = body.Layers !== undefined && body.Layers !== null ? await resolveLayers(s, req, body.Layers) : undefined;
  return withUpdateLock(s, name, async () => {
    const cur = await s.store.getVersion(name, LATEST);
    if (!cur) throw notFound(s, name);
    if (revision !== undefined && revision !== cur.revisionId) throw preconditionFailed();
    const settings = readSettings(body, cur.settings, name);
    if (layers !== undefined) {
      if (layers.length) settings.Layers = layers;
      else delete settings.Layers;
    }
    if (layers?.length) checkCombinedSize((await s.code.unzippedSize(Buffer.from(cur.codeSha256, 'base64').toString('hex'))) + (await layersSize(s, layers)));
    const { stored, answered } = settledWrite({ ...cur, settings, lastUpdateStatus: 'InProgress', revisionId: newRevisionId(), lastModified: lambdaTimestamp() });
    if (!(await s.store.putVersion(stored, cur.revisionId))) throw preconditionFailed();
    s.invoker.evict(name, LATEST);
    return { status: 200, json: renderConfiguration(s.account, answered, { pending: 'update' }) };
  });
};
