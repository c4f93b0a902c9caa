// Event source mappings: Create / Get / Update / Delete / ListEventSourceMappings at AWS's 2015-03-31 paths.
//
// Shapes, defaults, states and messages are AWS's (reference/aws-oracle/esm-api, esm-sqs, esm-streams). Create, Update
// and Delete answer 202 with the whole mapping in a transitional state (Creating, Enabling, Disabling, Updating,
// Deleting); the pollers (esm/manager.ts) move it on once they have acted, so a later Get shows Enabled or Disabled
// and a deleted mapping disappears. Every check runs before anything is stored.
import { randomUUID } from 'node:crypto';
import { err, validation } from '../../core/errors.js';
import { functionArn, isVersionNumber, LATEST, parseFunctionName } from '../../core/names.js';
import { parseJsonBody, str, int, bool, obj, stringMap, validations } from '../body.js';
import { TAG_LIMIT, tooManyTags } from './tags.js';
import { INVALID_PATTERN, parsePattern } from '../../esm/filter.js';
import type { MappingRecord, MappingState } from '../../store/types.js';
import type { ApiRequest, Operation, Services } from '../context.js';

const NO_SUCH = 'The resource you requested does not exist.';
const STARTING_POSITIONS = ['LATEST', 'AT_TIMESTAMP', 'TRIM_HORIZON'];

export type SourceKind = 'sqs' | 'kinesis' | 'dynamodb';

/** Which service an EventSourceArn names, or undefined for one Alonzo does not poll. */
export function sourceKind(arn: string): SourceKind | undefined {
  if (/^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(arn)) return 'sqs';
  if (/^arn:aws[a-zA-Z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/.test(arn)) return 'kinesis';
  if (/^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}\/stream\/[^/]+$/.test(arn)) return 'dynamodb';
  return undefined;
}

/** The members a stream mapping has that an SQS one does not (AWS answers them with these defaults). */
const STREAM_DEFAULTS = {
  BisectBatchOnFunctionError: false,
  MaximumRecordAgeInSeconds: -1,
  MaximumRetryAttempts: -1,
  ParallelizationFactor: 1,
  TumblingWindowInSeconds: 0,
};
const STREAM_ONLY = [...Object.keys(STREAM_DEFAULTS), 'StartingPosition', 'StartingPositionTimestamp', 'DestinationConfig'];

/** The mapping as AWS answers it. */
export function renderMapping(s: Services, m: MappingRecord): Record<string, unknown> {
  return {
    ...m.config,
    EventSourceArn: m.eventSourceArn,
    EventSourceMappingArn: `arn:aws:lambda:${s.account.region}:${s.account.accountId}:event-source-mapping:${m.uuid}`,
    // A timestamp member: epoch seconds on the REST-JSON wire (the clients turn it into a date).
    LastModified: m.lastModified / 1000,
    State: m.state,
    UUID: m.uuid,
  };
}

interface Range {
  field: string;
  min: number;
  max: number;
}
const RANGES: Record<string, Range> = {
  BatchSize: { field: 'batchSize', min: 1, max: 10000 },
  MaximumBatchingWindowInSeconds: { field: 'maximumBatchingWindowInSeconds', min: 0, max: 300 },
  MaximumRecordAgeInSeconds: { field: 'maximumRecordAgeInSeconds', min: -1, max: 604800 },
  MaximumRetryAttempts: { field: 'maximumRetryAttempts', min: -1, max: 10000 },
  ParallelizationFactor: { field: 'parallelizationFactor', min: 1, max: 10 },
  TumblingWindowInSeconds: { field: 'tumblingWindowInSeconds', min: 0, max: 900 },
};

