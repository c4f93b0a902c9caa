// Parsing JSON request bodies of the management operations, and typed reads of their members.
import { err, validation, ServiceError } from '../core/errors.js';

export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw err('InvalidRequestContentException', `Could not parse request body into json: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw err('InvalidRequestContentException', 'Could not parse request body into json: the body is not a JSON object');
  return v as Record<string, unknown>;
}

const typeError = (field: string, want: string) => err('InvalidRequestContentException', `Could not parse request body into json: Cannot deserialize value of type \`${want}\` for field '${field}'`);

export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw typeError(key, 'java.lang.String');
  return v;
}

export function int(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(key, 'java.lang.Integer');
  return v;
}

export function bool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw typeError(key, 'java.lang.Boolean');
  return v;
}

export function obj(o: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(key, 'java.util.Map');
  return v as Record<string, unknown>;
}

/** A list of strings (Cors.AllowOrigins…): anything else fails as AWS's parser fails. */
export function stringList(o: Record<string, unknown>, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw typeError(key, 'java.util.ArrayList');
  for (const x of v) if (typeof x !== 'string') throw typeError(key, 'java.lang.String');
  return v as string[];
}

/** A map of strings (Tags): a member that is not an object, or a value that is not a string, fails as AWS's parser fails. */
export function stringMap(o: Record<string, unknown>, key: string): Record<string, string> | undefined {
  const m = obj(o, key);
  if (m === undefined) return undefined;
  for (const v of Object.values(m)) if (typeof v !== 'string') throw typeError(key, 'java.lang.String');
  return m as Record<string, string>;
}

/** `MaxItems` of the list operations: 1–10000. */
export function maxItems(query: URLSearchParams, fallback = 50): number {
  const raw = query.get('MaxItems');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw validation(raw, 'maxItems', 'Member must have value greater than or equal to 1');
  if (n > 10000) throw validation(raw, 'maxItems', 'Member must have value less than or equal to 10000');
  return n;
}

/** The constraint text of a required member that is missing: the value is written bare (`Value null at …`). */
export const nullAt = (field: string): string => `Value null at '${field}' failed to satisfy constraint: Member must not be null`;

/** AWS's ValidationException for a required member that is missing. */
export const notNull = (field: string): ServiceError => validations([nullAt(field)]);

/** One ValidationException for every failed constraint of a request, in the model's member order, as AWS lists them. */
export function validations(failed: string[]): ServiceError {
  const n = failed.length;
  return new ServiceError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${failed.join('; ')}`);
}
