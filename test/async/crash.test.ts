// Crash safety of the async queue with the real server process: 2,000 Event invokes, `kill -9` while they run, a
// restart on the same data dir, and every event that got its 202 must have run at least once (duplicates allowed).
import { serveProcess } from '../helpers/serve.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaClient, ROLE, type TestServer } from '../helpers/alonzo.js';
import { fixtureZip, waitActive, eventually } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { runs } from './helpers.js';

const TOTAL = 2000;
const KILL_AFTER = 1200;
const SENDERS = 32;
/** Slow enough that a backlog builds while the invokes arrive (32 at a time → at most ~210 runs/s, below the ~300 accepts/s this machine manages). */
const SLEEP_MS = 150;

const serve = (dataDir: string) => serveProcess(dataDir, { ALONZO_ASYNC_TIME_SCALE: '0.001' });

const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Sends Event invokes for `ns`, SENDERS at a time, their runs reported to `runsTo`; `onAccepted` may kill the server mid-way. */
async function send(client: LambdaClient, runsTo: string, ns: number[], onAccepted: (count: number) => void = () => {}) {
  const accepted = new Map<string, number>();
  const failed: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < ns.length) {
      const n = ns[next++];
      try {
        const r = await client.send(new InvokeCommand({ FunctionName: 'crash', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ sink: runsTo, tag: String(n), sleepMs: SLEEP_MS })) }));
        assert.equal(r.StatusCode, 202);
        accepted.set(r.$metadata.requestId!, n);
        onAccepted(accepted.size);
      } catch {
        failed.push(n);
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, worker));
  return { accepted, failed };
}

test('kill -9 while 2,000 accepted events run: after a restart every accepted event has run at least once', { timeout: 150_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-crash-'));
  // Outlives both servers: runs of the killed server's environments still count.
  const sink: Sink = await startSink();
  const runsTo = sink.url('runs');
  const procs: ChildProcess[] = [];
  const orphans: number[] = [];
  try {
    const first = await serve(dataDir);
    procs.push(first.proc);
    const c1 = lambdaClient(first.url);
    await c1.send(new CreateFunctionCommand({ FunctionName: 'crash', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await fixtureZip('async-recorder') } }));
    await waitActive({ client: c1 } as TestServer, 'crash');

    let ranAtKill = -1;
    const phase1 = await send(c1, runsTo, Array.from({ length: TOTAL }, (_, n) => n), (count) => {
      if (count >= KILL_AFTER && ranAtKill < 0) {
        ranAtKill = runs(sink, 'runs').length;
        orphans.push(...childrenOf(first.proc.pid!));
        first.proc.kill('SIGKILL');
      }
    });
    await exited(first.proc);
    c1.destroy();
    const acceptedBeforeKill = phase1.accepted.size;
    t.diagnostic(`accepted before kill -9: ${acceptedBeforeKill}; had run at the kill: ${ranAtKill}`);
    assert.ok(acceptedBeforeKill >= KILL_AFTER);
    assert.ok(ranAtKill < acceptedBeforeKill, 'the kill came while accepted events were still waiting or running');

    const second = await serve(dataDir);
    procs.push(second.proc);
    const c2 = lambdaClient(second.url);
    const phase2 = await send(c2, runsTo, phase1.failed);
    c2.destroy();
    assert.deepEqual(phase2.failed, [], 'the restarted server accepts the rest');
    const accepted = new Map([...phase1.accepted, ...phase2.accepted]);
    assert.equal(new Set(accepted.values()).size, TOTAL, 'every event was accepted once, in one phase or the other');

    const missing = await eventually(
      async () => {
        const ran = new Set(runs(sink, 'runs').map((r) => r.requestId));
        const left = [...accepted.keys()].filter((id) => !ran.has(id));
        return left.length === 0 ? [] : false;
      },
      // A guard against a hang, not a speed target: on a loaded 2-core machine the 2,000 runs take a while.
      100_000,
      'every accepted event to run',
    ).catch(() => {
      const ran = new Set(runs(sink, 'runs').map((r) => r.requestId));
      return [...accepted.keys()].filter((id) => !ran.has(id));
    });
    assert.deepEqual(missing, [], `${missing.length} accepted events never ran`);
    const all = runs(sink, 'runs');
    t.diagnostic(`runs: ${all.length} for ${accepted.size} accepted events (re-runs after the crash: ${all.length - new Set(all.map((r) => r.requestId)).size})`);

    const done = exited(second.proc);
    second.proc.kill('SIGTERM');
    await done;
    assert.match(second.output(), /queue:recovered/, 'the restart re-queued the events the crash left running');
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    // Environments of the killed server must not outlive it for long.
    const deadline = Date.now() + 3000;
    while (orphans.some(alive) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
    const survivors = orphans.filter(alive);
    for (const pid of survivors) process.kill(pid, 'SIGKILL');
    if (survivors.length) t.diagnostic(`environments still alive 3 s after their server's kill -9: ${survivors.length} (killed)`);
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
