// Lambda layers: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions, DeleteLayerVersion, and a
// version's resource-based policy (Add/RemoveLayerVersionPermission, GetLayerVersionPolicy), at AWS's 2018-10-31 paths.
//
// Shapes, messages and orders are AWS's (reference/aws-oracle/api-layers.snapshot.json). A layer's zip is stored like
// function code (content-addressed, verified, in the blob store every node shares); the function side (`Layers` on
// CreateFunction and UpdateFunctionConfiguration) is resolveLayers below, and the runtime side merges the versions
// under /opt (code/layers.ts).
import { err, validation, type ServiceError } from '../../core/errors.js';
import { lambdaTimestamp, newRevisionId } from '../../core/ids.js';
import { parseJsonBody, str, obj, notNull, validations } from '../body.js';
import { encodeMarker, decodeMarker } from '../../store/rows.js';
import { readCode } from './code-input.js';
import { DEPRECATED_RUNTIMES, RUNTIME_ENUM } from '../settings.js';
import type { LayerRef, LayerStore, LayerVersionRecord } from '../../store/types.js';
import type { ApiRequest, Operation, Services } from '../context.js';

const LAYER_NAME_PATTERN = '(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+';
/** A layer version's ARN, as GetLayerVersionByArn and a function's `Layers` take it. */
export const LAYER_VERSION_ARN_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)';
const LAYER_VERSION_ARN_RE = new RegExp(`^(?:${LAYER_VERSION_ARN_PATTERN})$`);
/** ListLayers' and ListLayerVersions' CompatibleRuntime filter takes this (historical) enum, in AWS's order. */
const LIST_RUNTIME_ENUM = [
  'ruby3.5', 'ruby2.6', 'dotnetcore1.0', 'python3.7', 'nodejs8.10', 'nasa', 'ruby2.7', 'python2.7-greengrass', 'dotnetcore2.0', 'python3.8', 'java21',
  'dotnet6', 'dotnetcore2.1', 'python3.9', 'java11', 'nodejs6.10', 'provided', 'dotnetcore3.1', 'dotnet8', 'java25', 'java17', 'nodejs', 'nodejs4.3',
  'java8.al2', 'go1.x', 'dotnet10', 'nodejs20.x', 'go1.9', 'byol', 'nodejs10.x', 'provided.al2023', 'nodejs22.x', 'python3.10', 'java8', 'nodejs12.x',
  'python3.11', 'nodejs24.x', 'nodejs8.x', 'python3.12', 'nodejs14.x', 'nodejs8.9', 'nodejs26.x', 'python3.13', 'python3.14', 'nodejs16.x', 'python3.15',
  'provided.al2', 'nodejs4.3-edge', 'nodejs18.x', 'ruby3.2', 'python3.4', 'ruby3.3', 'ruby3.4', 'ruby2.5', 'python3.6', 'python2.7',
];
const ARCHITECTURES = ['x86_64', 'arm64'];
const NO_SUCH = 'The resource you requested does not exist.';
const MAX_LAYERS = 5;

export const layerArn = (region: string, accountId: string, name: string): string => `arn:aws:lambda:${region}:${accountId}:layer:${name}`;

/** The layer a request names (`{layer}`: a name or a layer ARN) and the account whose layer it is. */
interface LayerTarget {
  accountId: string;
  name: string;
  layers: LayerStore;
}

function targetOf(s: Services, raw: string): LayerTarget {
  if (raw.length > 140) throw validation(raw, 'layerName', 'Member must have length less than or equal to 140');
  if (!new RegExp(`^(?:${LAYER_NAME_PATTERN})$`).test(raw)) throw validation(raw, 'layerName', `Member must satisfy regular expression pattern: ${LAYER_NAME_PATTERN}`);
  if (!raw.startsWith('arn:')) return { accountId: s.account.accountId, name: raw, layers: s.store.layers };
  const [, , , region, accountId, , name] = raw.split(':');
  if (region !== s.account.region) throw err('ResourceNotFoundException', NO_SUCH);
  return { accountId, name, layers: s.store.forAccount(accountId).layers };
}

/** The `{version}` path segment: AWS's message for 0 and negatives, a 404 for what is not a number. */
function versionOf(raw: string): number {
  const n = Number(raw);
  if (!/^-?[0-9]+$/.test(raw)) throw err('ResourceNotFoundException', NO_SUCH);
  if (n < 1) throw err('InvalidParameterValueException', 'Layer Version Cannot be less than 1');
  return n;
}

