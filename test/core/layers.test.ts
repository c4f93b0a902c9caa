// Imports point inward (docs/ARCHITECTURE.md): each folder of src/ may import only the folders listed for it here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

const ALLOWED: Record<string, string[]> = {
  core: [],
  config: ['core'],
  store: ['core'],
  code: ['core'],
  runtime: ['core'],
  invoke: ['core', 'store', 'code', 'runtime'],
  queue: ['core', 'store', 'invoke'],
  auth: ['core', 'config'],
  esm: ['core', 'config', 'store', 'invoke', 'queue'],
  api: ['core', 'config', 'store', 'code', 'runtime', 'invoke', 'queue', 'auth', 'esm'],
  cluster: ['core', 'store', 'code', 'runtime', 'invoke', 'auth'],
  url: ['core', 'config', 'store', 'invoke', 'auth', 'api'],
  // The CloudWatch Logs API and /metrics: read what the engine, queue and pool report; the API reaches them through Services.
  observe: ['core', 'store', 'runtime', 'invoke', 'queue', 'auth'],
  // The web dashboard: the Lambda API's operations (as the logged-in key), and what observe counts and reads.
  dashboard: ['core', 'config', 'store', 'code', 'runtime', 'invoke', 'queue', 'auth', 'api', 'observe'],
  server: ['core', 'config', 'store', 'code', 'runtime', 'invoke', 'queue', 'api', 'auth', 'cluster', 'url', 'esm', 'observe', 'dashboard'],
  cli: ['core', 'config', 'server', 'auth', 'store', 'cluster', 'code', 'dev', 'runtime'],
  // `alonzo dev`'s machinery: it starts a server and, like the CLI, talks to it only through the Lambda API, with the
  // CLI's own client (cli/client.ts); cli/dev.ts is its command. The two are the outermost shell together.
  dev: ['core', 'config', 'code', 'server', 'url', 'cli'],
};

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every import in src/ points inward', () => {
  const src = join(REPO_ROOT, 'src');
  const wrong: string[] = [];
  for (const file of files(src)) {
    const from = relative(src, file).split(sep)[0];
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
      const to = relative(src, resolve(dirname(file), m[1])).split(sep)[0];
      if (to === from || to.startsWith('..')) continue;
      if (!(from in ALLOWED)) wrong.push(`${relative(src, file)}: folder '${from}' has no entry in the layer table`);
      else if (!ALLOWED[from].includes(to)) wrong.push(`${relative(src, file)} imports ${m[1]} ('${from}' may not use '${to}')`);
    }
  }
  assert.deepEqual(wrong, []);
});
