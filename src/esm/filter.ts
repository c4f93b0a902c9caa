// FilterCriteria of an event source mapping: validating the patterns as Lambda does and matching records against them.
//
// A pattern is a JSON object whose leaves are arrays of matchers (EventBridge's syntax, the part Lambda documents):
// a plain value matches by equality (several in one array: OR), `{"exists": bool}`, `{"prefix": s}`, `{"suffix": s}`,
// `{"equals-ignore-case": s}`, `{"anything-but": v | [v…] | {"prefix": s}}`, `{"numeric": [op, n, (op, n)]}`. Keys of
// one object must all match (AND); a record matches the criteria when any filter matches (OR). For SQS the `body` is
// matched as JSON when it parses to an object, else as the plain string (a `{"body": {...}}` pattern never matches one).

export const INVALID_PATTERN = 'Invalid filter pattern definition.';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);

/** Parses and checks one Pattern string; undefined when Lambda refuses it ("Invalid filter pattern definition."). */
export function parsePattern(text: string): Record<string, Json> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isObject(v) && validObject(v) ? (v as Record<string, Json>) : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validObject(o: Record<string, unknown>): boolean {
  const entries = Object.entries(o);
  if (entries.length === 0) return false;
  return entries.every(([, v]) => (Array.isArray(v) ? v.length > 0 && v.every(validMatcher) : isObject(v) && validObject(v)));
}

function validMatcher(m: unknown): boolean {
  if (m === null || typeof m === 'string' || typeof m === 'number' || typeof m === 'boolean') return true;
  if (!isObject(m)) return false;
  const keys = Object.keys(m);
  if (keys.length !== 1) return false;
  const v = m[keys[0]];
  switch (keys[0]) {
    case 'exists':
      return typeof v === 'boolean';
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      return typeof v === 'string';
    case 'anything-but':
      return typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number')) || (isObject(v) && typeof v.prefix === 'string' && Object.keys(v).length === 1);
    case 'numeric':
      return validNumeric(v);
    default:
      return false;
  }
}

function validNumeric(v: unknown): boolean {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 4)) return false;
  for (let i = 0; i < v.length; i += 2) if (!NUMERIC_OPS.has(v[i] as string) || typeof v[i + 1] !== 'number') return false;
  return v.length === 2 || (String(v[0]).startsWith('>') && String(v[2]).startsWith('<'));
}

/** Whether `record` matches any of the patterns (an empty list matches everything). */
export function matchesAny(patterns: Record<string, Json>[], record: Record<string, unknown>): boolean {
  return patterns.length === 0 || patterns.some((p) => matchObject(p, record));
}

function matchObject(pattern: Record<string, Json>, value: unknown): boolean {
  return Object.entries(pattern).every(([k, p]) => {
    const present = isObject(value) && k in value && value[k] !== undefined;
    const v = present ? (value as Record<string, unknown>)[k] : undefined;
    if (Array.isArray(p)) return matchLeaf(p, present, v);
    return present && isObject(v) && matchObject(p as Record<string, Json>, v);
  });
}

function matchLeaf(matchers: Json[], present: boolean, v: unknown): boolean {
  // An array value matches when any of its elements does, as EventBridge does.
  const values = Array.isArray(v) ? v : [v];
  return matchers.some((m) => {
    if (isObject(m) && 'exists' in m) return m.exists === (present && !isObject(v));
    if (!present) return false;
    return values.some((x) => matchOne(m, x));
  });
}

function matchOne(m: Json, x: unknown): boolean {
  if (!isObject(m)) return m === x;
  const [key, arg] = Object.entries(m)[0];
  switch (key) {
    case 'prefix':
      return typeof x === 'string' && x.startsWith(arg as string);
    case 'suffix':
      return typeof x === 'string' && x.endsWith(arg as string);
    case 'equals-ignore-case':
      return typeof x === 'string' && x.toLowerCase() === (arg as string).toLowerCase();
    case 'anything-but':
      if (isObject(arg)) return typeof x === 'string' && !x.startsWith(arg.prefix as string);
      return Array.isArray(arg) ? !arg.includes(x as Json) : arg !== x;
    case 'numeric': {
      if (typeof x !== 'number') return false;
      const a = arg as (string | number)[];
      for (let i = 0; i < a.length; i += 2) if (!compare(x, a[i] as string, a[i + 1] as number)) return false;
      return true;
    }
    default:
      return false;
  }
}

function compare(x: number, op: string, n: number): boolean {
  switch (op) {
    case '<': return x < n;
    case '<=': return x <= n;
    case '=': return x === n;
    case '>': return x > n;
    default: return x >= n;
  }
}

/** An SQS record as filters see it: its `body` parsed when it is a JSON object (or array), else left as the string. */
export function filterViewOfSqs(record: Record<string, unknown>): Record<string, unknown> {
  const body = record.body;
  if (typeof body !== 'string') return record;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return { ...record, body: parsed };
  } catch {
    // A plain string body: matched as the string.
  }
  return record;
}