/**
 * Another account's layer is readable only as its version's policy allows (`lambda:GetLayerVersion` to `*` or to the
 * caller's account); the other operations on it are its owner's alone. Refused: AWS's AccessDenied.
 */
async function mayRead(s: Services, t: LayerTarget, version: number, callerAccount: string): Promise<boolean> {
  if (t.accountId === callerAccount) return true;
  const policy = await t.layers.getPolicy(t.name, version);
  return grants(policy?.statements ?? [], callerAccount);
}

/** Whether a layer version's statements let `accountId` use it (GetLayerVersion, or a function's `Layers`). */
export function grants(statements: Record<string, unknown>[], accountId: string): boolean {
  return statements.some((st) => {
    if (st.Effect !== 'Allow' || st.Action !== 'lambda:GetLayerVersion') return false;
    const p = st.Principal as unknown;
    return p === '*' || (typeof p === 'object' && p !== null && (p as { AWS?: unknown }).AWS === `arn:aws:iam::${accountId}:root`);
  });
}

const denied = (s: Services, req: ApiRequest, t: LayerTarget, version: number | undefined, action: string) =>
  err(
    'AccessDeniedException',
    `User: ${req.callerArn ?? `arn:aws:iam::${s.account.accountId}:root`} is not authorized to perform: ${action} on resource: ${layerArn(s.account.region, t.accountId, t.name)}${version === undefined ? '' : `:${version}`} because no resource-based policy allows the ${action} action`,
  );

/** Where the layer's zip can be fetched (Content.Location): a presigned URL of this server, as GetFunction's Code.Location. */
async function locationOf(s: Services, req: ApiRequest, hex: string): Promise<string> {
  const host = req.headers.host;
  const base = host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? `http://${host}` : s.baseUrl();
  return s.auth.presignCodeUrl(base, `/_alonzo/code/${hex}.zip`);
}

/** A LayerVersionsListItem: no LayerArn and no Content; the full shape (renderVersion) adds them. */
function listItem(region: string, accountId: string, r: LayerVersionRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    LayerVersionArn: `${layerArn(region, accountId, r.layerName)}:${r.version}`,
    Version: r.version,
    Description: r.description,
    CreatedDate: r.createdDate,
  };
  if (r.compatibleRuntimes) out.CompatibleRuntimes = r.compatibleRuntimes;
  if (r.licenseInfo !== undefined) out.LicenseInfo = r.licenseInfo;
  if (r.compatibleArchitectures) out.CompatibleArchitectures = r.compatibleArchitectures;
  return out;
}

async function renderVersion(s: Services, req: ApiRequest, accountId: string, r: LayerVersionRecord): Promise<Record<string, unknown>> {
  return {
    ...listItem(s.account.region, accountId, r),
    Content: { Location: await locationOf(s, req, r.codeHex), CodeSha256: r.codeSha256, CodeSize: r.codeSize },
    LayerArn: layerArn(s.account.region, accountId, r.layerName),
  };
}

/** A string list member: undefined when absent; AWS's message for a member of the wrong type. */
function stringList(body: Record<string, unknown>, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw err('InvalidRequestContentException', `Could not parse request body into json: ${key} must be a list of strings`);
  return v as string[];
}

export const publishLayerVersion: Operation = async (s, req) => {
  const t = targetOf(s, req.params.layer);
  if (t.accountId !== s.account.accountId) throw denied(s, req, t, undefined, 'lambda:PublishLayerVersion');
  const body = parseJsonBody(req.body);
  const content = obj(body, 'Content');
  const description = str(body, 'Description') ?? '';
  const license = str(body, 'LicenseInfo');
  const runtimes = stringList(body, 'CompatibleRuntimes');
  const architectures = stringList(body, 'CompatibleArchitectures');
  const failed: string[] = [];
  if (content === undefined) failed.push(`Value null at 'content' failed to satisfy constraint: Member must not be null`);
  if (description.length > 256) failed.push(`Value '${description}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256`);
  if (license !== undefined && license.length > 512) failed.push(`Value '${license}' at 'licenseInfo' failed to satisfy constraint: Member must have length less than or equal to 512`);
  // Deprecated runtimes are not in the enum AWS quotes, yet publishing with them succeeds (oracle test_layer_compatibilities).
  if (runtimes && runtimes.some((r) => !RUNTIME_ENUM.includes(r) && !DEPRECATED_RUNTIMES.includes(r))) {
    failed.push(`Value '[${runtimes.join(', ')}]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [${RUNTIME_ENUM.join(', ')}]`);
  } else if (runtimes && runtimes.length > 15) {
    failed.push(`Value '[${runtimes.join(', ')}]' at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to 15`);
  }
  if (architectures && architectures.some((a) => !ARCHITECTURES.includes(a))) {
    failed.push(
      `Value '[${architectures.join(', ')}]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${ARCHITECTURES.join(', ')}], Member must not be null]`,
    );
  } else if (architectures && architectures.length > 2) {
    failed.push(`Value '[${architectures.join(', ')}]' at 'compatibleArchitectures' failed to satisfy constraint: Member must have length less than or equal to 2`);
  }
  if (failed.length) throw validations(failed);
  const input = await readCode(s, content!, 'Content');
  const pkg = await s.code.save(input.zip, input.maxZipped);
  const rec: Omit<LayerVersionRecord, 'version'> = {
    layerName: t.name,
    description,
    codeSha256: pkg.sha256,
    codeHex: pkg.hex,
    codeSize: pkg.size,
    createdDate: lambdaTimestamp(),
  };
  if (license !== undefined) rec.licenseInfo = license;
  if (runtimes) rec.compatibleRuntimes = runtimes;
  if (architectures) rec.compatibleArchitectures = architectures;
  const version = await t.layers.publish(rec);
  return { status: 201, json: await renderVersion(s, req, t.accountId, { ...rec, version }) };
};

