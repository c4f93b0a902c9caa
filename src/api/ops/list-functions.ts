// ListFunctions: GET /2015-03-31/functions[/]?FunctionVersion=ALL&Marker=&MaxItems= → {Functions, NextMarker?}.
import { validation } from '../../core/errors.js';
import { LATEST } from '../../core/names.js';
import { maxItems } from '../body.js';
import { renderConfiguration } from '../shapes.js';
import { refOf, loadFunction } from '../resolve.js';
import type { Operation } from '../context.js';

/** ListFunctions and ListVersionsByFunction return at most 50 items a page, whatever MaxItems asks (AWS API reference). */
const PAGE_CAP = 50;

export const listFunctions: Operation = async (s, req) => {
  const fv = req.query.get('FunctionVersion');
  if (fv !== null && fv !== 'ALL') throw validation(fv, 'functionVersion', 'Member must satisfy enum value set: [ALL]');
  const all = fv === 'ALL';
  const page = await s.store.listFunctions({ marker: req.query.get('Marker') ?? undefined, limit: Math.min(maxItems(req.query), PAGE_CAP), allVersions: all });
  const Functions = page.items.map((v) =>
    // Listed with ALL, $LATEST entries carry the `:$LATEST` suffix; the default listing shows unqualified ARNs.
    renderConfiguration(s.account, v, { arnQualifier: v.version === LATEST ? (all ? LATEST : undefined) : v.version, listing: true }),
  );
  return { status: 200, json: page.nextMarker ? { Functions, NextMarker: page.nextMarker } : { Functions } };
};

export const listVersionsByFunction: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const fn = await loadFunction(s, ref);
  const page = await s.store.listVersions(fn.name, { marker: req.query.get('Marker') ?? undefined, limit: Math.min(maxItems(req.query), PAGE_CAP) });
  const Versions = page.items.map((v) => renderConfiguration(s.account, v, { arnQualifier: v.version, listing: true }));
  return { status: 200, json: page.nextMarker ? { Versions, NextMarker: page.nextMarker } : { Versions } };
};
