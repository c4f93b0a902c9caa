// Finding what a FunctionName (+ Qualifier) points at: the function, then the version directly or through an alias.
import { err } from '../core/errors.js';
import { functionArn, isVersionNumber, LATEST, parseFunctionName, type FunctionRef, type NameStyle } from '../core/names.js';
import type { AliasRecord, FunctionRecord, VersionRecord } from '../store/types.js';
import type { ApiRequest, Services } from './context.js';

export interface Target {
  ref: FunctionRef;
  fn: FunctionRecord;
  version: VersionRecord;
  alias?: AliasRecord;
}

/** Parses the `{fn}` path parameter and the `Qualifier` query parameter. */
export function refOf(s: Services, req: ApiRequest, style: NameStyle): FunctionRef {
  const q = req.query.get('Qualifier') ?? undefined;
  return parseFunctionName(req.params.fn, s.account, style, q);
}

export const notFound = (s: Services, name: string, qualifier?: string) =>
  err('ResourceNotFoundException', `Function not found: ${functionArn(s.account, name, qualifier)}`);

export async function loadFunction(s: Services, ref: FunctionRef, notFoundQualifier?: string): Promise<FunctionRecord> {
  const fn = await s.store.getFunction(ref.name);
  if (!fn) throw notFound(s, ref.name, notFoundQualifier);
  return fn;
}

/** Resolves a qualifier ($LATEST, a number or an alias name) to a version record. */
export async function resolveTarget(s: Services, ref: FunctionRef, opts: { latestInNotFound?: boolean } = {}): Promise<Target> {
  const qualifier = ref.qualifier;
  const fn = await loadFunction(s, ref, qualifier ?? (opts.latestInNotFound ? LATEST : undefined));
  if (qualifier === undefined || qualifier === LATEST) {
    const version = await s.store.getVersion(fn.name, LATEST);
    if (!version) throw notFound(s, ref.name, qualifier);
    return { ref, fn, version };
  }
  if (isVersionNumber(qualifier)) {
    const version = await s.store.getVersion(fn.name, qualifier);
    if (!version) throw notFound(s, ref.name, qualifier);
    return { ref, fn, version };
  }
  const alias = await s.store.getAlias(fn.name, qualifier);
  if (!alias) throw notFound(s, ref.name, qualifier);
  const version = await s.store.getVersion(fn.name, alias.functionVersion);
  if (!version) throw notFound(s, ref.name, qualifier);
  return { ref, fn, version, alias };
}