export const getLayerVersion: Operation = async (s, req) => {
  const t = targetOf(s, req.params.layer);
  const version = versionOf(req.params.version);
  const r = await t.layers.get(t.name, version);
  if (!(await mayRead(s, t, version, s.account.accountId))) throw denied(s, req, t, version, 'lambda:GetLayerVersion');
  if (!r) throw err('ResourceNotFoundException', NO_SUCH);
  return { status: 200, json: await renderVersion(s, req, t.accountId, r) };
};

/** GetLayerVersionByArn: GET /2018-10-31/layers?find=LayerVersion&Arn=… (ListLayers' path, told apart by `find`). */
async function getLayerVersionByArn(s: Services, req: ApiRequest): Promise<{ status: number; json: unknown }> {
  const arn = req.query.get('Arn');
  if (arn === null) throw notNull('arn');
  if (arn.length > 140 || !LAYER_VERSION_ARN_RE.test(arn)) throw validation(arn, 'arn', `Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN_PATTERN}`);
  const parts = arn.split(':');
  const t = targetOf(s, parts.slice(0, 7).join(':'));
  const version = versionOf(parts[7]);
  const r = await t.layers.get(t.name, version);
  if (!(await mayRead(s, t, version, s.account.accountId))) throw denied(s, req, t, version, 'lambda:GetLayerVersion');
  if (!r) throw err('ResourceNotFoundException', NO_SUCH);
  return { status: 200, json: await renderVersion(s, req, t.accountId, r) };
}

/** The CompatibleRuntime / CompatibleArchitecture filters of the list operations. */
function filters(query: URLSearchParams): (r: LayerVersionRecord) => boolean {
  const runtime = query.get('CompatibleRuntime');
  const arch = query.get('CompatibleArchitecture');
  if (runtime !== null && !LIST_RUNTIME_ENUM.includes(runtime)) {
    throw validation(runtime, 'compatibleRuntime', `Member must satisfy enum value set: [${LIST_RUNTIME_ENUM.join(', ')}]`);
  }
  if (arch !== null && !ARCHITECTURES.includes(arch)) throw validation(arch, 'compatibleArchitecture', `Member must satisfy enum value set: [${ARCHITECTURES.join(', ')}]`);
  return (r) => (runtime === null || (r.compatibleRuntimes ?? []).includes(runtime)) && (arch === null || (r.compatibleArchitectures ?? []).includes(arch));
}

/** MaxItems of the layer lists: 1–50. */
function layerMaxItems(query: URLSearchParams): number {
  const raw = query.get('MaxItems');
  if (raw === null) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw validation(raw, 'maxItems', 'Member must have value greater than or equal to 1');
  if (n > 50) throw validation(raw, 'maxItems', 'Member must have value less than or equal to 50');
  return n;
}

