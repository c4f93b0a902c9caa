import { startServer } from '/work/main/dist/src/server/index.js';
import { LambdaClient, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import { rmSync } from 'node:fs';
const zipOf = (files) => new Promise((res) => { const z = new yazl.ZipFile(); for (const [n, c] of Object.entries(files)) z.addBuffer(Buffer.from(c), n, { mode: 0o644, mtime: new Date(0) }); z.end(); const ch = []; z.outputStream.on('data', (c) => ch.push(c)); z.outputStream.on('end', () => res(Buffer.concat(ch))); });
rmSync('/var/tmp/alonzo-try', { recursive: true, force: true });
const s = await startServer({ port: 0, dataDir: '/var/tmp/alonzo-try', logLevel: 'warn' });
const c = new LambdaClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const res = { node: [], python: [] };
for (const fam of ['node', 'python']) {
  const zip = fam === 'node' ? await zipOf({ 'index.js': 'exports.handler = async (e) => e;' }) : await zipOf({ 'lambda_function.py': 'def handler(e, c):\n    return e\n' });
  for (let i = 0; i < 10; i++) {
    await c.send(new CreateFunctionCommand({ FunctionName: fam + i, Runtime: fam === 'node' ? 'nodejs20.x' : 'python3.12', Handler: fam === 'node' ? 'index.handler' : 'lambda_function.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zip } }));
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    const r = await fetch(`${s.url}/2015-03-31/functions/${fam}${i}/invocations`, { method: 'POST', body: '{}', headers: { 'x-amz-log-type': 'Tail' } });
    const log = Buffer.from(r.headers.get('x-amz-log-result'), 'base64').toString();
    await r.text();
    res[fam].push([performance.now() - t, Number(/Init Duration: ([\d.]+)/.exec(log)?.[1])]);
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const f of ['node', 'python']) console.log(f, 'total p50', med(res[f].map((x) => x[0])).toFixed(1), 'init p50', med(res[f].map((x) => x[1])).toFixed(1));
c.destroy(); await s.close();