/** The settable members of a request, type-checked and checked against the API model (ValidationException). */
function readSettings(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const failed: string[] = [];
  for (const [key, r] of Object.entries(RANGES)) {
    const v = int(body, key);
    if (v === undefined) continue;
    if (v < r.min) failed.push(`Value '${v}' at '${r.field}' failed to satisfy constraint: Member must have value greater than or equal to ${r.min}`);
    else if (v > r.max) failed.push(`Value '${v}' at '${r.field}' failed to satisfy constraint: Member must have value less than or equal to ${r.max}`);
    out[key] = v;
  }
  const bisect = bool(body, 'BisectBatchOnFunctionError');
  if (bisect !== undefined) out.BisectBatchOnFunctionError = bisect;
  const sp = str(body, 'StartingPosition');
  if (sp !== undefined) {
    if (!STARTING_POSITIONS.includes(sp)) failed.push(`Value '${sp}' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [${STARTING_POSITIONS.join(', ')}]`);
    out.StartingPosition = sp;
  }
  if (body.StartingPositionTimestamp !== undefined && body.StartingPositionTimestamp !== null) {
    const t = body.StartingPositionTimestamp;
    if (typeof t !== 'number') throw err('InvalidRequestContentException', "Could not parse request body into json: Cannot deserialize value of type `java.util.Date` for field 'StartingPositionTimestamp'");
    out.StartingPositionTimestamp = t;
  }
  if (body.FunctionResponseTypes !== undefined && body.FunctionResponseTypes !== null) {
    const types = body.FunctionResponseTypes;
    if (!Array.isArray(types) || types.some((x) => typeof x !== 'string')) throw err('InvalidRequestContentException', "Could not parse request body into json: Cannot deserialize value of type `java.util.ArrayList` for field 'FunctionResponseTypes'");
    if (types.some((x) => x !== 'ReportBatchItemFailures')) {
      failed.push(`Value '[${types.join(', ')}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]`);
    } else if (types.length > 1) {
      failed.push(`Value '[${types.join(', ')}]' at 'functionResponseTypes' failed to satisfy constraint: Member must have length less than or equal to 1`);
    }
    out.FunctionResponseTypes = types;
  }
  const scaling = obj(body, 'ScalingConfig');
  if (scaling !== undefined) {
    const max = int(scaling, 'MaximumConcurrency');
    if (max !== undefined && max < 2) failed.push(`Value '${max}' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2`);
    else if (max !== undefined && max > 1000) failed.push(`Value '${max}' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value less than or equal to 1000`);
    out.ScalingConfig = max === undefined ? {} : { MaximumConcurrency: max };
  }
  const dest = obj(body, 'DestinationConfig');
  if (dest !== undefined) {
    const onFailure = obj(dest, 'OnFailure');
    const onSuccess = obj(dest, 'OnSuccess');
    const target = onFailure ? str(onFailure, 'Destination') : undefined;
    out.DestinationConfig = { OnFailure: target === undefined ? {} : { Destination: target }, ...(onSuccess ? { OnSuccess: onSuccess } : {}) };
  }
  const filter = obj(body, 'FilterCriteria');
  if (filter !== undefined) {
    const filters = filter.Filters;
    if (filters !== undefined && filters !== null && !Array.isArray(filters)) throw err('InvalidRequestContentException', "Could not parse request body into json: Cannot deserialize value of type `java.util.ArrayList` for field 'Filters'");
    const list = (filters ?? []) as unknown[];
    if (list.length > 5) failed.push(`Value '${JSON.stringify(list)}' at 'filterCriteria.filters' failed to satisfy constraint: Member must have length less than or equal to 5`);
    const patterns = list.map((f) => (f && typeof f === 'object' ? (f as Record<string, unknown>).Pattern : undefined));
    patterns.forEach((p, i) => {
      if (typeof p === 'string' && p.length > 4096) failed.push(`Value '${p}' at 'filterCriteria.filters.${i + 1}.member.pattern' failed to satisfy constraint: Member must have length less than or equal to 4096`);
    });
    out.FilterCriteria = { Filters: patterns.map((p) => (p === undefined || p === null ? {} : { Pattern: p })) };
  }
  if (failed.length) throw validations(failed);
  return out;
}

