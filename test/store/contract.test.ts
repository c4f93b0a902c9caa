// The Store port's contract, run against both adapters (SQLite in a temp dir, PostgreSQL in a schema of its own), then
// what only cluster mode has: two stores on one schema behave as two nodes.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openPostgres, type PgHandle } from '../../src/store/postgres/db.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { AliasRecord, FunctionRecord, FunctionUrlRecord, LayerVersionRecord, MappingRecord, Page, PolicyRecord, Store, VersionRecord, VersionSettings } from '../../src/store/types.js';
import { pgSchema, type PgSchema } from '../helpers/pg.js';

const OWN = '999999999999';
const OTHER = '222222222222';

interface Opened {
  store: Store;
  /** The `account` keys the functions table holds, as an operator would read them. */
  storedAccounts(): Promise<string[]>;
}

interface Adapter {
  name: string;
  open(t: TestContext): Promise<Opened>;
}

const sqlite: Adapter = {
  name: 'sqlite',
  async open(t) {
    const dir = mkdtempSync(join(tmpdir(), 'alonzo-store-'));
    const store = openSqliteStore(dir, { accountId: OWN });
    t.after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      store,
      async storedAccounts() {
        const db = new Database(join(dir, 'alonzo.db'), { readonly: true });
        try {
          return (db.prepare('SELECT DISTINCT account FROM functions ORDER BY account').all() as { account: string }[]).map((r) => r.account);
        } finally {
          db.close();
        }
      },
    };
  },
};

/** A node: its own pool and store on the schema. */
async function pgNode(schema: PgSchema, nodeId: string): Promise<{ store: Store; handle: PgHandle }> {
  const handle = await openPostgres(schema.url, { max: 4 });
  return { store: await openPostgresStore(handle, { url: schema.url, accountId: OWN, nodeId }), handle };
}

/** A schema with `n` nodes on it, closed (stores, then pools) and dropped after the test. */
async function pgCluster(t: TestContext, n: number): Promise<{ schema: PgSchema; nodes: { store: Store; handle: PgHandle }[] }> {
  const schema = await pgSchema('store');
  const nodes: { store: Store; handle: PgHandle }[] = [];
  t.after(async () => {
    for (const node of nodes) {
      await node.store.close();
      await node.handle.close();
    }
    await schema.drop();
  });
  for (let i = 0; i < n; i++) nodes.push(await pgNode(schema, `node-${i}`));
  return { schema, nodes };
}

const postgres: Adapter = {
  name: 'postgres',
  async open(t) {
    const { schema, nodes } = await pgCluster(t, 1);
    return {
      store: nodes[0].store,
      async storedAccounts() {
        return (await schema.query<{ account: string }>('SELECT DISTINCT account COLLATE "C" AS account FROM functions ORDER BY 1')).rows.map((r) => r.account);
      },
    };
  },
};

const settings: VersionSettings = {
  Runtime: 'nodejs20.x',
  Handler: 'index.handler',
  Role: 'arn:aws:iam::999999999999:role/fn',
  Description: '',
  Timeout: 3,
  MemorySize: 128,
  Environment: { Variables: { A: '1' } },
  Architectures: ['x86_64'],
  EphemeralStorage: { Size: 512 },
  TracingConfig: { Mode: 'PassThrough' },
  LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/fn' },
  PackageType: 'Zip',
};

const fnRecord = (name: string, extra: Partial<FunctionRecord> = {}): FunctionRecord => ({
  name,
  nextVersion: 1,
  tags: {},
  reservedConcurrency: null,
  createdAt: '2026-11-29T10:00:00.000+0000',
  recursiveLoop: null,
  ...extra,
});

const version = (functionName: string, v: string, extra: Partial<VersionRecord> = {}): VersionRecord => ({
  functionName,
  version: v,
  settings,
  codeSha256: `sha-${functionName}-${v}`,
  codeSize: 100,
  state: 'Active',
  lastUpdateStatus: 'Successful',
  revisionId: `rev-${functionName}-${v}`,
  lastModified: '2026-11-29T10:00:00.000+0000',
  ...extra,
});

const alias = (functionName: string, name: string, functionVersion: string, extra: Partial<AliasRecord> = {}): AliasRecord => ({
  functionName,
  name,
  functionVersion,
  description: '',
  routing: null,
  revisionId: `rev-${name}`,
  ...extra,
});

const policy = (functionName: string, qualifier: string, sids: string[], revisionId: string): PolicyRecord => ({
  functionName,
  qualifier,
  statements: sids.map((Sid) => ({ Sid, Effect: 'Allow', Action: 'lambda:InvokeFunction' })),
  revisionId,
});

const url = (functionName: string, qualifier: string, urlId: string, extra: Partial<FunctionUrlRecord> = {}): FunctionUrlRecord => ({
  functionName,
  qualifier,
  urlId,
  authType: 'NONE',
  cors: null,
  invokeMode: null,
  creationTime: '2026-11-29T10:00:00.000000Z',
  lastModifiedTime: '2026-11-29T10:00:00.000000Z',
  ...extra,
});

/** A function with its $LATEST and the given published versions (as createFunction takes them: nextVersion follows). */
async function create(store: Store, name: string, published: string[] = [], extra: Partial<FunctionRecord> = {}): Promise<void> {
  const next = published.length ? Math.max(...published.map(Number)) + 1 : 1;
  assert.equal(await store.createFunction(fnRecord(name, { nextVersion: next, ...extra }), [version(name, '$LATEST'), ...published.map((v) => version(name, v))]), true);
}

