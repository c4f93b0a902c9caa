// The store's rows as both adapters read them (the same columns in SQLite and PostgreSQL: migrations per dialect) and
// the records they become, with the opaque paging markers both hand out.
import type { AliasRecord, FunctionRecord, FunctionUrlRecord, LayerVersionRecord, MappingRecord, MappingState, Page, PolicyRecord, ProvisionedConfig, VersionRecord } from './types.js';

export interface FunctionRow {
  name: string;
  next_version: number;
  tags: string;
  reserved_concurrency: number | null;
  created_at: string;
  recursive_loop: string | null;
}

export interface VersionRow {
  function_name: string;
  version: string;
  settings: string;
  code_sha256: string;
  code_size: number;
  state: string;
  last_update_status: string | null;
  revision_id: string;
  last_modified: string;
}

export interface AliasRow {
  function_name: string;
  name: string;
  function_version: string;
  description: string;
  routing: string | null;
  revision_id: string;
}

export interface ProvisionedRow {
  function_name: string;
  qualifier: string;
  requested: number;
  last_modified: string;
}

export interface PolicyRow {
  function_name: string;
  qualifier: string;
  statements: string;
  revision_id: string;
}

export interface FunctionUrlRow {
  account: string;
  function_name: string;
  qualifier: string;
  url_id: string;
  auth_type: string;
  cors: string | null;
  invoke_mode: string | null;
  creation_time: string;
  last_modified_time: string;
}

export const toFunction = (r: FunctionRow): FunctionRecord => ({
  name: r.name,
  nextVersion: r.next_version,
  tags: JSON.parse(r.tags),
  reservedConcurrency: r.reserved_concurrency,
  createdAt: r.created_at,
  recursiveLoop: r.recursive_loop as FunctionRecord['recursiveLoop'],
});

export const toVersion = (r: VersionRow): VersionRecord => ({
  functionName: r.function_name,
  version: r.version,
  settings: JSON.parse(r.settings),
  codeSha256: r.code_sha256,
  codeSize: r.code_size,
  state: r.state as VersionRecord['state'],
  lastUpdateStatus: (r.last_update_status ?? undefined) as VersionRecord['lastUpdateStatus'],
  revisionId: r.revision_id,
  lastModified: r.last_modified,
});

export const toAlias = (r: AliasRow): AliasRecord => ({
  functionName: r.function_name,
  name: r.name,
  functionVersion: r.function_version,
  description: r.description,
  routing: r.routing === null ? null : JSON.parse(r.routing),
  revisionId: r.revision_id,
});

export const toProvisioned = (r: ProvisionedRow): ProvisionedConfig => ({ functionName: r.function_name, qualifier: r.qualifier, requested: r.requested, lastModified: r.last_modified });

export const toPolicy = (r: PolicyRow): PolicyRecord => ({ functionName: r.function_name, qualifier: r.qualifier, statements: JSON.parse(r.statements), revisionId: r.revision_id });

/** A layer version's row (migrations sqlite 015, postgres 008): its record is one JSON document. */
export interface LayerVersionRow {
  name: string;
  version: number;
  record: string;
  policy: string | null;
  policy_revision: string | null;
}

export const toLayerVersion = (r: LayerVersionRow): LayerVersionRecord => ({
  ...(JSON.parse(r.record) as Omit<LayerVersionRecord, 'layerName' | 'version'>),
  layerName: r.name,
  version: r.version,
});

export const toFunctionUrl = (r: FunctionUrlRow): FunctionUrlRecord => ({
  functionName: r.function_name,
  qualifier: r.qualifier,
  urlId: r.url_id,
  authType: r.auth_type as FunctionUrlRecord['authType'],
  cors: r.cors === null ? null : JSON.parse(r.cors),
  invokeMode: r.invoke_mode as FunctionUrlRecord['invokeMode'],
  creationTime: r.creation_time,
  lastModifiedTime: r.last_modified_time,
});

/** A URL record's columns after the account, in the order the adapters' INSERTs list them. */
export const functionUrlParams = (u: FunctionUrlRecord): unknown[] => [
  u.functionName,
  u.qualifier,
  u.urlId,
  u.authType,
  u.cors === null ? null : JSON.stringify(u.cors),
  u.invokeMode,
  u.creationTime,
  u.lastModifiedTime,
];

/** Published versions in numeric order; $LATEST (-1) first. */
export const versionOrder = (v: string): number => (v === '$LATEST' ? -1 : Number(v));

/** Markers are opaque to clients: base64url of the last key of the page before. */
export const encodeMarker = (key: string): string => Buffer.from(key).toString('base64url');
export const decodeMarker = (m?: string): string | undefined => (m ? Buffer.from(m, 'base64url').toString() : undefined);

/** A page of `limit` items from `limit + 1` rows: the extra row says there is more, the last kept one is the marker. */
export function page<T, R>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => string): Page<T> {
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(map);
  return more ? { items, nextMarker: encodeMarker(key(rows[limit - 1])) } : { items };
}

/** An event_source_mappings row (migration sqlite/017, postgres/010). */
export interface MappingRow {
  uuid: string;
  account: string;
  function_name: string;
  event_source_arn: string;
  state: string;
  last_modified: number | string;
  config: string;
  tags: string;
}

export function toMapping(r: MappingRow): MappingRecord {
  return {
    uuid: r.uuid,
    functionName: r.function_name,
    eventSourceArn: r.event_source_arn,
    state: r.state as MappingState,
    lastModified: Number(r.last_modified),
    config: JSON.parse(r.config) as Record<string, unknown>,
    tags: JSON.parse(r.tags) as Record<string, string>,
  };
}