/** Lambda's own rules over the whole mapping (after the model's), with its messages; throws the first broken one. */
function checkRules(kind: SourceKind, arn: string, c: Record<string, unknown>, given: Record<string, unknown>): void {
  const dest = c.DestinationConfig as { OnFailure?: { Destination?: string }; OnSuccess?: unknown } | undefined;
  if (kind === 'sqs') {
    if (dest !== undefined) throw err('InvalidParameterValueException', 'Unsupported DestinationConfig parameter for given event source mapping type.');
    for (const k of STREAM_ONLY) if (given[k] !== undefined) throw err('InvalidParameterValueException', `Unsupported ${k} parameter for given event source mapping type.`);
    if ((c.BatchSize as number) > 10 && (c.MaximumBatchingWindowInSeconds as number) <= 0) {
      throw err('InvalidParameterValueException', 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
    }
    if (arn.endsWith('.fifo') && (c.BatchSize as number) > 10) throw err('InvalidParameterValueException', 'Batch size for FIFO queues must be less than or equal to 10.');
  } else {
    if (dest?.OnSuccess !== undefined) throw err('InvalidParameterValueException', 'Unsupported DestinationConfig parameter for given event source mapping type.');
    if (c.StartingPosition === undefined) {
      throw err('InvalidParameterValueException', "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.");
    }
    if (c.StartingPosition === 'AT_TIMESTAMP' && kind === 'dynamodb') throw err('InvalidParameterValueException', `Unsupported starting position for arn type: ${arn}`);
    if (c.StartingPosition === 'AT_TIMESTAMP' && c.StartingPositionTimestamp === undefined) {
      throw err('InvalidParameterValueException', 'StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP.');
    }
    if (c.ScalingConfig !== undefined) throw err('InvalidParameterValueException', 'Unsupported ScalingConfig parameter for given event source mapping type.');
    const target = dest?.OnFailure?.Destination;
    if (target !== undefined && !/^arn:aws[a-zA-Z-]*:(sqs|sns):[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$|^arn:aws[a-zA-Z-]*:s3:::[a-z0-9.-]{3,63}$/.test(target)) {
      throw err('InvalidParameterValueException', 'The provided destination config DestinationType is invalid.');
    }
  }
  const filters = (c.FilterCriteria as { Filters: { Pattern?: unknown }[] } | undefined)?.Filters ?? [];
  for (const f of filters) if (typeof f.Pattern !== 'string' || parsePattern(f.Pattern) === undefined) throw err('InvalidParameterValueException', INVALID_PATTERN);
}

/** The function a FunctionName names, if it (and its qualifier) exists: the name, and the ARN as AWS shows it (qualifier kept as given). */
async function functionOf(s: Services, raw: string): Promise<{ name: string; arn: string }> {
  const ref = parseFunctionName(raw, s.account, 'manage');
  const missing = () => err('InvalidParameterValueException', 'Function does not exist');
  const fn = await s.store.getFunction(ref.name);
  if (!fn) throw missing();
  const q = ref.qualifier;
  if (q !== undefined && q !== LATEST) {
    const exists = isVersionNumber(q) ? await s.store.getVersion(ref.name, q) : await s.store.getAlias(ref.name, q);
    if (!exists) throw missing();
  }
  return { name: ref.name, arn: functionArn(s.account, ref.name, q) };
}

/** The mapping of the same source and function, if there is one (AWS's 409, worded per source). */
async function duplicateOf(s: Services, kind: SourceKind, arn: string, fnName: string, except?: string): Promise<void> {
  let marker: string | undefined;
  do {
    const page = await s.store.mappings.list({ eventSourceArn: arn, functionName: fnName, marker, limit: 100 });
    const dup = page.items.find((m) => m.uuid !== except);
    if (dup) {
      throw err(
        'ResourceConflictException',
        kind === 'sqs'
          ? `An event source mapping with SQS arn (" ${arn} ") and function (" ${fnName} ") already exists. Please update or delete the existing mapping with UUID ${dup.uuid}`
          : `The event source arn (" ${arn} ") and function (" ${fnName} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${dup.uuid}`,
      );
    }
    marker = page.nextMarker;
  } while (marker);
}

/** Drops what AWS does not show: an empty filter list, and (SQS) an empty ScalingConfig. */
function tidy(c: Record<string, unknown>): Record<string, unknown> {
  const out = { ...c };
  if ((out.FilterCriteria as { Filters: unknown[] } | undefined)?.Filters.length === 0) delete out.FilterCriteria;
  if (out.ScalingConfig !== undefined && Object.keys(out.ScalingConfig as object).length === 0) delete out.ScalingConfig;
  return out;
}

export const createEventSourceMapping: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const rawFn = str(body, 'FunctionName');
  const arn = str(body, 'EventSourceArn');
  const enabled = bool(body, 'Enabled') ?? true;
  const tags = stringMap(body, 'Tags') ?? {};
  const given = readSettings(body);
  if (rawFn === undefined) throw validations([`Value null at 'functionName' failed to satisfy constraint: Member must not be null`]);
  if (arn === undefined) throw err('InvalidParameterValueException', 'Unrecognized event source.');
  const kind = sourceKind(arn);
  if (kind === undefined) throw err('InvalidParameterValueException', 'Unrecognized event source.');
  const config: Record<string, unknown> =
    kind === 'sqs'
      ? { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, FunctionResponseTypes: [], StateTransitionReason: 'USER_INITIATED', ...given }
      : { BatchSize: 100, MaximumBatchingWindowInSeconds: 0, FunctionResponseTypes: [], ...STREAM_DEFAULTS, DestinationConfig: { OnFailure: {} }, LastProcessingResult: 'No records processed', StateTransitionReason: 'User action', ...given };
  checkRules(kind, arn, config, given);
  if (Object.keys(tags).length > TAG_LIMIT) throw tooManyTags();
  const fn = await functionOf(s, rawFn);
  await duplicateOf(s, kind, arn, fn.name);
  const problem = await s.esm?.checkSource(arn);
  if (problem !== undefined) throw err('InvalidParameterValueException', problem);
  const rec: MappingRecord = {
    uuid: randomUUID(),
    functionName: fn.name,
    eventSourceArn: arn,
    state: enabled ? 'Creating' : 'Disabled',
    lastModified: Date.now(),
    config: tidy({ ...config, FunctionArn: fn.arn }),
    tags,
  };
  await s.store.mappings.insert(rec);
  s.esm?.changed();
  return { status: 202, json: renderMapping(s, rec) };
};

async function mappingOf(s: Services, req: ApiRequest): Promise<MappingRecord> {
  const uuid = req.params.uuid;
  const m = await s.store.mappings.get(uuid);
  if (!m) throw err('ResourceNotFoundException', NO_SUCH);
  return m;
}

export const getEventSourceMapping: Operation = async (s, req) => ({ status: 200, json: renderMapping(s, await mappingOf(s, req)) });

export const updateEventSourceMapping: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const rawFn = str(body, 'FunctionName');
  const enabled = bool(body, 'Enabled');
  const given = readSettings(body);
  const m = await mappingOf(s, req);
  if (m.state === 'Deleting') throw err('ResourceConflictException', `The operation cannot be performed at this time. The event source mapping ${m.uuid} is being deleted.`);
  const kind = sourceKind(m.eventSourceArn)!;
  // StartingPosition is fixed at creation.
  if (given.StartingPosition !== undefined || given.StartingPositionTimestamp !== undefined) {
    throw err('InvalidParameterValueException', 'StartingPosition cannot be updated for an existing event source mapping.');
  }
  const config = { ...m.config, ...given };
  // Rules are checked on what the mapping will be; an SQS mapping's stream-only members are refused by name.
  checkRules(kind, m.eventSourceArn, config, kind === 'sqs' ? given : {});
  let fnName = m.functionName;
  if (rawFn !== undefined) {
    const fn = await functionOf(s, rawFn);
    if (fn.name !== m.functionName) await duplicateOf(s, kind, m.eventSourceArn, fn.name, m.uuid);
    fnName = fn.name;
    config.FunctionArn = fn.arn;
  }
  const wasOn = m.state === 'Enabled' || m.state === 'Enabling' || m.state === 'Creating' || m.state === 'Updating';
  const on = enabled ?? wasOn;
  const state: MappingState = on && !wasOn ? 'Enabling' : !on && wasOn ? 'Disabling' : on ? 'Updating' : 'Disabled';
  const rec: MappingRecord = { ...m, functionName: fnName, state, lastModified: Date.now(), config: tidy(config) };
  if (!(await s.store.mappings.replace(rec, m.state))) throw err('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${m.uuid}`);
  s.esm?.changed();
  return { status: 202, json: renderMapping(s, rec) };
};

export const deleteEventSourceMapping: Operation = async (s, req) => {
  const m = await mappingOf(s, req);
  const rec: MappingRecord = { ...m, state: 'Deleting' };
  if (m.state !== 'Deleting' && !(await s.store.mappings.replace(rec, m.state))) throw err('ResourceNotFoundException', NO_SUCH);
  s.esm?.changed();
  return { status: 202, json: renderMapping(s, rec) };
};

export const listEventSourceMappings: Operation = async (s, req) => {
  const rawFn = req.query.get('FunctionName') ?? undefined;
  const arn = req.query.get('EventSourceArn') ?? undefined;
  const raw = req.query.get('MaxItems');
  let limit = 100;
  if (raw !== null) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw validation(raw, 'maxItems', 'Member must have value greater than or equal to 1');
    if (n > 10000) throw validation(raw, 'maxItems', 'Member must have value less than or equal to 10000');
    limit = Math.min(n, 100);
  }
  const functionName = rawFn === undefined ? undefined : parseFunctionName(rawFn, s.account, 'manage').name;
  const page = await s.store.mappings.list({ functionName, eventSourceArn: arn, marker: req.query.get('Marker') ?? undefined, limit });
  const out: Record<string, unknown> = { EventSourceMappings: page.items.map((m) => renderMapping(s, m)) };
  if (page.nextMarker) out.NextMarker = page.nextMarker;
  return { status: 200, json: out };
};

