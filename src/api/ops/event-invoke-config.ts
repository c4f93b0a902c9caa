// Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s): /2019-09-25/functions/{fn}/event-invoke-config[/list].
//
// PUT replaces the whole configuration (omitted settings become unset), POST merges; LastModified is an epoch-seconds
// number. Validation order and messages follow aws-oracle test_lambda_eventinvokeconfig_exceptions / _lifecycle:
// model constraints (ValidationException) first, then "at least one setting", then the function, then destinations.
import { err, ServiceError } from '../../core/errors.js';
import { functionArn, isVersionNumber, LATEST, type FunctionRef } from '../../core/names.js';
import { int, obj, parseJsonBody, str } from '../body.js';
import { refOf } from '../resolve.js';
import type { Operation, Services } from '../context.js';
import type { EventInvokeConfigRecord } from '../../queue/types.js';

const DESTINATION_PATTERN =
  '$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';
const DESTINATION_RE = new RegExp(`^(?:${DESTINATION_PATTERN})$`);
const LAMBDA_ARN = /^arn:aws[a-zA-Z0-9-]*:lambda:([a-z0-9-]*):(\d{12}):function:([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;
/** Services a destination may be: S3 only on failure (AWS's rule). */
const SUCCESS_SERVICES = ['lambda', 'sqs', 'sns', 'events'];
const FAILURE_SERVICES = [...SUCCESS_SERVICES, 's3'];
const LIST_MAX = 50;

/** `undefined` member: not given; `null` destination: given without a Destination (`"OnSuccess": {}`). */
interface Settings {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: string | null;
  onFailure?: string | null;
  hasDestinationConfig: boolean;
}

/** Reads the body and checks every model constraint, reporting them together as AWS's ValidationException does. */
function readSettings(body: Record<string, unknown>): Settings {
  const problems: string[] = [];
  const bound = (v: number | undefined, field: string, min: number, max: number) => {
    if (v === undefined) return;
    if (v < min) problems.push(`Value '${v}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
    else if (v > max) problems.push(`Value '${v}' at '${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  };
  const s: Settings = { hasDestinationConfig: false };
  const retries = int(body, 'MaximumRetryAttempts');
  const age = int(body, 'MaximumEventAgeInSeconds');
  bound(retries, 'maximumRetryAttempts', 0, 2);
  bound(age, 'maximumEventAgeInSeconds', 60, 21_600);
  if (retries !== undefined) s.maximumRetryAttempts = retries;
  if (age !== undefined) s.maximumEventAgeInSeconds = age;
  const dc = obj(body, 'DestinationConfig');
  if (dc !== undefined) {
    s.hasDestinationConfig = true;
    for (const [key, field, prop] of [
      ['OnSuccess', 'destinationConfig.onSuccess.destination', 'onSuccess'],
      ['OnFailure', 'destinationConfig.onFailure.destination', 'onFailure'],
    ] as const) {
      const part = obj(dc, key);
      if (part === undefined) continue;
      const dest = str(part, 'Destination');
      if (dest !== undefined && dest.length > 350) problems.push(`Value '${dest}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to 350`);
      else if (dest !== undefined && !DESTINATION_RE.test(dest)) problems.push(`Value '${dest}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${DESTINATION_PATTERN}`);
      s[prop] = dest === undefined || dest === '' ? null : dest;
    }
  }
  if (problems.length > 0) {
    const n = problems.length;
    throw new ServiceError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
  return s;
}

const anySetting = (s: Settings) => s.maximumRetryAttempts !== undefined || s.maximumEventAgeInSeconds !== undefined || s.hasDestinationConfig;
const noSetting = () => err('InvalidParameterValueException', 'You must specify at least one of error handling or destination setting.');
const noFunction = () => err('ResourceNotFoundException', "The function doesn't exist.");
const noConfig = (s: Services, name: string, qualifier: string) =>
  err('ResourceNotFoundException', `The function ${functionArn(s.account, name, qualifier)} doesn't have an EventInvokeConfig`);

/** The qualifier the configuration belongs to; the function (and the version or alias) must exist. */
async function existingQualifier(s: Services, ref: FunctionRef): Promise<string> {
  if (!(await s.store.getFunction(ref.name))) throw noFunction();
  const q = ref.qualifier ?? LATEST;
  if (q === LATEST) return q;
  const exists = isVersionNumber(q) ? await s.store.getVersion(ref.name, q) : await s.store.getAlias(ref.name, q);
  if (!exists) throw noFunction();
  return q;
}

/** Destination checks that need the world: a Lambda destination must exist and must not be the function itself. */
async function checkDestinations(s: Services, fnName: string, st: Settings): Promise<void> {
  let invalid = false;
  const check = async (dest: string | null | undefined, allowed: string[]) => {
    if (!dest) return;
    const service = dest.split(':')[2] ?? '';
    if (dest.startsWith('kafka://') || !allowed.includes(service)) {
      invalid = true;
      return;
    }
    if (service !== 'lambda') return;
    const m = LAMBDA_ARN.exec(dest);
    const name = m?.[3];
    if (!m || m[1] !== s.account.region || m[2] !== s.account.accountId || !name || !(await s.store.getFunction(name))) {
      throw err('InvalidParameterValueException', `The destination ARN ${dest} is invalid.`);
    }
    if (name === fnName) throw err('InvalidParameterValueException', "You can't specify the function as a destination for itself.");
  };
  await check(st.onFailure, FAILURE_SERVICES);
  await check(st.onSuccess, SUCCESS_SERVICES);
  if (invalid) {
    const part = (kind: string, d: string | null | undefined) => (d ? `${kind}(destination=${d})` : 'null');
    throw err('InvalidParameterValueException', `The provided destination config DestinationConfig(onSuccess=${part('OnSuccess', st.onSuccess)}, onFailure=${part('OnFailure', st.onFailure)}) is invalid.`);
  }
}

export function renderEventInvokeConfig(s: Services, c: EventInvokeConfigRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    DestinationConfig: {
      OnFailure: c.onFailure ? { Destination: c.onFailure } : {},
      OnSuccess: c.onSuccess ? { Destination: c.onSuccess } : {},
    },
    FunctionArn: functionArn(s.account, c.functionName, c.qualifier),
    LastModified: c.lastModified,
  };
  if (c.maximumEventAgeInSeconds !== undefined) out.MaximumEventAgeInSeconds = c.maximumEventAgeInSeconds;
  if (c.maximumRetryAttempts !== undefined) out.MaximumRetryAttempts = c.maximumRetryAttempts;
  return out;
}

/** Epoch seconds with milliseconds, the number AWS sends. */
const nowSeconds = (): number => Date.now() / 1000;

export const putFunctionEventInvokeConfig: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const ref = refOf(s, req, 'manage');
  const st = readSettings(body);
  if (!anySetting(st)) throw noSetting();
  const qualifier = await existingQualifier(s, ref);
  await checkDestinations(s, ref.name, st);
  const rec: EventInvokeConfigRecord = { functionName: ref.name, qualifier, lastModified: nowSeconds() };
  if (st.maximumRetryAttempts !== undefined) rec.maximumRetryAttempts = st.maximumRetryAttempts;
  if (st.maximumEventAgeInSeconds !== undefined) rec.maximumEventAgeInSeconds = st.maximumEventAgeInSeconds;
  if (st.onSuccess) rec.onSuccess = st.onSuccess;
  if (st.onFailure) rec.onFailure = st.onFailure;
  await s.asyncInvoke.configs.put(rec);
  return { status: 200, json: renderEventInvokeConfig(s, rec) };
};

export const updateFunctionEventInvokeConfig: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const ref = refOf(s, req, 'manage');
  const st = readSettings(body);
  if (!anySetting(st)) throw noSetting();
  const qualifier = await existingQualifier(s, ref);
  const cur = await s.asyncInvoke.configs.get(ref.name, qualifier);
  if (!cur) throw noConfig(s, ref.name, qualifier);
  await checkDestinations(s, ref.name, st);
  // Merge: only the settings given change; within DestinationConfig, OnSuccess and OnFailure each only when given.
  const rec: EventInvokeConfigRecord = { ...cur, lastModified: nowSeconds() };
  if (st.maximumRetryAttempts !== undefined) rec.maximumRetryAttempts = st.maximumRetryAttempts;
  if (st.maximumEventAgeInSeconds !== undefined) rec.maximumEventAgeInSeconds = st.maximumEventAgeInSeconds;
  if (st.onSuccess !== undefined) rec.onSuccess = st.onSuccess ?? undefined;
  if (st.onFailure !== undefined) rec.onFailure = st.onFailure ?? undefined;
  await s.asyncInvoke.configs.put(rec);
  return { status: 200, json: renderEventInvokeConfig(s, rec) };
};

export const getFunctionEventInvokeConfig: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const qualifier = ref.qualifier ?? LATEST;
  const c = (await s.store.getFunction(ref.name)) ? await s.asyncInvoke.configs.get(ref.name, qualifier) : undefined;
  if (!c) throw noConfig(s, ref.name, qualifier);
  return { status: 200, json: renderEventInvokeConfig(s, c) };
};

export const deleteFunctionEventInvokeConfig: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const qualifier = ref.qualifier ?? LATEST;
  const gone = (await s.store.getFunction(ref.name)) ? await s.asyncInvoke.configs.delete(ref.name, qualifier) : false;
  if (!gone) throw noConfig(s, ref.name, qualifier);
  return { status: 204 };
};

export const listFunctionEventInvokeConfigs: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const raw = req.query.get('MaxItems');
  let limit = LIST_MAX;
  if (raw !== null) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new ServiceError('ValidationException', `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1`);
    if (n > LIST_MAX) throw new ServiceError('ValidationException', `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to ${LIST_MAX}`);
    limit = n;
  }
  if (!(await s.store.getFunction(ref.name))) throw noFunction();
  const page = await s.asyncInvoke.configs.list(ref.name, { marker: req.query.get('Marker') ?? undefined, limit });
  const out: Record<string, unknown> = { FunctionEventInvokeConfigs: page.items.map((c) => renderEventInvokeConfig(s, c)) };
  if (page.nextMarker) out.NextMarker = page.nextMarker;
  return { status: 200, json: out };
};
