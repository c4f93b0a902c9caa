// A data dir inside a `"type": "module"` project (as `npm start` in this repo makes ./.alonzo) still runs CommonJS functions as Lambda does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE } from '../helpers/alonzo.js';

test('CommonJS index.js runs even when the data dir sits under a "type": "module" package.json', async () => {
  const project = mkdtempSync(join(tmpdir(), 'alonzo-esm-project-'));
  writeFileSync(join(project, 'package.json'), '{"type":"module"}');
  mkdirSync(join(project, '.alonzo'));
  // Only without a sandbox does the function see its code where the data dir keeps it, under the project's
  // package.json; at /var/task there is nothing above the code to mislead Node, and the test could not fail.
  const s = await startAlonzo({ dataDir: join(project, '.alonzo'), isolation: 'none' });
  try {
    const zip = await zipOf({ 'index.js': 'exports.handler = async () => ({ loadedAs: typeof require });' });
    await s.client.send(new CreateFunctionCommand({ FunctionName: 'cjs', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }));
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'cjs' }));
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload!).toString());
    assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { loadedAs: 'function' });
  } finally {
    await s.close();
    rmSync(project, { recursive: true, force: true });
  }
});
