// Keeps docs/errors.md's CloudWatch Logs table and the Logs error registry (src/observe/logs-errors.ts) in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOGS_ERRORS } from '../../src/observe/logs-errors.js';
import { REPO_ROOT } from '../helpers/paths.js';

test('docs/errors.md lists every CloudWatch Logs error with its status', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| Logs \| ([A-Za-z]+Exception) \| (\d{3}) \|/gm)) rows.set(m[1], Number(m[2]));
  assert.deepEqual([...rows.keys()].sort(), Object.keys(LOGS_ERRORS).sort());
  for (const [code, kind] of Object.entries(LOGS_ERRORS)) assert.equal(rows.get(code), kind.status, code);
});
