// CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases: /2015-03-31/functions/{fn}/aliases[/{name}].
//
// Check order, as AWS's recordings show it (aws-oracle test_notfound_and_invalid_routingconfigs): the model's constraints
// first (names, patterns, weight ranges: ValidationException), then the function and versions, then the routing rules.
import { err, validation } from '../../core/errors.js';
import { functionArn, LATEST } from '../../core/names.js';
import { newRevisionId } from '../../core/ids.js';
import { parseJsonBody, maxItems, notNull, obj, str } from '../body.js';
import { renderAlias } from '../shapes.js';
import { preconditionFailed } from '../lifecycle.js';
import { refOf, loadFunction, notFound } from '../resolve.js';
import type { ApiRequest, Operation, Services } from '../context.js';
import type { FunctionRef } from '../../core/names.js';
import type { AliasRecord } from '../../store/types.js';

const ALIAS_PATTERN = '(?!^[0-9]+$)([a-zA-Z0-9-_]+)';
const ALIAS_RE = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;
const VERSION_PATTERN = '(\\$LATEST(\\.PUBLISHED)?|[0-9]+)';
const VERSION_RE = /^(\$LATEST|[0-9]+)$/;

/** Java's rendering of a double, as AWS's messages show weights (2 → 2.0). */
const javaDouble = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

function aliasName(raw: string | undefined): string {
  if (raw === undefined) throw notNull('name');
  if (raw.length < 1) throw validation(raw, 'name', 'Member must have length greater than or equal to 1');
  if (raw.length > 128) throw validation(raw, 'name', 'Member must have length less than or equal to 128');
  if (!ALIAS_RE.test(raw)) throw validation(raw, 'name', `Member must satisfy regular expression pattern: ${ALIAS_PATTERN}`);
  return raw;
}

function targetVersion(raw: string): string {
  if (raw.length < 1 || !VERSION_RE.test(raw)) throw validation(raw, 'functionVersion', `Member must satisfy regular expression pattern: ${VERSION_PATTERN}`);
  return raw;
}

function description(body: Record<string, unknown>): string | undefined {
  const d = str(body, 'Description');
  if (d !== undefined && d.length > 256) throw validation(d, 'description', 'Member must have length less than or equal to 256');
  return d;
}

/** The function part of the path; alias operations take the model's strict FunctionName. */
const functionRef = (s: Services, req: ApiRequest): FunctionRef => refOf(s, req, 'strict');

/**
 * Reads RoutingConfig and checks the model's constraints on it.
 * Returns undefined when absent, null when it routes nowhere (`{}` removes the routing), else the weights.
 */
function readWeights(body: Record<string, unknown>): Record<string, number> | null | undefined {
  const routing = obj(body, 'RoutingConfig');
  if (routing === undefined) return undefined;
  const weights = obj(routing, 'AdditionalVersionWeights') ?? {};
  const entries = Object.entries(weights);
  const shown = `{${entries.map(([k, v]) => `${k}=${typeof v === 'number' ? javaDouble(v) : v}`).join(', ')}}`;
  for (const [k, w] of entries) {
    if (!/^[0-9]+$/.test(k) || k.length > 1024) {
      throw validation(shown, 'routingConfig.additionalVersionWeights', 'Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]');
    }
    if (typeof w !== 'number' || w < 0 || w > 1) {
      throw validation(shown, 'routingConfig.additionalVersionWeights', 'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]');
    }
  }
  return entries.length === 0 ? null : (Object.fromEntries(entries) as Record<string, number>);
}

/** Checks the alias's target version and its routing against the function's versions, in AWS's order. */
async function checkTarget(s: Services, fnName: string, target: string, weights: Record<string, number> | null): Promise<void> {
  const extra = weights ? Object.keys(weights) : [];
  if (extra.length > 1) throw err('InvalidParameterValueException', 'Number of items in AdditionalVersionWeights cannot be greater than 1');
  if (!(await s.store.getVersion(fnName, target))) throw notFound(s, fnName, target);
  if (extra.length === 0) return;
  // The one message AWS sends without `Type` (oracle target_version_exc_version_latest).
  if (target === LATEST) throw err('InvalidParameterValueException', '$LATEST is not supported for an alias pointing to more than 1 version', { Type: undefined });
  if (extra[0] === target) throw err('InvalidParameterValueException', `Invalid function version ${target}. Function version ${target} is already included in routing configuration.`);
  if (!(await s.store.getVersion(fnName, extra[0]))) throw notFound(s, fnName, extra[0]);
}