/** Every item, following the markers page by page; checks each page's size on the way. */
async function all<T>(limit: number, list: (marker?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const p = await list(marker);
    items.push(...p.items);
    if (!p.nextMarker) {
      assert.ok(p.items.length <= limit);
      return items;
    }
    assert.equal(p.items.length, limit, 'a page with a marker is full');
    assert.match(p.nextMarker, /^[A-Za-z0-9_-]+$/, 'markers are base64url');
    marker = p.nextMarker;
  }
  throw new Error('markers did not end');
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const adapter of [sqlite, postgres]) {
  describe(`Store contract: ${adapter.name}`, () => {
    test('functions are created with their versions, once per name, and deleted with everything that hangs off them', async (t) => {
      const { store } = await adapter.open(t);
      assert.equal(await store.getFunction('f'), undefined);
      const fn = fnRecord('f', { nextVersion: 2, tags: { team: 'a' }, reservedConcurrency: 5, recursiveLoop: 'Allow' });
      assert.equal(await store.createFunction(fn, [version('f', '$LATEST', { lastUpdateStatus: undefined }), version('f', '1', { codeSize: 7 })]), true);
      assert.deepEqual(await store.getFunction('f'), fn);
      assert.deepEqual(await store.getVersion('f', '$LATEST'), version('f', '$LATEST', { lastUpdateStatus: undefined }));
      assert.deepEqual(await store.getVersion('f', '1'), version('f', '1', { codeSize: 7 }));
      assert.equal(await store.getVersion('f', '2'), undefined);

      assert.equal(await store.createFunction(fnRecord('f', { tags: { other: 'b' } }), [version('f', '$LATEST', { codeSize: 1 })]), false, 'the name exists');
      assert.deepEqual(await store.getFunction('f'), fn, 'a refused create changes nothing');
      assert.equal((await store.getVersion('f', '$LATEST'))?.codeSize, 100);

      assert.equal(await store.insertAlias(alias('f', 'live', '1')), true);
      await store.putProvisioned({ functionName: 'f', qualifier: 'live', requested: 2, lastModified: 'now' });
      assert.equal(await store.putPolicy(policy('f', '', ['s1'], 'p1'), undefined), true);
      assert.equal(await store.deleteFunction('f'), true);
      assert.equal(await store.deleteFunction('f'), false);
      assert.equal(await store.getFunction('f'), undefined);
      assert.equal(await store.getVersion('f', '$LATEST'), undefined);
      assert.equal(await store.getVersion('f', '1'), undefined);
      assert.equal(await store.getAlias('f', 'live'), undefined);
      assert.equal(await store.getProvisioned('f', 'live'), undefined);
      assert.equal(await store.getPolicy('f', ''), undefined);
      assert.equal(await store.createFunction(fnRecord('f'), [version('f', '$LATEST')]), true, 'the name is free again');
      assert.deepEqual((await store.listVersions('f', { limit: 10 })).items.map((v) => v.version), ['$LATEST'], 'nothing of the old function came back');
    });

    test('updateFunction changes only what the patch names', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f', [], { tags: { a: '1' }, reservedConcurrency: 3 });
      await store.updateFunction('f', { tags: { b: '2' } });
      assert.deepEqual(await store.getFunction('f'), fnRecord('f', { tags: { b: '2' }, reservedConcurrency: 3 }));
      await store.updateFunction('f', { reservedConcurrency: null });
      assert.deepEqual(await store.getFunction('f'), fnRecord('f', { tags: { b: '2' }, reservedConcurrency: null }));
      await store.updateFunction('f', { tags: {}, reservedConcurrency: 0 });
      assert.deepEqual(await store.getFunction('f'), fnRecord('f', { tags: {}, reservedConcurrency: 0 }));
      await store.updateFunction('f', { recursiveLoop: 'Allow' });
      assert.deepEqual(await store.getFunction('f'), fnRecord('f', { tags: {}, reservedConcurrency: 0, recursiveLoop: 'Allow' }));
      await store.updateFunction('f', { tags: { c: '3' } });
      assert.deepEqual(await store.getFunction('f'), fnRecord('f', { tags: { c: '3' }, reservedConcurrency: 0, recursiveLoop: 'Allow' }), 'a tags patch keeps RecursiveLoop');
      await store.updateFunction('f', { recursiveLoop: 'Terminate' });
      assert.deepEqual(await store.getFunction('f'), fnRecord('f', { tags: { c: '3' }, reservedConcurrency: 0, recursiveLoop: 'Terminate' }));
      await store.updateFunction('f', { recursiveLoop: null });
      assert.equal((await store.getFunction('f'))?.recursiveLoop, null, 'back to never set');
      await store.updateFunction('gone', { reservedConcurrency: 1 });
      assert.equal(await store.getFunction('gone'), undefined);
    });

    test('listFunctions pages $LATEST by name in byte order, or every version by name then number', async (t) => {
      const { store } = await adapter.open(t);
      // Byte order: upper case before lower, '-' (0x2d) before digits before '_' (0x5f); a linguistic collation differs.
      const names = ['b', 'a_x', 'B-1', 'a-x', 'Z', 'a1', 'ab'];
      for (const n of names) await create(store, n, n === 'a-x' ? ['1', '2', '10'] : n === 'b' ? ['3'] : []);
      const sorted = [...names].sort();
      assert.deepEqual(sorted, ['B-1', 'Z', 'a-x', 'a1', 'a_x', 'ab', 'b']);
      for (const limit of [1, 2, 3, 50]) {
        const latest = await all(limit, (marker) => store.listFunctions({ marker, limit, allVersions: false }));
        assert.deepEqual(latest.map((v) => v.functionName), sorted, `limit ${limit}`);
        assert.ok(latest.every((v) => v.version === '$LATEST'));
      }
      assert.deepEqual((await store.listFunctions({ limit: 2, allVersions: false })).items[0], version('B-1', '$LATEST'), 'whole records');

      const expected = sorted.flatMap((n) => [`${n}:$LATEST`, ...(n === 'a-x' ? ['a-x:1', 'a-x:2', 'a-x:10'] : n === 'b' ? ['b:3'] : [])]);
      for (const limit of [1, 2, 4, 50]) {
        const every = await all(limit, (marker) => store.listFunctions({ marker, limit, allVersions: true }));
        assert.deepEqual(every.map((v) => `${v.functionName}:${v.version}`), expected, `limit ${limit}`);
      }
    });

    test('versions: put with and without an expected revision, delete, list by number with markers', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f', ['1', '2', '10']);
      const changed = version('f', '$LATEST', { codeSha256: 'new', codeSize: 5, revisionId: 'r2', lastUpdateStatus: 'InProgress', settings: { ...settings, Timeout: 9 } });
      assert.equal(await store.putVersion(changed, 'stale'), false, 'another revision');
      assert.deepEqual(await store.getVersion('f', '$LATEST'), version('f', '$LATEST'), 'a refused put changes nothing');
      assert.equal(await store.putVersion(changed, 'rev-f-$LATEST'), true);
      assert.deepEqual(await store.getVersion('f', '$LATEST'), changed);
      assert.equal(await store.putVersion({ ...changed, revisionId: 'r3' }, 'rev-f-$LATEST'), false, 'the revision moved on');
      assert.equal(await store.putVersion(version('f', '5'), 'rev-f-5'), false, 'no such version to compare with');
      assert.equal(await store.getVersion('f', '5'), undefined);
      assert.equal(await store.putVersion({ ...changed, state: 'Failed', revisionId: 'r4' }), true, 'no expectation: written');
      assert.equal((await store.getVersion('f', '$LATEST'))?.state, 'Failed');
      assert.equal(await store.putVersion(version('f', '7')), true, 'no expectation: inserted');

      for (const limit of [1, 2, 50]) {
        const listed = await all(limit, (marker) => store.listVersions('f', { marker, limit }));
        assert.deepEqual(listed.map((v) => v.version), ['$LATEST', '1', '2', '7', '10'], `limit ${limit}`);
      }
      assert.deepEqual((await store.listVersions('f', { limit: 50 })).items[1], version('f', '1'));
      assert.deepEqual(await store.listVersions('nope', { limit: 50 }), { items: [] });

      assert.equal(await store.deleteVersion('f', '7'), true);
      assert.equal(await store.deleteVersion('f', '7'), false);
      assert.equal(await store.getVersion('f', '7'), undefined);
      assert.equal(await store.deleteFunction('f'), true);
      assert.equal(await store.putVersion(changed, 'r4'), false, 'the function is gone');
    });

    test('publishVersion takes the next number and advances it', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f');
      const { version: _v, ...rec } = version('f', 'x', { codeSha256: 'pub' });
      assert.equal(await store.publishVersion(rec), '1');
      assert.equal(await store.publishVersion({ ...rec, revisionId: 'r2' }), '2');
      assert.equal((await store.getFunction('f'))?.nextVersion, 3);
      assert.deepEqual(await store.getVersion('f', '2'), { ...rec, revisionId: 'r2', version: '2' });
      await create(store, 'g', ['1', '4']);
      assert.equal(await store.publishVersion({ ...rec, functionName: 'g' }), '5', 'after the highest createFunction stored');
      await assert.rejects(store.publishVersion({ ...rec, functionName: 'gone' }));
      assert.equal(await store.getVersion('gone', '1'), undefined);
    });

    test("publishVersion moves $LATEST's revision in the same transaction, or writes nothing", async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f');
      const latest = (await store.getVersion('f', '$LATEST'))!;
      const { version: _v, ...rec } = version('f', 'x', { codeSha256: 'pub' });
      await assert.rejects(store.publishVersion(rec, { from: 'not-its-revision', to: 'next' }));
      assert.equal(await store.getVersion('f', '1'), undefined, 'no version when $LATEST moved meanwhile');
      assert.equal((await store.getFunction('f'))?.nextVersion, 1, 'and no number used');
      assert.equal((await store.getVersion('f', '$LATEST'))?.revisionId, latest.revisionId);
      assert.equal(await store.publishVersion(rec, { from: latest.revisionId, to: 'next' }), '1');
      assert.equal((await store.getVersion('f', '$LATEST'))?.revisionId, 'next');
    });

    test('aliases: insert once, replace, delete, list by name with a version filter and markers', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f', ['1', '2']);
      const live = alias('f', 'live', '1', { description: 'd', routing: { '2': 0.25 } });
      assert.equal(await store.insertAlias(live), true);
      assert.equal(await store.insertAlias(alias('f', 'live', '2')), false, 'exists');
      assert.deepEqual(await store.getAlias('f', 'live'), live);
      assert.equal(await store.getAlias('f', 'nope'), undefined);
      const replaced = alias('f', 'live', '2', { description: 'e', revisionId: 'r2' });
      await store.replaceAlias(replaced);
      assert.deepEqual(await store.getAlias('f', 'live'), replaced);

      for (const [n, v] of [['b', '1'], ['A', '1'], ['a-b', '2'], ['a_b', '1']]) assert.equal(await store.insertAlias(alias('f', n, v)), true);
      for (const limit of [1, 2, 50]) {
        assert.deepEqual((await all(limit, (marker) => store.listAliases('f', { marker, limit }))).map((a) => a.name), ['A', 'a-b', 'a_b', 'b', 'live'], `limit ${limit}`);
        assert.deepEqual((await all(limit, (marker) => store.listAliases('f', { marker, limit, functionVersion: '1' }))).map((a) => a.name), ['A', 'a_b', 'b'], `limit ${limit}, version 1`);
      }
      assert.deepEqual((await store.listAliases('f', { limit: 50, functionVersion: '2' })).items, [alias('f', 'a-b', '2'), replaced]);
      assert.deepEqual(await store.listAliases('g', { limit: 50 }), { items: [] });

      assert.equal(await store.deleteAlias('f', 'live'), true);
      assert.equal(await store.deleteAlias('f', 'live'), false);
      assert.equal(await store.getAlias('f', 'live'), undefined);
    });

    test('provisioned concurrency configs: put replaces, list per function or all in order, delete', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'g', ['1']);
      await create(store, 'f', ['1']);
      const p = { functionName: 'f', qualifier: 'live', requested: 2, lastModified: 't1' };
      assert.equal(await store.getProvisioned('f', 'live'), undefined);
      await store.putProvisioned(p);
      assert.deepEqual(await store.getProvisioned('f', 'live'), p);
      await store.putProvisioned({ ...p, requested: 4, lastModified: 't2' });
      assert.deepEqual(await store.getProvisioned('f', 'live'), { ...p, requested: 4, lastModified: 't2' });
      await store.putProvisioned({ functionName: 'f', qualifier: '1', requested: 1, lastModified: 't' });
      await store.putProvisioned({ functionName: 'g', qualifier: '1', requested: 1, lastModified: 't' });
      const keys = (list: { functionName: string; qualifier: string }[]) => list.map((c) => `${c.functionName}:${c.qualifier}`);
      assert.deepEqual(keys(await store.listProvisioned('f')), ['f:1', 'f:live']);
      assert.deepEqual(keys(await store.listProvisioned()), ['f:1', 'f:live', 'g:1']);
      assert.equal(await store.deleteProvisioned('f', 'live'), true);
      assert.equal(await store.deleteProvisioned('f', 'live'), false);
      assert.deepEqual(keys(await store.listProvisioned()), ['f:1', 'g:1']);
      await assert.rejects(store.putProvisioned({ ...p, functionName: 'gone' }), 'a config needs its function');
    });

    test('policies: compare-and-set on the revision, and gone with their version, alias or function', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f', ['1']);
      assert.equal(await store.insertAlias(alias('f', 'live', '1')), true);
      assert.equal(await store.getPolicy('f', ''), undefined);
      assert.equal(await store.putPolicy(policy('f', '', [], 'p0'), undefined), true, 'no statements and no policy: nothing to do');
      assert.equal(await store.getPolicy('f', ''), undefined);
      assert.equal(await store.putPolicy(policy('f', '', ['s1'], 'p1'), 'p0'), false, 'there is no policy with that revision');
      assert.equal(await store.putPolicy(policy('f', '', ['s1'], 'p1'), undefined), true);
      assert.deepEqual(await store.getPolicy('f', ''), policy('f', '', ['s1'], 'p1'));
      assert.equal(await store.putPolicy(policy('f', '', ['other'], 'px'), undefined), false, 'someone created it first');
      assert.equal(await store.putPolicy(policy('f', '', ['s1', 's2'], 'p2'), 'stale'), false);
      assert.equal(await store.putPolicy(policy('f', '', ['s1', 's2'], 'p2'), 'p1'), true);
      assert.deepEqual(await store.getPolicy('f', ''), policy('f', '', ['s1', 's2'], 'p2'));
      assert.equal(await store.putPolicy(policy('f', '', [], 'p3'), 'p1'), false, 'a stale removal');
      assert.equal(await store.putPolicy(policy('f', '', [], 'p3'), undefined), false, 'a policy exists');
      assert.equal(await store.putPolicy(policy('f', '', [], 'p3'), 'p2'), true, 'the last statement removed');
      assert.equal(await store.getPolicy('f', ''), undefined);

      assert.equal(await store.putPolicy(policy('f', '1', ['v'], 'pv'), undefined), true);
      assert.equal(await store.putPolicy(policy('f', 'live', ['a'], 'pa'), undefined), true);
      assert.equal(await store.putPolicy(policy('f', '', ['u'], 'pu'), undefined), true);
      assert.equal(await store.deleteVersion('f', '1'), true);
      assert.equal(await store.getPolicy('f', '1'), undefined, 'gone with its version');
      assert.ok(await store.getPolicy('f', 'live'));
      assert.equal(await store.deleteAlias('f', 'live'), true);
      assert.equal(await store.getPolicy('f', 'live'), undefined, 'gone with its alias');
      assert.ok(await store.getPolicy('f', ''));
      assert.equal(await store.deleteFunction('f'), true);
      assert.equal(await store.getPolicy('f', ''), undefined, 'gone with its function');
      assert.equal(await store.putPolicy(policy('f', '', ['late'], 'pl'), undefined), false, 'the function is gone');
      await create(store, 'f');
      assert.equal(await store.getPolicy('f', ''), undefined, 'a new function of the name starts without one');
    });

    test('function URLs: insert once, replace, list by qualifier with markers, found by url id in any account, gone with their alias or function', async (t) => {
      const { store } = await adapter.open(t);
      await create(store, 'f', ['1']);
      for (const al of ['live', 'beta', 'alpha']) assert.equal(await store.insertAlias(alias('f', al, '1')), true);
      assert.equal(await store.getFunctionUrl('f', ''), undefined);
      const plain = url('f', '', 'a'.repeat(32), { cors: { AllowOrigins: ['https://x.example'], MaxAge: 5 } });
      assert.equal(await store.insertFunctionUrl(plain), true);
      assert.equal(await store.insertFunctionUrl(url('f', '', 'b'.repeat(32))), false, 'one per function and qualifier');
      assert.deepEqual(await store.getFunctionUrl('f', ''), plain);
      for (const [q, id] of [['live', 'c'], ['beta', 'd'], ['alpha', 'e']]) assert.equal(await store.insertFunctionUrl(url('f', q, id.repeat(32))), true);
      assert.equal(await store.insertFunctionUrl(url('gone', '', 'f'.repeat(32))), false, 'no such function');

      const changed = { ...plain, authType: 'AWS_IAM' as const, cors: null, invokeMode: 'RESPONSE_STREAM' as const, urlId: 'z'.repeat(32), creationTime: 'later', lastModifiedTime: '2026-11-30T00:00:00.000000Z' };
      assert.equal(await store.replaceFunctionUrl(changed), true);
      assert.deepEqual(await store.getFunctionUrl('f', ''), { ...changed, urlId: plain.urlId, creationTime: plain.creationTime }, 'the url id and creation time stay');
      assert.equal(await store.replaceFunctionUrl(url('f', 'nope', 'y'.repeat(32))), false);

      const listed = await all(2, (marker) => store.listFunctionUrls('f', { marker, limit: 2 }));
      assert.deepEqual(listed.map((u) => u.qualifier), ['', 'alpha', 'beta', 'live'], "by qualifier, the function's own first");
      assert.deepEqual((await store.listFunctionUrls('f', { limit: 10 })).items.length, 4);

      const other = store.forAccount(OTHER);
      await create(other, 'f');
      assert.equal(await other.getFunctionUrl('f', ''), undefined, "another account's function of the same name has none");
      assert.equal(await other.insertFunctionUrl(url('f', '', 'o'.repeat(32))), true);
      assert.deepEqual(await store.findFunctionUrl('o'.repeat(32)), { accountId: OTHER, url: url('f', '', 'o'.repeat(32)) }, 'found from any view, with its account');
      assert.equal((await other.findFunctionUrl('c'.repeat(32)))?.accountId, OWN, "the server's own account is answered by its id");
      assert.equal(await store.findFunctionUrl('q'.repeat(32)), undefined);

      assert.equal(await store.deleteAlias('f', 'live'), true);
      assert.equal(await store.getFunctionUrl('f', 'live'), undefined, 'gone with its alias');
      assert.equal(await store.findFunctionUrl('c'.repeat(32)), undefined);
      assert.equal(await store.deleteFunctionUrl('f', 'beta'), true);
      assert.equal(await store.deleteFunctionUrl('f', 'beta'), false);
      assert.deepEqual((await store.listFunctionUrls('f', { limit: 10 })).items.map((u) => u.qualifier), ['', 'alpha']);
      assert.equal(await store.deleteFunction('f'), true);
      assert.equal(await store.getFunctionUrl('f', ''), undefined, 'gone with its function');
      assert.equal(await store.findFunctionUrl('a'.repeat(32)), undefined);
      assert.ok(await other.getFunctionUrl('f', ''), "the other account's stays");
    });

    test('accountUsage counts functions, the code of every version and the reserved concurrency', async (t) => {
      const { store } = await adapter.open(t);
      assert.deepEqual(await store.accountUsage(), { functionCount: 0, totalCodeSize: 0, reservedConcurrency: 0 });
      await create(store, 'f', ['1', '2'], { reservedConcurrency: 10 });
      await create(store, 'g', [], { reservedConcurrency: 5 });
      await create(store, 'h');
      assert.equal(await store.putVersion(version('h', '$LATEST', { codeSize: 3_000_000_000 }), 'rev-h-$LATEST'), true);
      assert.deepEqual(await store.accountUsage(), { functionCount: 3, totalCodeSize: 3 * 100 + 100 + 3_000_000_000, reservedConcurrency: 15 });
    });

    test('accounts: each view sees its own rows only; the server\'s own account is stored as \'\'', async (t) => {
      const { store, storedAccounts } = await adapter.open(t);
      const other = store.forAccount(OTHER);
      assert.equal(store.forAccount(OTHER), other, 'views are cached');
      assert.equal(store.forAccount(OWN), store, 'the configured id names the own view');
      assert.deepEqual(await store.accountIds(), []);

      await create(store, 'f', ['1'], { reservedConcurrency: 2 });
      assert.equal(await store.insertAlias(alias('f', 'live', '1')), true);
      await store.putProvisioned({ functionName: 'f', qualifier: 'live', requested: 1, lastModified: 't' });
      assert.equal(await store.putPolicy(policy('f', '', ['s'], 'p'), undefined), true);
      assert.deepEqual(await storedAccounts(), ['']);
      assert.deepEqual(await store.accountIds(), [OWN]);

      assert.equal(await other.getFunction('f'), undefined);
      assert.equal(await other.getVersion('f', '$LATEST'), undefined);
      assert.equal(await other.getAlias('f', 'live'), undefined);
      assert.equal(await other.getProvisioned('f', 'live'), undefined);
      assert.equal(await other.getPolicy('f', ''), undefined);
      assert.deepEqual((await other.listFunctions({ limit: 50, allVersions: true })).items, []);
      assert.deepEqual((await other.listVersions('f', { limit: 50 })).items, []);
      assert.deepEqual((await other.listAliases('f', { limit: 50 })).items, []);
      assert.deepEqual(await other.listProvisioned(), []);
      assert.deepEqual(await other.accountUsage(), { functionCount: 0, totalCodeSize: 0, reservedConcurrency: 0 });
      assert.equal(await other.deleteFunction('f'), false);
      assert.equal(await other.putVersion(version('f', '$LATEST', { revisionId: 'x' }), 'rev-f-$LATEST'), false);
      assert.equal(await other.putPolicy(policy('f', '', ['x'], 'x'), 'p'), false);
      await assert.rejects(other.publishVersion(version('f', '$LATEST')));

      await create(other, 'f', [], { reservedConcurrency: 1 });
      assert.equal(await other.insertAlias(alias('f', 'live', '$LATEST')), true, 'the same alias name in another account');
      assert.equal(await other.publishVersion(version('f', '$LATEST')), '1', 'its own numbering');
      assert.deepEqual(await storedAccounts(), ['', OTHER]);
      assert.deepEqual(await store.accountIds(), [OWN, OTHER]);
      assert.deepEqual((await store.listFunctions({ limit: 50, allVersions: true })).items.map((v) => v.version), ['$LATEST', '1']);
      assert.equal((await store.getFunction('f'))?.nextVersion, 2);
      assert.equal((await store.getAlias('f', 'live'))?.functionVersion, '1');
      assert.deepEqual(await other.accountUsage(), { functionCount: 1, totalCodeSize: 200, reservedConcurrency: 1 });
      assert.equal(await other.deleteFunction('f'), true);
      assert.ok(await store.getFunction('f'), 'deleting the other account\'s function left this one');
      assert.ok(await store.getPolicy('f', ''));
      assert.deepEqual(await store.accountIds(), [OWN]);
    });

    test('generation moves with every write, through any account\'s view, and only then', async (t) => {
      const { store } = await adapter.open(t);
      const other = store.forAccount(OTHER);
      const writes: [string, () => Promise<unknown>][] = [
        ['createFunction', () => store.createFunction(fnRecord('f'), [version('f', '$LATEST')])],
        ['updateFunction', () => store.updateFunction('f', { tags: { a: 'b' } })],
        ['putVersion', () => store.putVersion(version('f', '$LATEST', { revisionId: 'r2' }), 'rev-f-$LATEST')],
        ['publishVersion', () => store.publishVersion(version('f', '$LATEST'))],
        ['insertAlias', () => store.insertAlias(alias('f', 'live', '1'))],
        ['replaceAlias', () => store.replaceAlias(alias('f', 'live', '$LATEST'))],
        ['putProvisioned', () => store.putProvisioned({ functionName: 'f', qualifier: 'live', requested: 1, lastModified: 't' })],
        ['deleteProvisioned', () => store.deleteProvisioned('f', 'live')],
        ['deleteAlias', () => store.deleteAlias('f', 'live')],
        ['deleteVersion', () => store.deleteVersion('f', '1')],
        ['deleteFunction', () => store.deleteFunction('f')],
        ['another account\'s createFunction', () => other.createFunction(fnRecord('g'), [version('g', '$LATEST')])],
      ];
      for (const [what, write] of writes) {
        const before = store.generation();
        await write();
        assert.notEqual(store.generation(), before, what);
        assert.equal(other.generation(), store.generation(), 'one counter for every account');
      }
      // Nobody writes: reads leave it, and so does the store's own notification coming back (PostgreSQL).
      await new Promise((r) => setTimeout(r, 200));
      const still = store.generation();
      await store.getFunction('g');
      await other.getFunction('g');
      await other.listFunctions({ limit: 10, allVersions: true });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(store.generation(), still);
    });

    test('tryLock: one holder per function and account until it unlocks', async (t) => {
      const { store } = await adapter.open(t);
      const unlock = await store.tryLock('f');
      assert.ok(unlock);
      assert.equal(await store.tryLock('f'), undefined, 'held');
      const g = await store.tryLock('g');
      assert.ok(g, 'another function');
      const otherF = await store.forAccount(OTHER).tryLock('f');
      assert.ok(otherF, 'another account\'s function of the same name');
      assert.equal(await store.forAccount(OWN).tryLock('f'), undefined, 'the own account under its id is the same account');
      await unlock();
      const again = await store.tryLock('f');
      assert.ok(again, 'free after unlock');
      await unlock();
      assert.equal(await store.tryLock('f'), undefined, 'a second unlock does not free the next holder\'s lock');
      await again();
      await g();
      await otherF();
    });

    test('layers: numbers count per layer and are never reused; versions newest first; per account; policy compare-and-set', async (t) => {
      const { store } = await adapter.open(t);
      const L = store.layers;
      const rec = (name: string, extra: Partial<LayerVersionRecord> = {}) => ({
        layerName: name,
        description: '',
        codeSha256: 'c2hh',
        codeHex: 'ab'.repeat(32),
        codeSize: 10,
        createdDate: '2026-11-29T00:00:00.000+0000',
        ...extra,
      });
      assert.equal(await L.publish(rec('b', { compatibleRuntimes: ['nodejs20.x'], licenseInfo: 'MIT' })), 1);
      assert.equal(await L.publish(rec('b', { compatibleRuntimes: [] })), 2);
      assert.equal(await L.publish(rec('a')), 1, 'each layer counts from 1');
      assert.deepEqual((await L.get('b', 1))?.compatibleRuntimes, ['nodejs20.x']);
      assert.equal((await L.get('b', 1))?.licenseInfo, 'MIT');
      assert.deepEqual((await L.get('b', 2))?.compatibleRuntimes, [], 'an empty list stays an empty list');
      assert.equal((await L.get('a', 1))?.compatibleRuntimes, undefined, 'an absent list stays absent');
      assert.deepEqual((await L.versions('b')).map((r) => r.version), [2, 1]);
      assert.deepEqual((await L.all()).map((r) => `${r.layerName}:${r.version}`), ['a:1', 'b:2', 'b:1']);
      assert.equal(await L.delete('b', 2), true);
      assert.equal(await L.delete('b', 2), false);
      assert.equal(await L.delete('b', 1), true);
      assert.deepEqual(await L.versions('b'), []);
      assert.equal(await L.publish(rec('b')), 3, 'numbers are not reused after every version is gone');
      assert.deepEqual(await store.forAccount(OTHER).layers.versions('b'), [], "another account's layers are its own");
      assert.equal(await store.forAccount(OTHER).layers.publish(rec('b')), 1);

      assert.equal(await L.getPolicy('b', 3), undefined);
      const st = (sid: string) => ({ Sid: sid, Effect: 'Allow', Principal: '*', Action: 'lambda:GetLayerVersion' });
      assert.equal(await L.putPolicy('b', 3, { statements: [st('s1')], revisionId: 'r1' }, 'not-yet'), false, 'no policy yet: an expected revision fails');
      assert.equal(await L.putPolicy('b', 3, { statements: [st('s1')], revisionId: 'r1' }, undefined), true);
      assert.equal(await L.putPolicy('b', 3, { statements: [st('s2')], revisionId: 'r2' }, undefined), false, 'a policy exists now');
      assert.equal(await L.putPolicy('b', 3, { statements: [st('s1'), st('s2')], revisionId: 'r2' }, 'r1'), true);
      assert.deepEqual(await L.getPolicy('b', 3), { statements: [st('s1'), st('s2')], revisionId: 'r2' });
      assert.equal(await L.putPolicy('b', 3, { statements: [], revisionId: 'r3' }, 'r2'), true, 'no statements: removed');
      assert.equal(await L.getPolicy('b', 3), undefined);
      assert.equal(await L.putPolicy('b', 99, { statements: [st('s1')], revisionId: 'r1' }, undefined), false, 'a version that is not there');
    });

    test('event source mappings: insert once per UUID, replace only from the expected state, list by function or source with markers, every account\'s for the pollers, outliving their function', async (t) => {
      const { store } = await adapter.open(t);
      const M = store.mappings;
      const m = (uuid: string, fn: string, src: string, extra: Partial<MappingRecord> = {}): MappingRecord => ({
        uuid, functionName: fn, eventSourceArn: src, state: 'Creating', lastModified: 1_700_000_000_123, config: { BatchSize: 10, FunctionArn: `arn:aws:lambda:us-east-1:${OWN}:function:${fn}`, FunctionResponseTypes: [] }, tags: { team: 'a' }, ...extra,
      });
      const q1 = 'arn:aws:sqs:us-east-1:000000000000:q1';
      const q2 = 'arn:aws:sqs:us-east-1:000000000000:q2';
      await create(store, 'f');
      const a = m('00000000-0000-4000-8000-00000000000a', 'f', q1);
      assert.equal(await M.insert(a), true);
      assert.equal(await M.insert(m(a.uuid, 'g', q2)), false, 'one per UUID');
      assert.deepEqual(await M.get(a.uuid), a);
      for (const [u, fn, src] of [['c', 'g', q1], ['b', 'f', q2], ['d', 'f', q1]]) assert.equal(await M.insert(m(`00000000-0000-4000-8000-00000000000${u}`, fn, src)), true);
      const ids = (p: MappingRecord[]) => p.map((x) => x.uuid.slice(-1));
      assert.deepEqual(ids(await all(2, (marker) => M.list({ marker, limit: 2 }))), ['a', 'b', 'c', 'd'], 'by UUID');
      assert.deepEqual(ids(await all(1, (marker) => M.list({ functionName: 'f', marker, limit: 1 }))), ['a', 'b', 'd']);
      assert.deepEqual(ids((await M.list({ eventSourceArn: q1, limit: 10 })).items), ['a', 'c', 'd']);
      assert.deepEqual(ids((await M.list({ functionName: 'f', eventSourceArn: q1, limit: 10 })).items), ['a', 'd']);

      const enabled = { ...a, state: 'Enabled' as const, config: { ...a.config, BatchSize: 5 } };
      assert.equal(await M.replace(enabled, 'Creating'), true);
      assert.deepEqual(await M.get(a.uuid), enabled);
      assert.equal(await M.replace({ ...a, state: 'Disabled' }, 'Creating'), false, 'the state moved on: nothing written');
      assert.equal((await M.get(a.uuid))?.state, 'Enabled');
      assert.equal(await M.replace({ ...enabled, state: 'Updating' }), true, 'no expected state: unconditional');
      assert.equal(await M.replace(m('00000000-0000-4000-8000-00000000000f', 'f', q1)), false, 'not there');

      const other = store.forAccount(OTHER);
      assert.equal(await other.mappings.get(a.uuid), undefined, "another account does not see it");
      assert.equal(await other.mappings.delete(a.uuid), false);
      assert.equal(await other.mappings.insert(m('00000000-0000-4000-8000-00000000000e', 'f', q1)), true);
      assert.deepEqual((await other.mappings.list({ limit: 10 })).items.map((x) => x.uuid.slice(-1)), ['e']);
      const everywhere = await store.allMappings();
      assert.deepEqual(everywhere.map((x) => `${x.mapping.uuid.slice(-1)}@${x.accountId}`), ['a', 'b', 'c', 'd'].map((u) => `${u}@${OWN}`).concat([`e@${OTHER}`]));

      assert.equal(await M.setState(a.uuid, 'Enabled', 'Disabled'), false, 'not from a state it is not in');
      assert.equal(await M.setState(a.uuid, 'Updating', 'Enabled'), true);
      assert.equal((await M.get(a.uuid))?.state, 'Enabled');
      assert.equal(await M.setTags(a.uuid, { team: 'b', env: 'prod' }), true);
      assert.deepEqual((await M.get(a.uuid))?.tags, { team: 'b', env: 'prod' });
      assert.deepEqual((await M.get(a.uuid))?.config, enabled.config, 'tags and state change alone');
      assert.equal(await M.setTags('00000000-0000-4000-8000-00000000000f', {}), false);
      await M.setLastProcessingResult(a.uuid, 'OK');
      assert.deepEqual((await M.get(a.uuid))?.config, { ...enabled.config, LastProcessingResult: 'OK' }, 'only that member changes');
      assert.equal(await M.checkpoint(a.uuid, 'shardId-000000000000'), undefined);
      await M.saveCheckpoint(a.uuid, 'shardId-000000000000', '49590338271490256608559692538361571095921575989136588898');
      await M.saveCheckpoint(a.uuid, 'shardId-000000000001', '1');
      await M.saveCheckpoint(a.uuid, 'shardId-000000000000', '49590338271490256608559692538361571095921575989136588899');
      assert.equal(await M.checkpoint(a.uuid, 'shardId-000000000000'), '49590338271490256608559692538361571095921575989136588899', 'the last one saved');
      assert.equal(await M.checkpoint(a.uuid, 'shardId-000000000001'), '1');

      assert.equal(await store.deleteFunction('f'), true);
      assert.equal((await M.get(a.uuid))?.state, 'Enabled', 'a mapping outlives its function, as on AWS');
      assert.equal(await M.delete(a.uuid), true);
      assert.equal(await M.delete(a.uuid), false);
      assert.equal(await M.get(a.uuid), undefined);
      assert.equal(await M.checkpoint(a.uuid, 'shardId-000000000000'), undefined, 'its checkpoints went with it');
    });
  });
}

