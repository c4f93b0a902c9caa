// Cluster mode, attacked from inside a function: the shared database holds every function's code and secrets, and
// functions share the node's network, so the database's password is what keeps them out. A hostile function tries
// to reach PostgreSQL on loopback and over its Unix socket, and hunts for the password in what it can read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { ROLE, zipOf, type TestServer } from '../helpers/alonzo.js';
import { waitActive } from '../helpers/invoke.js';
import { startPrivatePg } from '../helpers/private-pg.js';
import { alonzoCli, startNode, type Node } from '../helpers/cluster.js';

/** Speaks just enough of PostgreSQL's wire protocol to see what the server asks for: 0 = let in, 10 = SASL password. */
const ATTACKER = `
const net = require('node:net');
const fs = require('node:fs');
function startup(connectOpts) {
  return new Promise((resolve) => {
    const s = net.connect(connectOpts);
    const params = Buffer.from('user\\0postgres\\0database\\0postgres\\0\\0');
    const msg = Buffer.alloc(8 + params.length);
    msg.writeInt32BE(msg.length, 0);
    msg.writeInt32BE(196608, 4);
    params.copy(msg, 8);
    const t = setTimeout(() => { s.destroy(); resolve('timeout'); }, 3000);
    s.on('connect', () => s.write(msg));
    s.once('data', (d) => { clearTimeout(t); s.destroy(); resolve(d[0] === 0x52 ? d.readInt32BE(5) : 'answer ' + String.fromCharCode(d[0])); });
    s.on('error', (e) => { clearTimeout(t); resolve('error ' + e.code); });
  });
}
exports.handler = async (event) => {
  const tcp = await startup({ host: '127.0.0.1', port: event.port });
  const socket = await startup({ path: event.socketDir + '/.s.PGSQL.' + event.port });
  const seen = [JSON.stringify(process.env)];
  let pids = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p))) {
    pids++;
    for (const f of ['environ', 'cmdline']) {
      try { seen.push(fs.readFileSync('/proc/' + pid + '/' + f, 'latin1')); } catch {}
    }
  }
  return { tcp, socket, pids, found: seen.some((s) => s.includes(event.secret)) };
};
`;

test('a function on a cluster node can neither log in to the database nor find its password', { timeout: 90_000 }, async (t) => {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const pg = await startPrivatePg({ password });
  let node: Node | undefined;
  try {
    // The URL (with its password) in the environment, where only the server's user can read it.
    node = await startNode(pg.url, 'node-a');
    assert.doesNotMatch(node.output(), /database:no-password-needed/, 'a database that asks for the password gets no warning');
    await node.client.send(new CreateFunctionCommand({ FunctionName: 'attacker', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 10, Code: { ZipFile: await zipOf({ 'index.js': ATTACKER }) } }));
    await waitActive({ client: node.client } as TestServer, 'attacker');
    const r = await node.client.send(new InvokeCommand({ FunctionName: 'attacker', Payload: Buffer.from(JSON.stringify({ port: pg.port, socketDir: pg.socketDir, secret: password })) }));
    const out = JSON.parse(Buffer.from(r.Payload!).toString());
    assert.equal(r.FunctionError, undefined, JSON.stringify(out));
    t.diagnostic(JSON.stringify(out));
    assert.equal(out.tcp, 10, 'over TCP the database asks for the password (SASL), it does not let the function in');
    assert.match(String(out.socket), /^error (ENOENT|EACCES)/, "the database's Unix socket is not in the sandbox");
    assert.equal(out.found, false, 'the password is nowhere the function can read: not in its environment, not in any process it can see');
  } finally {
    await node?.stop();
    pg.destroy();
  }
});

test('a node on a database that lets anyone in says so at start-up, and that it ignores its data dir\'s key file', { timeout: 60_000 }, async () => {
  const pg = await startPrivatePg();
  let node: Node | undefined;
  try {
    // A key made the single-server way, in the data dir: a cluster node verifies the database's keys, not these.
    node = await startNode(pg.url, 'node-a', {}, (dir) => alonzoCli(['keys', 'create', '--data-dir', dir, '--name', 'stray']));
    // The warnings are logged as the node starts; give the log a moment to reach the pipe.
    for (let i = 0; i < 50 && !/auth:key-file-ignored/.test(node.output()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(node.output(), /database:no-password-needed/);
    assert.match(node.output(), /auth:key-file-ignored/);
  } finally {
    await node?.stop();
    pg.destroy();
  }
});
