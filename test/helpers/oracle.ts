// AWS's recorded answers (test/api/oracle/*.json, copied from reference/aws-oracle) with their placeholders filled in, for comparison with boto3's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** RevisionIds (UUIDs, or the oracle's `<uuid:N>`) renumbered by first appearance, so equal ones stay equal and no more. */
export function numberUuids(v: unknown): unknown {
  const seen = new Map<string, string>();
  const walk = (o: unknown): unknown => {
    if (typeof o === 'string' && /^(<uuid:\d+>|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.test(o)) {
      if (!seen.has(o)) seen.set(o, `uuid-${seen.size + 1}`);
      return seen.get(o);
    }
    if (Array.isArray(o)) return o.map(walk);
    if (o && typeof o === 'object') return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    return o;
  };
  return walk(v);
}

/**
 * The entries of one oracle file: `entries(test, names)` is that test's recorded answers by key, with the partition,
 * region and account made Alonzo's and each `<placeholder>` in `names` replaced (RevisionIds are left to numberUuids).
 */
export function oracleFile(file: string): (testName: string, names?: Record<string, string>) => Record<string, any> {
  const all = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'api', 'oracle', file), 'utf8')) as Record<string, unknown>;
  return (testName, names = {}) => {
    if (!(testName in all)) throw new Error(`${file} has no entry ${testName}`);
    let text = JSON.stringify(all[testName]).split('<partition>').join('aws').split('<region>').join('us-east-1').split('111111111111').join('000000000000');
    for (const [k, v] of Object.entries(names)) text = text.split(`<${k}>`).join(v);
    return JSON.parse(text);
  };
}
