// CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases: /2015-03-31/functions/{fn}/aliases[/{name}].
import { err, validation } from '../../core/errors.js';
import { functionArn, LATEST } from '../../core/names.js';
import { newRevisionId } from '../../core/ids.js';
import { parseJsonBody, maxItems, obj, str } from '../body.js';
import { renderAlias } from '../shapes.js';
import { preconditionFailed } from '../lifecycle.js';
import { refOf, loadFunction, notFound } from '../resolve.js';
import type { Operation, Services } from '../context.js';
import type { FunctionRef } from '../../core/names.js';

const ALIAS_PATTERN = '(?!^[0-9]+$)([a-zA-Z0-9-_]+)';
const ALIAS_RE = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;
const VERSION_PATTERN = '(\\$LATEST|[0-9]+)';

/** Java's rendering of a double, as AWS's messages show weights (2 → 2.0). */
const javaDouble = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));

function aliasName(raw: string | undefined, field = 'name'): string {
  if (raw === undefined) throw validation('null', field, 'Member must not be null');
  if (raw.length > 128) throw validation(raw, field, 'Member must have length less than or equal to 128');
  if (!ALIAS_RE.test(raw)) throw validation(raw, field, `Member must satisfy regular expression pattern: ${ALIAS_PATTERN}`);
  return raw;
}

function unqualifiedRef(s: Services, req: Parameters<Operation>[1]): FunctionRef {
  return refOf(s, req, 'manage');
}

/** Validates RoutingConfig against the alias's target version; returns the weights (null when none). */
async function readRouting(s: Services, fnName: string, target: string, body: Record<string, unknown>, current: Record<string, number> | null): Promise<Record<string, number> | null> {
  const routing = obj(body, 'RoutingConfig');
  if (routing === undefined) return current;
  const weights = (routing.AdditionalVersionWeights ?? {}) as Record<string, unknown>;
  const entries = Object.entries(weights);
  const shown = `{${entries.map(([k, v]) => `${k}=${typeof v === 'number' ? javaDouble(v) : v}`).join(', ')}}`;
  for (const [k, w] of entries) {
    if (!/^[0-9]+$/.test(k)) {
      throw validation(shown, 'routingConfig.additionalVersionWeights', 'Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]');
    }
    if (typeof w !== 'number' || w < 0 || w > 1) {
      throw validation(shown, 'routingConfig.additionalVersionWeights', 'Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]');
    }
  }
  if (entries.length > 1) throw err('InvalidParameterValueException', 'Number of items in AdditionalVersionWeights cannot be greater than 1');
  if (entries.length === 0) return null;
  if (target === LATEST) throw err('InvalidParameterValueException', '$LATEST is not supported for an alias pointing to more than 1 version');
  const [extra] = entries[0];
  if (extra === target) throw err('InvalidParameterValueException', `Invalid function version ${extra}. Function version ${extra} is already included in routing configuration.`);
  if (!(await s.store.getVersion(fnName, extra))) throw notFound(s, fnName, extra);
  return Object.fromEntries(entries) as Record<string, number>;
}

function targetVersion(raw: string | undefined): string {
  if (raw === undefined) throw validation('null', 'functionVersion', 'Member must not be null');
  if (!/^(\$LATEST|[0-9]+)$/.test(raw)) throw validation(raw, 'functionVersion', `Member must satisfy regular expression pattern: ${VERSION_PATTERN}`);
  return raw;
}

export const createAlias: Operation = async (s, req) => {
  const ref = unqualifiedRef(s, req);
  const body = parseJsonBody(req.body);
  const name = aliasName(str(body, 'Name'));
  const version = targetVersion(str(body, 'FunctionVersion'));
  const fn = await s.store.getFunction(ref.name);
  if (!fn) throw notFound(s, ref.name, version);
  if (!(await s.store.getVersion(fn.name, version))) throw notFound(s, fn.name, version);
  const routing = await readRouting(s, fn.name, version, body, null);
  const rec = { functionName: fn.name, name, functionVersion: version, description: str(body, 'Description') ?? '', routing, revisionId: newRevisionId() };
  if (!(await s.store.insertAlias(rec))) throw err('ResourceConflictException', `Alias already exists: ${functionArn(s.account, fn.name, name)}`);
  return { status: 201, json: renderAlias(s.account, rec) };
};

export const getAlias: Operation = async (s, req) => {
  const ref = unqualifiedRef(s, req);
  const fn = await loadFunction(s, ref);
  const alias = await s.store.getAlias(fn.name, req.params.alias);
  if (!alias) throw err('ResourceNotFoundException', `Cannot find alias arn: ${functionArn(s.account, fn.name, req.params.alias)}`);
  return { status: 200, json: renderAlias(s.account, alias) };
};

export const updateAlias: Operation = async (s, req) => {
  const ref = unqualifiedRef(s, req);
  const body = parseJsonBody(req.body);
  const fn = await loadFunction(s, ref);
  const cur = await s.store.getAlias(fn.name, req.params.alias);
  if (!cur) throw err('ResourceNotFoundException', `Alias not found: ${functionArn(s.account, fn.name, req.params.alias)}`);
  const revision = str(body, 'RevisionId');
  if (revision !== undefined && revision !== cur.revisionId) throw preconditionFailed();
  const rawVersion = str(body, 'FunctionVersion');
  const version = rawVersion === undefined ? cur.functionVersion : targetVersion(rawVersion);
  if (rawVersion !== undefined && !(await s.store.getVersion(fn.name, version))) throw notFound(s, fn.name, version);
  const description = str(body, 'Description');
  const routing = await readRouting(s, fn.name, version, body, cur.routing);
  const changed = version !== cur.functionVersion || (description !== undefined && description !== cur.description) || JSON.stringify(routing) !== JSON.stringify(cur.routing);
  if (!changed) return { status: 200, json: renderAlias(s.account, cur) };
  const next = { ...cur, functionVersion: version, description: description ?? cur.description, routing, revisionId: newRevisionId() };
  await s.store.replaceAlias(next);
  return { status: 200, json: renderAlias(s.account, next) };
};

export const deleteAlias: Operation = async (s, req) => {
  const ref = unqualifiedRef(s, req);
  const fn = await loadFunction(s, ref);
  // Deleting an alias that does not exist answers 204 on AWS.
  await s.store.deleteAlias(fn.name, req.params.alias);
  return { status: 204 };
};

export const listAliases: Operation = async (s, req) => {
  const ref = unqualifiedRef(s, req);
  const fn = await loadFunction(s, ref);
  const fv = req.query.get('FunctionVersion') ?? undefined;
  const page = await s.store.listAliases(fn.name, { marker: req.query.get('Marker') ?? undefined, limit: maxItems(req.query), functionVersion: fv });
  const Aliases = page.items.map((a) => renderAlias(s.account, a));
  return { status: 200, json: page.nextMarker ? { Aliases, NextMarker: page.nextMarker } : { Aliases } };
};
