// Migration 012 on a database written before accounts: every row becomes the server's own account's, whatever --account-id says, and other accounts see none of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations } from '../../src/store/migrate.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openSqliteQueue } from '../../src/queue/sqlite.js';

/** A data dir as Alonzo left it at migration 011, with one function and everything that hangs off it. */
function oldDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alonzo-m012-'));
  const db = new Database(join(dir, 'alonzo.db'));
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const m of loadMigrations('sqlite').filter((m) => m.id <= 11)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.id, m.name, 'then');
  }
  db.exec(`
    INSERT INTO functions VALUES ('old-fn', 2, '{}', 5, 'then');
    INSERT INTO versions VALUES ('old-fn', '$LATEST', -1, '{"Role":"r"}', 'sha', 1, 'Active', 'Successful', 'rev0', 'then');
    INSERT INTO versions VALUES ('old-fn', '1', 1, '{"Role":"r"}', 'sha', 1, 'Active', 'Successful', 'rev1', 'then');
    INSERT INTO aliases VALUES ('old-fn', 'prod', '1', '', NULL, 'reva');
    INSERT INTO provisioned_concurrency VALUES ('old-fn', 'prod', 2, 'then');
    INSERT INTO function_policies VALUES ('old-fn', 'prod', '[{"Sid":"s"}]', 'revp');
    INSERT INTO event_invoke_configs VALUES ('old-fn', '$LATEST', '0', 1, NULL, NULL, NULL, 1);
    INSERT INTO async_events (request_id, function_name, payload, enqueued_at, run_at) VALUES ('req-1', 'old-fn', x'7b7d', 1, 1);
  `);
  db.close();
  return dir;
}

test('rows written before accounts belong to the configured account; another account sees none and may reuse the names', async (t) => {
  const dir = oldDataDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = openSqliteStore(dir, { accountId: '123456789012' });
  const queue = openSqliteQueue(dir, { accountId: '123456789012' });
  t.after(async () => {
    await queue.close();
    await store.close();
  });
  assert.equal((await store.getFunction('old-fn'))?.reservedConcurrency, 5);
  assert.equal((await store.forAccount('123456789012').getVersion('old-fn', '1'))?.revisionId, 'rev1', 'the configured id names the same rows');
  assert.equal((await store.getAlias('old-fn', 'prod'))?.functionVersion, '1');
  assert.equal((await store.getProvisioned('old-fn', 'prod'))?.requested, 2);
  assert.deepEqual((await store.getPolicy('old-fn', 'prod'))?.statements, [{ Sid: 's' }]);
  assert.equal((await queue.configs.get('old-fn', '$LATEST'))?.maximumRetryAttempts, 1);
  const [claimed] = await queue.events.claim(10, Date.now());
  assert.equal(claimed.requestId, 'req-1');
  assert.equal(claimed.accountId, undefined, 'a queued event runs in the server\'s account');
  assert.deepEqual(await store.accountIds(), ['123456789012']);

  const other = store.forAccount('210987654321');
  assert.equal(await other.getFunction('old-fn'), undefined);
  assert.equal(await other.getPolicy('old-fn', 'prod'), undefined);
  assert.equal(await queue.configs.forAccount('210987654321').get('old-fn', '$LATEST'), undefined);
  assert.deepEqual((await other.listFunctions({ limit: 50, allVersions: true })).items, []);
  assert.equal(await other.createFunction({ name: 'old-fn', nextVersion: 1, tags: {}, reservedConcurrency: null, createdAt: 'now', recursiveLoop: null }, []), true, 'the same name in another account');
  assert.equal(await other.deleteFunction('old-fn'), true);
  assert.ok(await store.getFunction('old-fn'), 'deleting the other account\'s function left this one');
  assert.ok(await store.getPolicy('old-fn', 'prod'));
});
