// TagResource (POST), UntagResource (DELETE ?tagKeys=) and ListTags (GET) on /2017-03-31/tags/{ARN}: the tags of a
// function or of an event source mapping.
//
// Shapes, messages and the order of the checks follow reference/aws-oracle/api-tags.snapshot.json. Only functions
// and event source mappings carry tags in Alonzo; the other taggable ARNs AWS accepts name resources Alonzo has none
// of, and get the 404 AWS gives for one that does not exist.
import { err } from '../../core/errors.js';
import { LATEST } from '../../core/names.js';
import { newRevisionId } from '../../core/ids.js';
import { parseJsonBody, stringMap, nullAt, validations } from '../body.js';
import { withUpdateLock } from '../lifecycle.js';
import type { ApiRequest, Operation, Services } from '../context.js';
import type { MappingRecord } from '../../store/types.js';

/** The TaggableResource pattern AWS checks and quotes (the service's own: it has `(eusc-)?` and `layer:`, botocore's model does not). */
const RESOURCE_PATTERN =
  'arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)';
const RESOURCE_RE = new RegExp(`^(?:${RESOURCE_PATTERN})$`);
const RESOURCE_MAX = 256;
/** Splits a resource that matched the pattern: region, account, type and the rest. */
const PARTS_RE = /^arn:[^:]+:lambda:([^:]+):(\d{12}):([a-z-]+):(.*)$/;

/** AWS's limit counts the tags already on the function: 50 in all (oracle test_tag_limits). */
export const TAG_LIMIT = 50;
export const tooManyTags = () => err('InvalidParameterValueException', 'Number of tags exceeds resource tag limit.');

/** Tag keys and values: Lambda's service checks what its published model leaves open. */
const TAG_TEXT = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
const TAG_PATTERN = '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$';
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;

/**
 * The `tags` constraint a map of tags fails, if any, as AWS words it: the map as Java prints it, then every constraint
 * of the failing side. The values' wording is AWS's, as recorded from a TagResource that a value of 257 characters
 * failed (cloud-custodian issue #2520); the keys' is the same with the documented key limits (1 to 128).
 */
export function tagsProblem(tags: Record<string, string>): string | undefined {
  const entries = Object.entries(tags);
  const shown = `{${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
  const badKey = entries.some(([k]) => [...k].length < 1 || [...k].length > TAG_KEY_MAX || !TAG_TEXT.test(k));
  if (badKey) {
    return `Value '${shown}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to ${TAG_KEY_MAX}, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${TAG_PATTERN}]`;
  }
  const badValue = entries.some(([, v]) => [...v].length > TAG_VALUE_MAX || !TAG_TEXT.test(v));
  if (badValue) {
    return `Value '${shown}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to ${TAG_VALUE_MAX}, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: ${TAG_PATTERN}]`;
  }
  return undefined;
}

/** The `resource` constraint a request's ARN fails, if any (length first, then the pattern, as the model lists them). */
function resourceProblem(arn: string): string | undefined {
  if (arn.length > RESOURCE_MAX) return `Value '${arn}' at 'resource' failed to satisfy constraint: Member must have length less than or equal to ${RESOURCE_MAX}`;
  if (!RESOURCE_RE.test(arn)) return `Value '${arn}' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: ${RESOURCE_PATTERN}`;
  return undefined;
}

/**
 * The function an ARN names, once the ARN passed the model's checks; AWS's answer for anything else. A qualified
 * function ARN is refused before existence is looked at (AWS answers it so for a function that does not exist, too).
 */
function functionOf(s: Services, arn: string): string {
  const [, region, account, type, rest] = PARTS_RE.exec(arn) ?? [];
  switch (type) {
    case 'function':
      break;
    case 'capacity-provider':
      throw err('ResourceNotFoundException', `Capacity provider not found: ${arn}`);
    default:
      // Layers and code signing configs: Alonzo has none. AWS's wording for these is not recorded; this is its generic 404.
      throw err('ResourceNotFoundException', 'The resource you requested does not exist.');
  }
  if (rest.includes(':')) throw err('InvalidParameterValueException', 'Tags on function aliases and versions are not supported. Please specify a function ARN.');
  // Another region, or an account the request was not routed to (api/cross-account.ts): not a function here.
  if (region !== s.account.region || account !== s.account.accountId) throw notFound(arn);
  return rest;
}

