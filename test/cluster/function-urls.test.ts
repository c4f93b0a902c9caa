// Function URLs in cluster mode: a URL created through one node answers on every node (the config is in PostgreSQL),
// with its permission and its AuthType, and goes away everywhere with its alias.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAliasCommand, DeleteAliasCommand, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../helpers/alonzo.js';
import { createFunction } from '../helpers/api.js';
import { ROOT_KEY } from '../helpers/sign.js';
import { pgSchema, type PgSchema } from '../helpers/pg.js';
import { startNodes, stopNodes, type Node } from '../helpers/cluster.js';
import { allowPublic, createUrl, curl } from '../url/helpers.js';
import { signRequest } from '../helpers/sign.js';

/** The same URL on another node: its host names the URL, the port the node. */
const onNode = (functionUrl: string, node: Node): string => {
  const u = new URL(functionUrl);
  u.port = new URL(node.url).port;
  return u.toString();
};

describe('function URLs on a cluster of two nodes', { timeout: 180_000 }, () => {
  let schema: PgSchema;
  let nodes: Node[] = [];

  before(async () => {
    schema = await pgSchema('urls');
    nodes = await startNodes(schema.url, 2, { ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, ALONZO_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey });
    for (const n of nodes) {
      n.client.destroy();
      n.client = lambdaClient(n.url, { credentials: ROOT_KEY });
    }
  });

  after(async () => {
    await stopNodes(nodes);
    await schema?.drop();
  });

  test('made on one node, a NONE URL and an AWS_IAM URL answer on the other; an alias\'s URL goes with it everywhere', async () => {
    const [a, b] = nodes;
    await createFunction(a.client, 'cluster-url', {}, `exports.handler = async (e) => ({ statusCode: 200, body: e.requestContext.accountId + ' ' + e.rawPath });\n`);
    await a.client.send(new PublishVersionCommand({ FunctionName: 'cluster-url' }));
    await a.client.send(new CreateAliasCommand({ FunctionName: 'cluster-url', Name: 'live', FunctionVersion: '1' }));
    const url = await createUrl(a.client, { FunctionName: 'cluster-url', Qualifier: 'live', AuthType: 'NONE' });
    await allowPublic(a.client, 'cluster-url', 'live');
    const onB = onNode(url, b);
    const r = await curl(`${onB}from-b`);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'anonymous /from-b');

    const iam = onNode(await createUrl(a.client, { FunctionName: 'cluster-url', AuthType: 'AWS_IAM' }), b);
    assert.equal((await curl(iam)).status, 403);
    const headers = await signRequest(iam, { method: 'GET' }, { credentials: ROOT_KEY });
    const signed = await curl(iam, { headers });
    assert.equal(signed.status, 200);
    assert.equal(signed.text, '000000000000 /');

    await a.client.send(new DeleteAliasCommand({ FunctionName: 'cluster-url', Name: 'live' }));
    assert.equal((await curl(onB)).status, 403);
    assert.equal((await curl(url)).status, 403);
  });
});
