// Event source mappings in a cluster: two real nodes on one PostgreSQL schema, a Kinesis stream in moto_server. Each
// mapping is polled by exactly one node at a time (two pollers on one shard would deliver every record twice), under a
// lease that moves to the other node when its holder is killed, which goes on from the checkpoint: nothing is lost or
// skipped, and only the batch in flight at the kill may run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ROLE, zipOf, type TestServer } from '../helpers/alonzo.js';
import { waitActive, eventually } from '../helpers/invoke.js';
import { startSink } from '../helpers/sink.js';
import { pgSchema } from '../helpers/pg.js';
import { startNodes, stopNodes, type Node } from '../helpers/cluster.js';
import { MOTO_CREDENTIALS, startMoto } from '../helpers/moto.js';

const RECORDER = `exports.handler = async (event) => {
  await fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify(event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString())) });
  await new Promise((ok) => setTimeout(ok, 100));
  return {};
};`;

test('one node polls a mapping at a time; kill -9 of that node moves the lease and the other goes on from the checkpoint', { timeout: 180_000 }, async () => {
  const schema = await pgSchema('esm');
  const sink = await startSink();
  const moto = await startMoto();
  const kinesis = new KinesisClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
  let nodes: Node[] = [];
  try {
    // Where Kinesis is, as the AWS SDKs read it.
    nodes = await startNodes(schema.url, 2, { AWS_ENDPOINT_URL_KINESIS: moto.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', MOTO_ACCOUNT_ID: '000000000000' });
    const [a, b] = nodes;
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'esm-cluster', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await zipOf({ 'index.js': RECORDER }) }, Environment: { Variables: { SINK_URL: sink.url('esm') } } }));
    await waitActive({ client: b.client } as TestServer, 'esm-cluster');
    await kinesis.send(new CreateStreamCommand({ StreamName: 'esm-cluster', ShardCount: 1 }));
    const arn = await eventually(async () => {
      const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'esm-cluster' }));
      return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' && d.StreamDescriptionSummary.StreamARN;
    }, 10_000, 'the stream');
    const { UUID } = await a.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-cluster', EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 5 }));
    await eventually(async () => (await b.client.send(new GetEventSourceMappingCommand({ UUID }))).State === 'Enabled', 20_000, 'Enabled');
    const put = (from: number, n: number) => kinesis.send(new PutRecordsCommand({ StreamName: 'esm-cluster', Records: Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(String(from + i)), PartitionKey: 'k' })) }));
    const seen = () => sink.records<string[]>('esm').flat().map(Number);

    await put(0, 20);
    await eventually(async () => seen().length >= 20, 60_000, 'the first twenty');
    // Both nodes scanned many times meanwhile: had both polled the shard, every record would have come twice.
    await new Promise((ok) => setTimeout(ok, 2500));
    assert.deepEqual(seen(), Array.from({ length: 20 }, (_, i) => i), 'each record once, in order: one poller');
    const leases = await schema.query<{ uuid: string; owner: string }>('SELECT uuid, owner FROM event_source_leases');
    assert.equal(leases.rows.length, 1);
    assert.equal(leases.rows[0].uuid, UUID);
    const ids = await schema.query<{ id: string; name: string }>('SELECT id, name FROM nodes');
    const holder = ids.rows.find((r) => r.id === leases.rows[0].owner)!.name;
    const [dead, survivor] = holder === a.name ? [a, b] : [b, a];

    // Records keep coming while the holder dies mid-stream.
    await put(20, 20);
    await eventually(async () => seen().length >= 25, 60_000, 'some of the next twenty');
    await dead.kill();
    await put(40, 20);
    await eventually(async () => new Set(seen()).size === 60, 90_000, 'every record, after the lease moved');
    const after = await schema.query<{ owner: string }>('SELECT owner FROM event_source_leases');
    assert.equal(ids.rows.find((r) => r.id === after.rows[0].owner)?.name, survivor.name, 'the lease moved to the live node');
    const all = seen();
    assert.ok(all.length - 60 <= 5, `only the batch in flight at the kill (5 records) may run again: ${all.join(',')}`);
    for (let i = 1; i < 60; i++) assert.ok(all.indexOf(i) > all.indexOf(i - 1), `record ${i} after ${i - 1}`);
  } finally {
    await stopNodes(nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null));
    for (const n of nodes) if (n.proc.signalCode === 'SIGKILL') n.remove();
    kinesis.destroy();
    await moto.close();
    await sink.close();
    await schema.drop();
  }
});
