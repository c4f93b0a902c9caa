// Keeps docs/errors.md and the error registry (src/core/errors.ts) in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_KINDS, ServiceError, type ErrorCode } from '../../src/core/errors.js';
import { REPO_ROOT } from '../helpers/paths.js';

test('docs/errors.md lists every registry entry with its status and body casing', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, { status: number; casing: string }>();
  for (const m of doc.matchAll(/^\| ([A-Za-z]+Exception) \| (\d{3}) \| (Message|message) \|/gm)) {
    rows.set(m[1], { status: Number(m[2]), casing: m[3] });
  }
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_KINDS).sort(), 'the doc table and the registry name the same exceptions');
  for (const [code, kind] of Object.entries(ERROR_KINDS)) {
    assert.deepEqual(rows.get(code), { status: kind.status, casing: kind.casing }, code);
  }
});

test('a service error renders the casing, Type and extra members of its exception', () => {
  const nf = new ServiceError('ResourceNotFoundException', 'Function not found: x');
  assert.deepEqual(nf.body(), { Type: 'User', Message: 'Function not found: x' });
  assert.equal(nf.status, 404);
  const tmr = new ServiceError('TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ConcurrentInvocationLimitExceeded' });
  assert.deepEqual(tmr.body(), { Type: 'User', message: 'Rate Exceeded.', Reason: 'ConcurrentInvocationLimitExceeded' });
  const v = new ServiceError('ValidationException' as ErrorCode, 'bad');
  assert.deepEqual(v.body(), { message: 'bad' });
});
