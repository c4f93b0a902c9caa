// Cluster mode: the CloudWatch Logs API on one node reads what ran on every node (the logs and their index are in
// PostgreSQL), through the SDK v3 client; /metrics counts per node; the dashboard lists the nodes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { lambdaClient } from '../helpers/alonzo.js';
import { createFunction } from '../helpers/api.js';
import { ROOT_KEY } from '../helpers/sign.js';
import { pgSchema, type PgSchema } from '../helpers/pg.js';
import { startNodes, stopNodes, type Node } from '../helpers/cluster.js';
import { eventually } from '../helpers/invoke.js';

const HANDLER = `exports.handler = async (event) => { console.log('cluster marker', event.m); return event.m; };\n`;

describe('observability on a cluster of two nodes', { timeout: 180_000 }, () => {
  let schema: PgSchema;
  let nodes: Node[] = [];

  before(async () => {
    schema = await pgSchema('observe');
    nodes = await startNodes(schema.url, 2, { ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, ALONZO_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey });
    for (const n of nodes) {
      n.client.destroy();
      n.client = lambdaClient(n.url, { credentials: ROOT_KEY });
    }
  });

  after(async () => {
    await stopNodes(nodes);
    await schema?.drop();
  });

  test('logs written on both nodes are read on either, with a stream per environment; /metrics and the dashboard per node', async () => {
    const [a, b] = nodes;
    await createFunction(a.client, 'cluster-logs', {}, HANDLER);
    for (const [node, m] of [[a, 'from-a-1'], [a, 'from-a-2'], [b, 'from-b-1'], [b, 'from-b-2']] as const) {
      const r = await node.client.send(new InvokeCommand({ FunctionName: 'cluster-logs', Payload: Buffer.from(JSON.stringify({ m })) }));
      assert.equal(r.FunctionError, undefined);
    }
    const logs = new CloudWatchLogsClient({ endpoint: b.url, region: 'us-east-1', credentials: ROOT_KEY, maxAttempts: 1 });
    try {
      // Node a's index lines reach PostgreSQL within about a second (observer.ts) plus its log batch (100 ms).
      const events = await eventually(
        async () => {
          const r = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/cluster-logs', filterPattern: '"cluster marker"' }));
          return r.events?.length === 4 && r.events;
        },
        30_000,
        'the four invocations in FilterLogEvents on node b',
      );
      assert.deepEqual(events.map((e) => /cluster marker (\S+)/.exec(e.message ?? '')?.[1]).sort(), ['from-a-1', 'from-a-2', 'from-b-1', 'from-b-2']);
      const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/cluster-logs' }))).logStreams ?? [];
      // One warm environment on each node: two streams, each with two invocations.
      assert.equal(streams.length, 2);
      for (const st of streams) {
        const got = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/cluster-logs', logStreamName: st.logStreamName, startFromHead: true }));
        const markers = (got.events ?? []).map((e) => /cluster marker (\S+)/.exec(e.message ?? '')?.[1]).filter(Boolean);
        assert.equal(markers.length, 2);
        assert.equal(new Set(markers.map((m) => m!.slice(0, 6))).size, 1, 'a stream holds one node\'s invocations');
      }
    } finally {
      logs.destroy();
    }

    // Counters are per node.
    const metrics = await (await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${ROOT_KEY.accessKeyId}:${ROOT_KEY.secretAccessKey}` } })).text();
    assert.match(metrics, /^alonzo_invocations_total\{function="cluster-logs",account="000000000000",outcome="success"\} 2$/m);

    // The dashboard (logged in with the root key) lists both nodes, alive.
    const login = await fetch(`${a.url}/_alonzo/dashboard/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessKeyId: ROOT_KEY.accessKeyId, secretAccessKey: ROOT_KEY.secretAccessKey }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const listed = (await (await fetch(`${a.url}/_alonzo/dashboard/api/nodes`, { headers: { cookie } })).json()) as { Nodes: { name: string; alive: boolean }[] };
    assert.deepEqual(listed.Nodes.map((n) => [n.name, n.alive]).sort(), [['node-a', true], ['node-b', true]]);
  });
});
