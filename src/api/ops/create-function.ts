// CreateFunction: POST /2015-03-31/functions → 201 FunctionConfiguration (State Pending).
import { err, validation } from '../../core/errors.js';
import { parseFunctionName, LATEST } from '../../core/names.js';
import { lambdaTimestamp, newRevisionId } from '../../core/ids.js';
import { parseJsonBody, obj, str, bool } from '../body.js';
import { defaultSettings, readSettings, runtimeFamily } from '../settings.js';
import { renderConfiguration } from '../shapes.js';
import { settle, updating } from '../lifecycle.js';
import { readZipFile } from './code-input.js';
import type { Operation } from '../context.js';
import type { VersionRecord } from '../../store/types.js';

export const createFunction: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const rawName = str(body, 'FunctionName');
  if (rawName === undefined) throw validation('null', 'functionName', 'Member must not be null');
  const ref = parseFunctionName(rawName, s.account, 'create');
  const name = ref.name;
  if (str(body, 'Role') === undefined) throw validation('null', 'role', 'Member must not be null');
  const code = obj(body, 'Code');
  if (code === undefined) throw validation('null', 'code', 'Member must not be null');
  const packageType = str(body, 'PackageType') ?? 'Zip';
  if (packageType !== 'Zip') throw err('InvalidParameterValueException', 'Alonzo runs Zip packages only; container images (PackageType Image) are not supported.');
  const settings = readSettings(body, defaultSettings(name), name);
  if (!settings.Runtime || !settings.Handler) {
    if (runtimeFamily(settings.Runtime) !== 'provided' || !settings.Runtime) {
      throw err('InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    }
  }
  const tags = (obj(body, 'Tags') ?? {}) as Record<string, string>;
  const publish = bool(body, 'Publish') ?? false;
  const zip = readZipFile(code);
  if (await s.store.getFunction(name)) throw err('ResourceConflictException', `Function already exist: ${name}`);
  const set = updating(s);
  if (set.has(name)) throw err('ResourceConflictException', `Function already exist: ${name}`);
  set.add(name);
  try {
    const stored = await s.code.save(zip);
    const now = lambdaTimestamp();
    const latest: VersionRecord = {
      functionName: name,
      version: LATEST,
      settings,
      codeSha256: stored.sha256,
      codeSize: stored.size,
      state: 'Pending',
      revisionId: newRevisionId(),
      lastModified: now,
    };
    const versions = [latest];
    if (publish) versions.push({ ...latest, settings: { ...settings, publishedFrom: now } as typeof settings, version: '1', revisionId: newRevisionId() });
    const created = await s.store.createFunction(
      { name, nextVersion: publish ? 2 : 1, tags, reservedConcurrency: null, createdAt: now },
      versions,
    );
    if (!created) throw err('ResourceConflictException', `Function already exist: ${name}`);
    setImmediate(() => {
      for (const v of versions) settle(s, v).catch((e) => s.log.error('function:settle-failed', { fn: name, error: String(e) }));
    });
    return { status: 201, json: renderConfiguration(s.account, latest, { pending: 'create' }) };
  } finally {
    set.delete(name);
  }
};
