// Runs every compiled test file under dist/test with node's test runner (Node 20 takes no globs).
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = find('dist/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Test servers keep their data dirs here rather than in the host's /tmp. Functions see neither: they run sandboxed, so
// a test reads what a function did through the API, its logs or a sink on loopback (test/helpers/sink.ts).
const testTmp = process.env.ALONZO_TEST_TMPDIR ?? '/var/tmp/alonzo-tests';
mkdirSync(testTmp, { recursive: true });
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env: { ...process.env, TMPDIR: testTmp } });
process.exit(r.status ?? 1);
