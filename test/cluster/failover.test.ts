// kill -9 of one node of three under mixed sync and Event load: no accepted event is lost (each runs at least once;
// only those the dead node had claimed may run twice), sync invokes go on at the other nodes, and the dead node's
// claimed events return to the queue once their lease expires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE, zipOf, type TestServer } from '../helpers/alonzo.js';
import { fixtureZip, waitActive, eventually } from '../helpers/invoke.js';
import { startSink } from '../helpers/sink.js';
import { pgSchema } from '../helpers/pg.js';
import { startNodes, stopNodes, type Node } from '../helpers/cluster.js';
import { runs } from '../async/helpers.js';

const TOTAL = 600;
const KILL_AFTER = 300;
const SENDERS = 12;
/** Long enough that the node killed holds claimed events when it dies: their leases must run out for them to run. */
const SLEEP_MS = 1000;

test('kill -9 of one node of three: every accepted event runs, sync invokes go on elsewhere', { timeout: 200_000 }, async (t) => {
  const schema = await pgSchema('failover');
  const sink = await startSink();
  const runsTo = sink.url('runs');
  let nodes: Node[] = [];
  // Stopped in `finally` as well: a loop left running after a failed assertion keeps the test process alive forever.
  let stopSync = false;
  try {
    // Lambda's delays at 1/100: a retry after 0.6 s, and a maximum event age (6 h) of 216 s. At the 1/1000 of the other
    // suites the age would be 21.6 s, about what a dead node's claims take to come back (lease 15 s + reap 3.75 s, not
    // scaled), and on a loaded machine they came back too old to run (EventAgeExceeded, never run).
    nodes = await startNodes(schema.url, 3, { ALONZO_ASYNC_TIME_SCALE: '0.01' });
    const [a, b, c] = nodes;
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'crash', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await fixtureZip('async-recorder') } }));
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'echo', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler = async (e) => e;' }) } }));
    await waitActive({ client: c.client } as TestServer, 'crash');
    await waitActive({ client: c.client } as TestServer, 'echo');

    let killedAt = 0;
    let heldAtKill = -1;
    const live = () => (killedAt ? [a, c] : nodes);
    // Sync invokes all along, on the nodes that stay: none may fail, before or after the kill.
    const syncFailures: string[] = [];
    let syncAfterKill = 0;
    const syncLoop = (async () => {
      for (let i = 0; !stopSync; i++) {
        const n = [a, c][i % 2];
        try {
          const r = await n.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ i })) }));
          assert.equal(JSON.parse(Buffer.from(r.Payload!).toString()).i, i);
          if (killedAt) syncAfterKill++;
        } catch (e) {
          syncFailures.push(`${n.name}: ${e}`);
        }
      }
    })();

    const accepted = new Map<string, number>();
    let next = 0;
    const sender = async (w: number) => {
      while (next < TOTAL) {
        const n = next++;
        // An invoke the dead node did not answer is sent again elsewhere (a client's retry); a 202 counts once.
        for (let attempt = 0; ; attempt++) {
          const targets = live();
          const node = targets[(n + w + attempt) % targets.length];
          try {
            const r = await node.client.send(new InvokeCommand({ FunctionName: 'crash', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ sink: runsTo, tag: String(n), sleepMs: SLEEP_MS })) }));
            assert.equal(r.StatusCode, 202);
            accepted.set(r.$metadata.requestId!, n);
            if (accepted.size >= KILL_AFTER && !killedAt) {
              killedAt = Date.now();
              await b.kill();
              const held = await schema.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM async_events e JOIN nodes n ON n.id = e.owner WHERE n.name = 'node-b' AND e.state = 'running'`,
              );
              heldAtKill = held.rows[0].n;
            }
            break;
          } catch (e) {
            if (node !== b) throw e;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, (_, w) => sender(w)));
    assert.ok(killedAt > 0, 'node b was killed while events were being accepted');
    assert.ok(heldAtKill > 0, `node b held claimed events when it was killed (${heldAtKill}): their leases had to run out`);
    assert.equal(new Set(accepted.values()).size, TOTAL, 'every event was accepted by some node');

    const ranAll = await eventually(
      async () => {
        const ran = new Set(runs(sink, 'runs').map((r) => r.requestId));
        return [...accepted.keys()].every((id) => ran.has(id)) ? Date.now() : false;
      },
      120_000,
      'every accepted event to run',
    ).catch(() => 0);
    const ran = new Set(runs(sink, 'runs').map((r) => r.requestId));
    const missing = [...accepted.keys()].filter((id) => !ran.has(id));
    if (missing.length > 0) {
      // Where the queue has them, to tell a lost event from a slow one.
      const rows = await schema.query(
        `SELECT e.request_id, e.state, n.name AS owner, e.attempts, e.requeues, e.run_at, e.lease_until, e.last_error, e.condition FROM async_events e LEFT JOIN nodes n ON n.id = e.owner WHERE e.request_id = ANY($1)`,
        [missing],
      );
      t.diagnostic(`missing events in the queue: ${JSON.stringify(rows.rows)} (killed at ${killedAt}, now ${Date.now()})`);
      for (const n of [a, c]) t.diagnostic(`${n.name}: ${n.output().split('\n').filter((l) => missing.some((id) => l.includes(id))).join('\n')}`);
    }
    assert.deepEqual(missing, [], `${missing.length} accepted events never ran`);
    stopSync = true;
    await syncLoop;
    assert.deepEqual(syncFailures, [], 'sync invokes on the surviving nodes never failed');
    assert.ok(syncAfterKill > 0, 'sync invokes ran after the kill');
    const all = runs(sink, 'runs');
    const distinct = new Set(all.map((r) => r.requestId));
    // Events the dead node committed whose 202 it never got out ran too: accepted, though the sender never knew.
    const unconfirmed = [...distinct].filter((id) => !accepted.has(id)).length;
    t.diagnostic(`accepted ${accepted.size} (+${unconfirmed} whose 202 the kill cut off); runs ${all.length}, ${all.length - distinct.size} of them a second run; all done ${Math.round((ranAll - killedAt) / 100) / 10} s after the kill, node b having held ${heldAtKill} claimed events; sync invokes after the kill: ${syncAfterKill}`);
  } finally {
    stopSync = true;
    await stopNodes(nodes);
    await sink.close();
    await schema.drop();
  }
});
