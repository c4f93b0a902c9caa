// Three real nodes (`alonzo serve --database-url`, their own ports and data dirs) on one PostgreSQL schema, driven
// through the real clients: what one node is told, every node knows and runs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  TooManyRequestsException,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { lambdaClient, ROLE, runAws, runBoto3, zipOf, type TestServer } from '../helpers/alonzo.js';
import { eventually, waitActive } from '../helpers/invoke.js';
import { ROOT_KEY } from '../helpers/sign.js';
import { pgSchema, type PgSchema } from '../helpers/pg.js';
import { alonzoCli, startNodes, stopNodes, type Node } from '../helpers/cluster.js';

const ROOT_ENV = { AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey };
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

/** A handler that says which code it is. */
const codeZip = (tag: string, sleepMs = 0) =>
  zipOf({ 'index.js': `exports.handler = async (e) => { if (e && e.sleepMs) await new Promise((r) => setTimeout(r, e.sleepMs)); return { tag: ${JSON.stringify(tag)} }; };` });

async function invokeTag(client: LambdaClient, fn: string, payload: unknown = {}): Promise<string> {
  const r = await client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)) }));
  assert.equal(r.FunctionError, undefined, text(r.Payload));
  return JSON.parse(text(r.Payload)).tag;
}

describe('a cluster of three nodes on one PostgreSQL', { timeout: 240_000 }, () => {
  let schema: PgSchema;
  let nodes: Node[] = [];
  let [a, b, c] = [] as Node[];
  const tmp = mkdtempSync(join(tmpdir(), 'alonzo-cluster-'));

  before(async () => {
    schema = await pgSchema('nodes');
    // sigv4 with a root key: every node verifies the same keys, kept in the database.
    nodes = await startNodes(schema.url, 3, { ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, ALONZO_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey });
    [a, b, c] = nodes;
    for (const n of nodes) {
      n.client.destroy();
      n.client = lambdaClient(n.url, { credentials: ROOT_KEY });
    }
  });

  after(async () => {
    await stopNodes(nodes);
    await schema?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('created on one node, the function runs on the others (SDK v3, AWS CLI v2, boto3)', async () => {
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'hello', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await codeZip('v1') } }));
    await waitActive({ client: b.client } as TestServer, 'hello');
    const out = join(tmp, 'out.json');
    const cli = await runAws('v2', b.url, ['lambda', 'invoke', '--function-name', 'hello', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{}', out], tmp, ROOT_ENV);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).StatusCode, 200);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).tag, 'v1');
    const py = await runBoto3(c.url, `r = client.invoke(FunctionName='hello', Payload=b'{}')\nprint(r['Payload'].read().decode())`, ROOT_KEY);
    assert.equal(py.code, 0, py.stderr);
    assert.equal(JSON.parse(py.stdout).tag, 'v1');
  });

  test('updated on one node, every node runs the new code', async (t) => {
    // Warm environments of the old code on every node first: they are what must not be used again.
    for (const n of nodes) assert.equal(await invokeTag(n.client, 'hello'), 'v1');
    const zip = join(tmp, 'v2.zip');
    writeFileSync(zip, await codeZip('v2'));
    const cli = await runAws('v1', a.url, ['lambda', 'update-function-code', '--function-name', 'hello', '--zip-file', `fileb://${zip}`], tmp, ROOT_ENV);
    assert.equal(cli.code, 0, cli.stderr);
    const updated = Date.now();
    const lag: number[] = [];
    for (const n of [b, c]) {
      await eventually(async () => (await invokeTag(n.client, 'hello')) === 'v2', 2_000, `node ${n.name} to run the new code`);
      lag.push(Date.now() - updated);
    }
    // From then on, never the old code again, on any node.
    for (let i = 0; i < 9; i++) assert.equal(await invokeTag(nodes[i % 3].client, 'hello'), 'v2');
    t.diagnostic(`new code on every node ${Math.max(...lag)} ms after the CLI had the UpdateFunctionCode answer`);
  });

  test('a layer published on one node is used by a function created on another and run on a third', async () => {
    const layer = await a.client.send(
      new PublishLayerVersionCommand({ LayerName: 'cluster-lib', Content: { ZipFile: await zipOf({ 'nodejs/node_modules/cluster-lib/index.js': "module.exports = 'from the layer';\n" }) } }),
    );
    assert.equal(layer.Version, 1);
    assert.equal((await c.client.send(new PublishLayerVersionCommand({ LayerName: 'cluster-lib', Content: { ZipFile: await zipOf({ 'x.txt': 'x' }) } }))).Version, 2, 'one numbering for the cluster');
    await b.client.send(
      new CreateFunctionCommand({ FunctionName: 'layered', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Layers: [layer.LayerVersionArn!], Code: { ZipFile: await zipOf({ 'index.js': "exports.handler = async () => ({ tag: require('cluster-lib') });\n" }) } }),
    );
    await waitActive({ client: c.client } as TestServer, 'layered');
    assert.equal(await invokeTag(c.client, 'layered'), 'from the layer');
  });

  test('`alonzo logs` on any node shows the invocations of every node', async () => {
    const ids: string[] = [];
    for (const n of [a, b]) {
      const r = await n.client.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from('{}') }));
      ids.push(r.$metadata.requestId!);
    }
    await eventually(
      async () => {
        const out = alonzoCli(['logs', 'hello', '--endpoint-url', c.url], { ALONZO_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, ALONZO_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey });
        return ids.every((id) => out.includes(`START RequestId: ${id}`));
      },
      5_000,
      'node c to show the logs of invocations on nodes a and b',
    );
  });

  test('`alonzo cluster status` lists the three nodes, alive', () => {
    const status = JSON.parse(alonzoCli(['cluster', 'status', '--json', '--database-url', schema.url]));
    const names = status.Nodes.map((n: { name: string }) => n.name).sort();
    assert.deepEqual(names, ['node-a', 'node-b', 'node-c']);
    for (const n of status.Nodes) {
      assert.equal(n.alive, true, `${n.name} is alive`);
      assert.ok(nodes.some((x) => x.url === n.url), `${n.name}'s URL ${n.url} is one of the nodes'`);
    }
    const table = alonzoCli(['cluster', 'status', '--database-url', schema.url]);
    assert.match(table, /^NODE\s+URL\s+STATE/m);
    assert.match(table, /node-b\s+http:\/\/127\.0\.0\.1:\d+\s+alive/);
  });

  test('reserved concurrency holds across nodes, and never throttles invokes that take turns', async () => {
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'slow', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await codeZip('slow') } }));
    await waitActive({ client: a.client } as TestServer, 'slow');
    await b.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: 2 }));
    // Three at once, one per node, each holding its slot 2 s: two run, one is refused.
    const results = await Promise.allSettled(nodes.map((n) => invokeTag(n.client, 'slow', { sleepMs: 2000 })));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2, JSON.stringify(results.map((r) => r.status)));
    assert.equal(refused.length, 1);
    const e = (refused[0] as PromiseRejectedResult).reason;
    assert.ok(e instanceof TooManyRequestsException, String(e));
    assert.equal(e.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    // One after another, round robin over the nodes: each finds the slot the one before gave back.
    for (let i = 0; i < 6; i++) assert.equal(await invokeTag(nodes[i % 3].client, 'slow'), 'slow');
  });

  test('provisioned concurrency is spread over the live nodes', async () => {
    const v = await a.client.send(new PublishVersionCommand({ FunctionName: 'hello' }));
    await c.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'hello', Qualifier: v.Version, ProvisionedConcurrentExecutions: 3 }));
    for (const n of nodes) {
      await eventually(
        async () => {
          const st = await n.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'hello', Qualifier: v.Version }));
          return st.Status === 'READY' && st.AllocatedProvisionedConcurrentExecutions === 3;
        },
        15_000,
        `node ${n.name} to report 3 allocated`,
      );
    }
    const perNode = () =>
      JSON.parse(alonzoCli(['cluster', 'status', '--json', '--database-url', schema.url]))
        .Nodes.filter((n: { alive: boolean }) => n.alive)
        .map((n: { provisioned: Record<string, number> }) => Object.values(n.provisioned).reduce((x, y) => x + y, 0));
    await eventually(async () => perNode().join() === '1,1,1', 5_000, 'one provisioned environment on each node');
  });

  test('an access key created with `alonzo keys --database-url` works on every node, and its deletion on every node', async () => {
    const made = JSON.parse(alonzoCli(['keys', 'create', '--json', '--name', 'ci', '--database-url', schema.url])).AccessKey;
    const creds = { accessKeyId: made.AccessKeyId, secretAccessKey: made.SecretAccessKey };
    for (const n of nodes) {
      const cl = lambdaClient(n.url, { credentials: creds });
      await eventually(async () => (await invokeTag(cl, 'hello')) === 'v2', 2_000, `node ${n.name} to accept the new key`);
      cl.destroy();
    }
    alonzoCli(['keys', 'delete', made.AccessKeyId, '--database-url', schema.url]);
    for (const n of nodes) {
      const cl = lambdaClient(n.url, { credentials: creds });
      await eventually(
        async () => {
          try {
            await invokeTag(cl, 'hello');
            return false;
          } catch (e) {
            return (e as { name?: string }).name === 'UnrecognizedClientException';
          }
        },
        2_000,
        `node ${n.name} to refuse the deleted key`,
      );
      cl.destroy();
    }
  });

  test('when a node dies, its provisioned share moves to the live nodes', async () => {
    await c.kill();
    nodes = [a, b];
    await eventually(
      async () => {
        const st = await a.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'hello', Qualifier: '1' }));
        const counts = JSON.parse(alonzoCli(['cluster', 'status', '--json', '--database-url', schema.url]))
          .Nodes.filter((n: { alive: boolean }) => n.alive)
          .map((n: { provisioned: Record<string, number> }) => Object.values(n.provisioned).reduce((x, y) => x + y, 0))
          .sort();
        return st.Status === 'READY' && st.AllocatedProvisionedConcurrentExecutions === 3 && counts.join() === '1,2';
      },
      30_000,
      'the 3 provisioned environments on the two live nodes (2 + 1)',
    );
    c.remove();
  });
});
