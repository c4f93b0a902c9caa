// CreateFunction: POST /2015-03-31/functions → 201 FunctionConfiguration (State Pending).
import { err, validation } from '../../core/errors.js';
import { parseFunctionName, LATEST } from '../../core/names.js';
import { lambdaTimestamp, newRevisionId } from '../../core/ids.js';
import { parseJsonBody, obj, str, bool, notNull, stringMap, validations } from '../body.js';
import { checkRoleAccount, defaultSettings, readSettings } from '../settings.js';
import { runtimeFamily } from '../../core/runtimes.js';
import { renderConfiguration } from '../shapes.js';
import { settledWrite } from '../lifecycle.js';
import { readCode } from './code-input.js';
import { TAG_LIMIT, tagsProblem, tooManyTags } from './tags.js';
import { layersSize, resolveLayers } from './layers.js';
import { checkCombinedSize, unzippedSizeOf } from '../../code/index.js';
import type { Operation } from '../context.js';

export const createFunction: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const rawName = str(body, 'FunctionName');
  if (rawName === undefined) throw notNull('functionName');
  const ref = parseFunctionName(rawName, s.account, 'create');
  const name = ref.name;
  if (str(body, 'Role') === undefined) throw notNull('role');
  const code = obj(body, 'Code');
  if (code === undefined) throw notNull('code');
  const packageType = str(body, 'PackageType') ?? 'Zip';
  if (packageType !== 'Zip' && packageType !== 'Image') throw validation(packageType, 'packageType', 'Member must satisfy enum value set: [Image, Zip]');
  if (packageType !== 'Zip') throw err('InvalidParameterValueException', 'Alonzo runs Zip packages only; container images (PackageType Image) are not supported.');
  const settings = readSettings(body, defaultSettings(name), name);
  checkRoleAccount(s, settings.Role);
  if (!settings.Runtime || !settings.Handler) {
    if (runtimeFamily(settings.Runtime) !== 'provided' || !settings.Runtime) {
      throw err('InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    }
  }
  if (body.Layers !== undefined && body.Layers !== null) {
    const layers = await resolveLayers(s, req, body.Layers);
    if (layers.length) settings.Layers = layers;
  }
  const tags = stringMap(body, 'Tags') ?? {};
  const tagProblem = tagsProblem(tags);
  if (tagProblem) throw validations([tagProblem]);
  if (Object.keys(tags).length > TAG_LIMIT) throw tooManyTags();
  const publish = bool(body, 'Publish') ?? false;
  const input = await readCode(s, code);
  if (settings.Layers?.length) checkCombinedSize((await unzippedSizeOf(input.zip)) + (await layersSize(s, settings.Layers)));
  if (await s.store.getFunction(name)) throw err('ResourceConflictException', `Function already exist: ${name}`);
  const unlock = await s.store.tryLock(name);
  if (!unlock) throw err('ResourceConflictException', `Function already exist: ${name}`);
  try {
    const pkg = await s.code.save(input.zip, input.maxZipped);
    const now = lambdaTimestamp();
    const { stored: latest, answered } = settledWrite({
      functionName: name,
      version: LATEST,
      settings,
      codeSha256: pkg.sha256,
      codeSize: pkg.size,
      state: 'Pending',
      revisionId: newRevisionId(),
      lastModified: now,
    });
    const versions = [latest];
    if (publish) versions.push({ ...latest, settings: { ...settings, publishedFrom: latest.revisionId } as typeof settings, version: '1', revisionId: newRevisionId() });
    const created = await s.store.createFunction(
      { name, nextVersion: publish ? 2 : 1, tags, reservedConcurrency: null, createdAt: now, recursiveLoop: null },
      versions,
    );
    if (!created) throw err('ResourceConflictException', `Function already exist: ${name}`);
    const json = renderConfiguration(s.account, answered, { pending: 'create' });
    // With Publish, AWS answers $LATEST's configuration (unqualified ARN) but with Version "1" (oracle test_list_functions, create_response_1).
    if (publish) json.Version = '1';
    return { status: 201, json };
  } finally {
    await unlock();
  }
};