describe('Store on PostgreSQL: two nodes on one schema', () => {
  test('publishing from both nodes at once gives distinct, consecutive numbers', async (t) => {
    const { nodes } = await pgCluster(t, 2);
    const [a, b] = nodes.map((n) => n.store);
    await create(a, 'f');
    const { version: _v, ...rec } = version('f', 'x');
    const published = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).publishVersion({ ...rec, revisionId: `r${i}` })));
    assert.deepEqual(published.map(Number).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal((await b.getFunction('f'))?.nextVersion, 21);
    const stored = await all(50, (marker) => a.listVersions('f', { marker, limit: 50 }));
    assert.equal(stored.length, 21);
    for (const [i, v] of published.entries()) assert.equal(stored.find((s) => s.version === v)?.revisionId, `r${i}`, 'each number holds what its publisher wrote');
  });

  test('a write on one node moves the other node\'s generation; its own notifications do not move its own twice', async (t) => {
    const { nodes } = await pgCluster(t, 2);
    const [a, b] = nodes.map((n) => n.store);
    let before = b.generation();
    await create(a, 'f');
    await until('B sees A\'s createFunction', () => b.generation() !== before);
    before = b.generation();
    await a.forAccount(OTHER).createFunction(fnRecord('g'), [version('g', '$LATEST')]);
    await until('B sees a write to another account', () => b.generation() !== before);
    assert.ok(await b.forAccount(OTHER).getFunction('g'));
    before = b.generation();
    await a.putProvisioned({ functionName: 'f', qualifier: '$LATEST', requested: 1, lastModified: 't' });
    await until('B sees putProvisioned', () => b.generation() !== before);

    await new Promise((r) => setTimeout(r, 200));
    const aBefore = a.generation();
    const bBefore = b.generation();
    await a.updateFunction('f', { reservedConcurrency: 1 });
    const aAfter = a.generation();
    await until('B sees updateFunction', () => b.generation() !== bBefore);
    await new Promise((r) => setTimeout(r, 200));
    assert.notEqual(aAfter, aBefore);
    assert.equal(a.generation(), aAfter, 'A\'s own notification came back and changed nothing');
  });

  test('an update lock held on one node refuses the other until unlocked, or until the holder closes or dies', async (t) => {
    const { schema, nodes } = await pgCluster(t, 3);
    const [a, b, c] = nodes.map((n) => n.store);
    const unlock = await a.tryLock('f');
    assert.ok(unlock);
    assert.equal(await b.tryLock('f'), undefined, 'held on A');
    assert.equal(await c.tryLock('f'), undefined, 'held on A');
    assert.ok(await b.forAccount(OTHER).tryLock('f'), 'another account');
    await unlock();
    const onB = await b.tryLock('f');
    assert.ok(onB, 'free after unlock');
    assert.equal(await a.tryLock('f'), undefined, 'now held on B');

    await b.close();
    const onC = await c.tryLock('f');
    assert.ok(onC, 'freed when its holder\'s store closed');
    await onB!();

    // A node that dies takes its locks along: end the session holding C's lock, as a crash would.
    const key = BigInt.asUintN(64, BigInt(nodes[2].handle.lockKey(`update:${OTHER}:g`)));
    const held = await c.forAccount(OTHER).tryLock('g');
    assert.ok(held);
    const { rows } = await schema.query<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
      [String(key >> 32n), String(key & 0xffffffffn)],
    );
    assert.equal(rows.length, 1, 'the lock is a session advisory lock on the database');
    await schema.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    let taken: (() => Promise<void>) | undefined;
    await until('the dead session\'s lock is free', async () => (taken = await a.forAccount(OTHER).tryLock('g')) !== undefined);
    await held();
    assert.equal(await c.forAccount(OTHER).tryLock('g'), undefined, 'unlocking after the session died did not free the new holder\'s lock');
    await taken!();
    await onC();
  });

  test('layer versions published from both nodes at once get distinct, consecutive numbers', async (t) => {
    const { nodes } = await pgCluster(t, 2);
    const rec = { layerName: 'shared', description: '', codeSha256: 'c2hh', codeHex: 'cd'.repeat(32), codeSize: 1, createdDate: 'now' };
    const numbers = await Promise.all(Array.from({ length: 10 }, (_, i) => nodes[i % 2].store.layers.publish(rec)));
    assert.deepEqual([...numbers].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('racing writers on two nodes: exactly one compare-and-set wins each round', async (t) => {
    const { nodes } = await pgCluster(t, 2);
    const [a, b] = nodes.map((n) => n.store);
    await create(a, 'f');
    let revision = 'rev-f-$LATEST';
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        [a, b].map((s, i) => s.putVersion(version('f', '$LATEST', { revisionId: `r${round}-${i}`, codeSize: i }), revision)),
      );
      assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
      const winner = results.indexOf(true);
      assert.equal((await b.getVersion('f', '$LATEST'))?.revisionId, `r${round}-${winner}`, 'the winner\'s write stands');
      revision = `r${round}-${winner}`;
    }

    let policyRevision: string | undefined;
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([a, b].map((s, i) => s.putPolicy(policy('f', '', [`s${round}-${i}`], `p${round}-${i}`), policyRevision)));
      assert.equal(results.filter(Boolean).length, 1, `policy round ${round}: ${results}`);
      policyRevision = `p${round}-${results.indexOf(true)}`;
      assert.equal((await a.getPolicy('f', ''))?.revisionId, policyRevision);
    }

    const created = await Promise.all([a, b].map((s) => s.createFunction(fnRecord('g'), [version('g', '$LATEST')])));
    assert.deepEqual(created.filter(Boolean), [true], 'one create of a name wins');
  });
});