const notFound = (arn: string) => err('ResourceNotFoundException', `Function not found: ${arn}`);

/** The event source mapping an ARN names (in this region and account), if the ARN names one at all. */
async function mappingOf(s: Services, arn: string): Promise<MappingRecord | undefined> {
  const [, region, account, type, rest] = PARTS_RE.exec(arn) ?? [];
  if (type !== 'event-source-mapping') return undefined;
  const m = region === s.account.region && account === s.account.accountId ? await s.store.mappings.get(rest) : undefined;
  if (!m) throw err('ResourceNotFoundException', `Event source mapping not found: ${arn}`);
  return m;
}

/** Rewrites a mapping's tags (its settings, state and pollers are left alone). */
async function retagMapping(s: Services, arn: string, m: MappingRecord, change: (tags: Record<string, string>) => Record<string, string>): Promise<void> {
  const tags = change({ ...m.tags });
  if (!(await s.store.mappings.setTags(m.uuid, tags))) throw err('ResourceNotFoundException', `Event source mapping not found: ${arn}`);
}

/** The ARN in the path: the router's `{fn}` segment, so that the auth layer and cross-account routing read it as they read a FunctionName. */
const resourceOf = (req: ApiRequest): string => req.params.fn ?? '';

/**
 * Rewrites the function's tags under its update lock (a concurrent update gets AWS's 409, as TagResource may). A change
 * moves $LATEST's RevisionId, as AWS's does (oracle TestLambdaTags::test_tag_lifecycle: a new RevisionId after each
 * Tag and Untag), but not LastModified: the code and settings are unchanged, so warm environments stay.
 */
async function retag(s: Services, arn: string, name: string, change: (tags: Record<string, string>) => Record<string, string>): Promise<void> {
  await withUpdateLock(s, name, async () => {
    const fn = await s.store.getFunction(name);
    if (!fn) throw notFound(arn);
    const tags = change({ ...fn.tags });
    if (sameTags(fn.tags, tags)) return;
    await s.store.updateFunction(name, { tags });
    const latest = await s.store.getVersion(name, LATEST);
    if (latest) await s.store.putVersion({ ...latest, revisionId: newRevisionId() }, latest.revisionId);
  });
}

const sameTags = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export const tagResource: Operation = async (s, req) => {
  const arn = resourceOf(req);
  const body = parseJsonBody(req.body);
  const tags = stringMap(body, 'Tags');
  const failed = [resourceProblem(arn), tags === undefined ? nullAt('tags') : tagsProblem(tags)].filter((x): x is string => x !== undefined);
  if (failed.length) throw validations(failed);
  const mapping = await mappingOf(s, arn);
  const name = mapping ? '' : functionOf(s, arn);
  if (Object.keys(tags!).length === 0) throw err('InvalidParameterValueException', 'An error occurred and the request cannot be processed.');
  const apply = (current: Record<string, string>) => {
    const next = { ...current, ...tags };
    if (Object.keys(next).length > TAG_LIMIT) throw tooManyTags();
    return next;
  };
  if (mapping) {
    await retagMapping(s, arn, mapping, apply);
    return { status: 204 };
  }
  await retag(s, arn, name, apply);
  return { status: 204 };
};

export const untagResource: Operation = async (s, req) => {
  const arn = resourceOf(req);
  // boto3 sends an empty TagKeys list as no parameter at all, and AWS then sees null (oracle untag_empty_keys).
  const keys = req.query.getAll('tagKeys');
  const failed = [resourceProblem(arn), keys.length === 0 ? nullAt('tagKeys') : undefined].filter((x): x is string => x !== undefined);
  if (failed.length) throw validations(failed);
  const mapping = await mappingOf(s, arn);
  const drop = (current: Record<string, string>) => {
    for (const k of keys) delete current[k];
    return current;
  };
  if (mapping) await retagMapping(s, arn, mapping, drop);
  else await retag(s, arn, functionOf(s, arn), drop);
  return { status: 204 };
};

export const listTags: Operation = async (s, req) => {
  const arn = resourceOf(req);
  const problem = resourceProblem(arn);
  if (problem) throw validations([problem]);
  const mapping = await mappingOf(s, arn);
  if (mapping) return { status: 200, json: { Tags: mapping.tags } };
  const name = functionOf(s, arn);
  const fn = await s.store.getFunction(name);
  if (!fn) throw notFound(arn);
  return { status: 200, json: { Tags: fn.tags } };
};