export const listLayers: Operation = async (s, req) => {
  if (req.query.get('find') === 'LayerVersion') return getLayerVersionByArn(s, req);
  const keep = filters(req.query);
  const limit = layerMaxItems(req.query);
  const after = decodeMarker(req.query.get('Marker') ?? undefined);
  // The newest matching version of each layer, by name.
  const latest = new Map<string, LayerVersionRecord>();
  for (const r of await s.store.layers.all()) if (keep(r) && !latest.has(r.layerName)) latest.set(r.layerName, r);
  const all = [...latest.values()].filter((r) => after === undefined || r.layerName > after);
  const items = all.slice(0, limit).map((r) => ({
    LayerName: r.layerName,
    LayerArn: layerArn(s.account.region, s.account.accountId, r.layerName),
    LatestMatchingVersion: listItem(s.account.region, s.account.accountId, r),
  }));
  const json: Record<string, unknown> = { Layers: items };
  if (all.length > limit) json.NextMarker = encodeMarker(all[limit - 1].layerName);
  return { status: 200, json };
};

export const listLayerVersions: Operation = async (s, req) => {
  const t = targetOf(s, req.params.layer);
  const keep = filters(req.query);
  const limit = layerMaxItems(req.query);
  const after = Number(decodeMarker(req.query.get('Marker') ?? undefined) ?? Infinity);
  // Another account's versions: only those whose policy lets the caller read them.
  const visible: LayerVersionRecord[] = [];
  for (const r of await t.layers.versions(t.name)) if (keep(r) && r.version < after && (await mayRead(s, t, r.version, s.account.accountId))) visible.push(r);
  const json: Record<string, unknown> = { LayerVersions: visible.slice(0, limit).map((r) => listItem(s.account.region, t.accountId, r)) };
  if (visible.length > limit) json.NextMarker = encodeMarker(String(visible[limit - 1].version));
  return { status: 200, json };
};

export const deleteLayerVersion: Operation = async (s, req) => {
  const t = targetOf(s, req.params.layer);
  const version = versionOf(req.params.version);
  if (t.accountId !== s.account.accountId) throw denied(s, req, t, version, 'lambda:DeleteLayerVersion');
  // Idempotent, as AWS's: an unknown layer or version is 204 too. Functions that use the version keep it.
  await t.layers.delete(t.name, version);
  return { status: 204 };
};

// ---- the version's policy ------------------------------------------------------------------------------------------

const missingVersion = (s: Services, t: LayerTarget, version: number) =>
  err('ResourceNotFoundException', `Layer version ${layerArn(s.account.region, t.accountId, t.name)}:${version} does not exist.`);
const staleRevision = () =>
  err('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id');

/** The owner's layer version, or AWS's 404 naming it. */
async function ownVersion(s: Services, req: ApiRequest, action: string): Promise<{ t: LayerTarget; version: number }> {
  const t = targetOf(s, req.params.layer);
  const version = versionOf(req.params.version);
  if (t.accountId !== s.account.accountId) throw denied(s, req, t, version, action);
  if (!(await t.layers.get(t.name, version))) throw missingVersion(s, t, version);
  return { t, version };
}

/** AddLayerVersionPermission's Principal: `*`, an account id, or an account's root ARN. */
function principalOf(raw: string): unknown {
  if (raw === '*') return '*';
  const m = /^(?:(\d{12})|arn:aws[a-zA-Z-]*:iam::(\d{12}):root)$/.exec(raw);
  if (!m) throw validation(raw, 'principal', 'Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root');
  return { AWS: `arn:aws:iam::${m[1] ?? m[2]}:root` };
}

