// An Express app through a function URL, as users deploy one: express and serverless-http (the adapter most Lambda
// Express apps use) from the npm registry, bundled into the function's zip, served through a NONE URL and called with
// curl: routes with parameters and queries, a JSON body, a status and a header, the app's own 404. (serverless-http
// returns Set-Cookie among the headers, which a URL drops as AWS does: cookies go in the result's `cookies`.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';
import { waitActive } from '../helpers/invoke.js';
import { allowPublic, createUrl, curl } from './helpers.js';

const APP = `const express = require('express');
const serverless = require('serverless-http');
const app = express();
app.use(express.json());
app.get('/hello/:name', (req, res) => res.json({ hello: req.params.name, x: req.query.x ?? null, ua: req.get('user-agent') ?? null }));
app.post('/items', (req, res) => res.status(201).set('x-app', 'items').json({ got: req.body }));
app.use((req, res) => res.status(404).type('text/plain').send('no route for ' + req.method + ' ' + req.path));
exports.handler = serverless(app);
`;

const deps = mkdtempSync(join(tmpdir(), 'alonzo-express-'));
let s: TestServer;
let url: string;

before(async () => {
  try {
    execFileSync('npm', ['install', '--prefix', deps, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline', 'express@4', 'serverless-http@3'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`this test bundles express and serverless-http from the npm registry, and npm could not install them: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  }
  const files: Record<string, Buffer | string> = { 'index.js': APP };
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(deps, p)] = readFileSync(p);
    }
  };
  walk(join(deps, 'node_modules'));
  s = await startAlonzo();
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'express-app', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await zipOf(files) } }));
  await waitActive(s, 'express-app');
  url = await createUrl(s.client, { FunctionName: 'express-app', AuthType: 'NONE' });
  await allowPublic(s.client, 'express-app');
});
after(async () => {
  await s?.close();
  rmSync(deps, { recursive: true, force: true });
});

test('a GET route with a path parameter and a query answers JSON', async () => {
  const r = await curl(`${url}hello/world?x=1`, { headers: { 'user-agent': 'curl-test' } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.header('content-type') ?? '', /^application\/json/);
  assert.deepEqual(r.json(), { hello: 'world', x: '1', ua: 'curl-test' });
});

test('a POST with a JSON body: the status, a header and the body the app sends', async () => {
  const r = await curl(`${url}items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"thing","n":2}' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json(), { got: { name: 'thing', n: 2 } });
  assert.equal(r.header('x-app'), 'items');
});

test("a route the app does not have: the app's own 404, not Lambda's", async () => {
  const r = await curl(`${url}nowhere`, { method: 'DELETE' });
  assert.equal(r.status, 404);
  assert.equal(r.text, 'no route for DELETE /nowhere');
});