export const createAlias: Operation = async (s, req) => {
  const ref = functionRef(s, req);
  const body = parseJsonBody(req.body);
  const name = aliasName(str(body, 'Name'));
  const rawVersion = str(body, 'FunctionVersion');
  if (rawVersion === undefined) throw notNull('functionVersion');
  const version = targetVersion(rawVersion);
  const desc = description(body);
  const weights = readWeights(body) ?? null;
  // A missing function reads as its missing version: "Function not found: …:<fn>:<FunctionVersion>".
  if (!(await s.store.getFunction(ref.name))) throw notFound(s, ref.name, version);
  await checkTarget(s, ref.name, version, weights);
  const rec: AliasRecord = { functionName: ref.name, name, functionVersion: version, description: desc ?? '', routing: weights, revisionId: newRevisionId() };
  if (!(await s.store.insertAlias(rec))) throw err('ResourceConflictException', `Alias already exists: ${functionArn(s.account, ref.name, name)}`);
  return { status: 201, json: renderAlias(s.account, rec) };
};

export const getAlias: Operation = async (s, req) => {
  const ref = functionRef(s, req);
  const name = aliasName(req.params.alias);
  const fn = await loadFunction(s, ref);
  const alias = await s.store.getAlias(fn.name, name);
  if (!alias) throw err('ResourceNotFoundException', `Cannot find alias arn: ${functionArn(s.account, fn.name, name)}`);
  return { status: 200, json: renderAlias(s.account, alias) };
};

export const updateAlias: Operation = async (s, req) => {
  const ref = functionRef(s, req);
  const name = aliasName(req.params.alias);
  const body = parseJsonBody(req.body);
  const rawVersion = str(body, 'FunctionVersion');
  const newVersion = rawVersion === undefined ? undefined : targetVersion(rawVersion);
  const desc = description(body);
  const newWeights = readWeights(body);
  const revision = str(body, 'RevisionId');
  const fn = await loadFunction(s, ref);
  const cur = await s.store.getAlias(fn.name, name);
  // Not the wording of GetAlias ("Cannot find alias arn: …"): AWS words the two differently.
  if (!cur) throw err('ResourceNotFoundException', `Alias not found: ${functionArn(s.account, fn.name, name)}`);
  if (revision !== undefined && revision !== cur.revisionId) throw preconditionFailed();
  const version = newVersion ?? cur.functionVersion;
  const weights = newWeights === undefined ? cur.routing : newWeights;
  await checkTarget(s, fn.name, version, weights);
  // Every accepted update gets a new RevisionId, even one that changes nothing (oracle update_alias_1_2).
  const next: AliasRecord = { ...cur, functionVersion: version, description: desc ?? cur.description, routing: weights, revisionId: newRevisionId() };
  await s.store.replaceAlias(next);
  return { status: 200, json: renderAlias(s.account, next) };
};

export const deleteAlias: Operation = async (s, req) => {
  const ref = functionRef(s, req);
  const name = aliasName(req.params.alias);
  const fn = await loadFunction(s, ref);
  // Deleting an alias that does not exist answers 204 on AWS (oracle test_non_existent_alias_deletion).
  await s.store.deleteAlias(fn.name, name);
  return { status: 204 };
};

export const listAliases: Operation = async (s, req) => {
  const ref = functionRef(s, req);
  const raw = req.query.get('FunctionVersion');
  const fv = raw === null ? undefined : targetVersion(raw);
  const limit = maxItems(req.query);
  const fn = await loadFunction(s, ref);
  const page = await s.store.listAliases(fn.name, { marker: req.query.get('Marker') ?? undefined, limit, functionVersion: fv });
  const Aliases = page.items.map((a) => renderAlias(s.account, a));
  return { status: 200, json: page.nextMarker ? { Aliases, NextMarker: page.nextMarker } : { Aliases } };
};
