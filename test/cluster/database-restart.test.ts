// PostgreSQL stops under a running cluster (a private server of the test's own: the shared one stays up for the other
// tests): the API answers AWS's 5xx, accepts no Event it cannot commit, the nodes stay up, and when the database
// returns they recover by themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, ListFunctionsCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { ROLE, zipOf, type TestServer } from '../helpers/alonzo.js';
import { fixtureZip, waitActive, eventually } from '../helpers/invoke.js';
import { startSink } from '../helpers/sink.js';
import { startPrivatePg } from '../helpers/private-pg.js';
import { startNodes, stopNodes, type Node } from '../helpers/cluster.js';
import { runs } from '../async/helpers.js';

async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, status: (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode };
  }
  return { name: 'accepted' };
}

test('PostgreSQL stopped and started again: 5xx meanwhile, no Event accepted, recovery without a restart', { timeout: 120_000 }, async (t) => {
  const pg = await startPrivatePg();
  const sink = await startSink();
  let nodes: Node[] = [];
  try {
    nodes = await startNodes(pg.url, 2);
    const [a, b] = nodes;
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'rec', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await fixtureZip('async-recorder') } }));
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'env', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Environment: { Variables: { VV: '1' } }, Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler = async () => process.env.VV;' }) } }));
    await waitActive({ client: b.client } as TestServer, 'rec');
    await waitActive({ client: b.client } as TestServer, 'env');
    const envOn = async (n: Node) => JSON.parse(Buffer.from((await n.client.send(new InvokeCommand({ FunctionName: 'env' }))).Payload!).toString());
    assert.equal(await envOn(b), '1');
    const event = (n: Node, tag: string) => n.client.send(new InvokeCommand({ FunctionName: 'rec', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ sink: sink.url('runs'), tag })) }));
    assert.equal((await event(a, 'before')).StatusCode, 202);
    await eventually(async () => runs(sink, 'runs').some((r) => r.tag === 'before'), 10_000, 'the first event to run');

    pg.stop();
    const down = Date.now();
    const refusedEvent = await failure(event(b, 'while-down'));
    assert.equal(refusedEvent.name, 'ServiceException', `an Event while the database is down: ${JSON.stringify(refusedEvent)}`);
    assert.equal(refusedEvent.status, 500);
    const refusedList = await failure(a.client.send(new ListFunctionsCommand({})));
    assert.equal(refusedList.name, 'ServiceException');
    assert.equal(refusedList.status, 500);
    // Down long enough for heartbeats, lease renewals and the listening connections to fail and retry.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal((await failure(event(a, 'while-down'))).name, 'ServiceException', 'still no Event accepted');
    for (const n of nodes) assert.equal(n.proc.exitCode, null, `node ${n.name} is still running`);

    pg.start();
    const up = Date.now();
    await eventually(async () => (await failure(a.client.send(new ListFunctionsCommand({})))).name === 'accepted', 30_000, 'node a to answer again');
    const recovered = await eventually(
      async () => {
        const r = await failure(event(b, 'after'));
        return r.name === 'accepted' ? Date.now() : false;
      },
      30_000,
      'node b to accept Events again',
    );
    await eventually(async () => runs(sink, 'runs').some((r) => r.tag === 'after'), 15_000, 'the event accepted after the restart to run');
    // The nodes listen again: a change on one reaches the other's cache.
    await a.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'env', Environment: { Variables: { VV: '2' } } }));
    await eventually(async () => (await envOn(b)) === '2', 5_000, 'node b to see the change made on node a after the restart');
    // The Event refused while the database was down was never accepted, so it never runs.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(runs(sink, 'runs').filter((r) => r.tag === 'while-down').length, 0);
    t.diagnostic(`database down ${Math.round((up - down) / 100) / 10} s; Events accepted again ${recovered - up} ms after it was back`);
  } finally {
    await stopNodes(nodes);
    await sink.close();
    pg.destroy();
  }
});