export const addLayerVersionPermission: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const sid = str(body, 'StatementId');
  const action = str(body, 'Action');
  const principal = str(body, 'Principal');
  const org = str(body, 'OrganizationId');
  const failed: string[] = [];
  if (sid === undefined) failed.push(`Value null at 'statementId' failed to satisfy constraint: Member must not be null`);
  else if (!/^([a-zA-Z0-9-_]+)$/.test(sid) || sid.length > 100) failed.push(`Value '${sid}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)`);
  if (action === undefined) failed.push(`Value null at 'action' failed to satisfy constraint: Member must not be null`);
  else if (action !== 'lambda:GetLayerVersion') failed.push(`Value '${action}' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion`);
  if (principal === undefined) failed.push(`Value null at 'principal' failed to satisfy constraint: Member must not be null`);
  if (failed.length) throw validations(failed);
  const statement: Record<string, unknown> = { Sid: sid, Effect: 'Allow', Principal: principalOf(principal!), Action: action };
  const { t, version } = await ownVersion(s, req, 'lambda:AddLayerVersionPermission');
  statement.Resource = `${layerArn(s.account.region, t.accountId, t.name)}:${version}`;
  if (org !== undefined) statement.Condition = { StringEquals: { 'aws:PrincipalOrgID': org } };
  const current = await t.layers.getPolicy(t.name, version);
  const revision = req.query.get('RevisionId');
  if (revision !== null && revision !== current?.revisionId) throw staleRevision();
  if (current?.statements.some((st) => st.Sid === sid)) {
    throw err('ResourceConflictException', `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
  }
  const next = { statements: [...(current?.statements ?? []), statement], revisionId: newRevisionId() };
  if (!(await t.layers.putPolicy(t.name, version, next, current?.revisionId))) throw staleRevision();
  return { status: 201, json: { Statement: JSON.stringify(statement), RevisionId: next.revisionId } };
};

export const getLayerVersionPolicy: Operation = async (s, req) => {
  const { t, version } = await ownVersion(s, req, 'lambda:GetLayerVersionPolicy');
  const policy = await t.layers.getPolicy(t.name, version);
  if (!policy) throw err('ResourceNotFoundException', 'No policy is associated with the given resource.');
  return { status: 200, json: { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: policy.statements }), RevisionId: policy.revisionId } };
};

export const removeLayerVersionPermission: Operation = async (s, req) => {
  const { t, version } = await ownVersion(s, req, 'lambda:RemoveLayerVersionPermission');
  const sid = req.params.sid;
  const current = await t.layers.getPolicy(t.name, version);
  const revision = req.query.get('RevisionId');
  if (revision !== null && revision !== current?.revisionId) throw staleRevision();
  if (!current?.statements.some((st) => st.Sid === sid)) throw err('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`);
  const next = { statements: current.statements.filter((st) => st.Sid !== sid), revisionId: newRevisionId() };
  if (!(await t.layers.putPolicy(t.name, version, next, current.revisionId))) throw staleRevision();
  return { status: 204 };
};

// ---- a function's Layers -------------------------------------------------------------------------------------------

/**
 * Validates a function's `Layers` (CreateFunction, UpdateFunctionConfiguration) as AWS does, in its order: the ARN
 * pattern, at most 5, one version per layer, the function's region, then that each version exists and that another
 * account's lets this one use it. Answers what the configuration stores: `{Arn, CodeSize}` (what AWS shows) and the
 * package's hex, which the function keeps even after the layer version is deleted (as on AWS).
 */
export async function resolveLayers(s: Services, req: ApiRequest, raw: unknown): Promise<LayerRef[]> {
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string')) throw err('InvalidRequestContentException', 'Could not parse request body into json: Layers must be a list of strings');
  const arns = raw as string[];
  if (arns.some((a) => a.length < 1 || a.length > 2048 || !LAYER_VERSION_ARN_RE.test(a))) {
    throw validation(
      `[${arns.join(', ')}]`,
      'layers',
      `Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN_PATTERN}, Member must not be null]`,
    );
  }
  if (arns.length > MAX_LAYERS) throw err('InvalidParameterValueException', 'Cannot reference more than 5 layers.');
  const unversioned = (a: string) => a.split(':').slice(0, 7).join(':');
  for (let i = 0; i < arns.length; i++) {
    for (let j = i + 1; j < arns.length; j++) {
      if (unversioned(arns[i]) === unversioned(arns[j])) {
        throw err('InvalidParameterValueException', `Two different versions of the same layer are not allowed to be referenced in the same function. ${arns[i]} and ${arns[j]} are versions of the same layer.`);
      }
    }
  }
  if (arns.some((a) => a.split(':')[3] !== s.account.region)) {
    throw err('InvalidParameterValueException', `Layers are not in the same region as the function. Layers are expected to be in region ${s.account.region}.`);
  }
  const out: LayerRef[] = [];
  for (const arn of arns) {
    const [, , , , accountId, , name, v] = arn.split(':');
    const layers = s.store.forAccount(accountId).layers;
    const r = await layers.get(name, Number(v));
    const missing: ServiceError = err('InvalidParameterValueException', `Layer version ${arn} does not exist.`);
    if (!r) throw missing;
    if (accountId !== s.account.accountId && !grants((await layers.getPolicy(name, r.version))?.statements ?? [], s.account.accountId)) {
      throw err('AccessDeniedException', `User: ${req.callerArn ?? `arn:aws:iam::${s.account.accountId}:root`} is not authorized to perform: lambda:GetLayerVersion on resource: ${arn} because no resource-based policy allows the lambda:GetLayerVersion action`);
    }
    out.push({ Arn: arn, CodeSize: r.codeSize, hex: r.codeHex });
  }
  return out;
}

/** What a function's layers unpack to together, in bytes (for AWS's limit on code and layers combined). */
export async function layersSize(s: Services, layers: LayerRef[]): Promise<number> {
  let total = 0;
  for (const l of layers) total += await s.code.unzippedSize(l.hex);
  return total;
}
