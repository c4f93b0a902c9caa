// `alonzo serve` prints the dashboard's link with a token that logs in, new at each start; an open live stream does
// not hold up a clean stop.
import { serveProcess } from '../helpers/serve.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';

async function serve(dataDir: string): Promise<{ proc: ChildProcess; dashboard: string; token: string; output: () => string }> {
  const s = await serveProcess(dataDir);
  // The dashboard's line is printed with the one saying where the API is.
  const m = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/_alonzo\/)#token=([A-Za-z0-9_-]{32}) /m.exec(s.output());
  if (!m) throw new Error(`no dashboard line: ${s.output()}`);
  return { proc: s.proc, dashboard: m[1], token: m[2], output: s.output };
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => p.on('exit', (code) => r(code)));

const login = async (dashboard: string, token: string) => fetch(`${dashboard}dashboard/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });

test('serve prints the dashboard link with a login token, new at each start; a live stream does not hold up the stop', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-serve-dash-'));
  try {
    const first = await serve(dataDir);
    const ok = await login(first.dashboard, first.token);
    assert.equal(ok.status, 200);
    const cookie = ok.headers.get('set-cookie')!.split(';')[0];
    // An open event stream, as a browser tab keeps one.
    const streaming = await new Promise<boolean>((resolve, reject) => {
      const req = request(`${first.dashboard}dashboard/api/stream`, { headers: { cookie } }, (res) => resolve(res.headers['content-type']?.startsWith('text/event-stream') === true));
      req.on('error', reject);
      req.end();
    });
    assert.ok(streaming);
    const done = exited(first.proc);
    first.proc.kill('SIGTERM');
    assert.equal(await done, 0, first.output());

    const second = await serve(dataDir);
    assert.notEqual(second.token, first.token);
    assert.equal((await login(second.dashboard, first.token)).status, 401, 'the old token is gone');
    assert.equal((await login(second.dashboard, second.token)).status, 200);
    const done2 = exited(second.proc);
    second.proc.kill('SIGTERM');
    assert.equal(await done2, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
