// Provisioned concurrency: environments initialised ahead of time (IN_PROGRESS then READY), no Init Duration on their invokes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { rejection } from '../helpers/api.js';
import { decodeLog } from '../helpers/invoke.js';
import { startAlonzo, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';

let s: TestServer;
before(async () => {
  s = await startAlonzo();
  const zip = await zipOf({ 'index.js': 'exports.handler = async () => process.env.AWS_LAMBDA_INITIALIZATION_TYPE;' });
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'pc', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip }, Publish: true }));
  await s.client.send(new CreateAliasCommand({ FunctionName: 'pc', Name: 'live', FunctionVersion: '1' }));
});
after(() => s.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


test('an invoke without provisioned concurrency is a cold start with Init Duration', async () => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: 'pc', Qualifier: '$LATEST', LogType: 'Tail' }));
  assert.match(decodeLog(r.LogResult), /Init Duration: [\d.]+ ms/);
  assert.equal(Buffer.from(r.Payload!).toString(), '"on-demand"');
});

test('Put → IN_PROGRESS then READY; invokes served by provisioned environments show no Init Duration', async () => {
  const put = await s.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: 'live', ProvisionedConcurrentExecutions: 2 }));
  assert.equal(put.$metadata.httpStatusCode, 202);
  assert.equal(put.Status, 'IN_PROGRESS');
  assert.equal(put.RequestedProvisionedConcurrentExecutions, 2);
  let got;
  for (let i = 0; i < 100; i++) {
    got = await s.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: 'live' }));
    if (got.Status === 'READY') break;
    await sleep(50);
  }
  assert.equal(got?.Status, 'READY');
  assert.equal(got?.AllocatedProvisionedConcurrentExecutions, 2);
  assert.equal(got?.AvailableProvisionedConcurrentExecutions, 2);
  const both = await Promise.all([1, 2].map(() => s.client.send(new InvokeCommand({ FunctionName: 'pc', Qualifier: 'live', LogType: 'Tail' }))));
  for (const r of both) {
    assert.equal(r.ExecutedVersion, '1');
    assert.doesNotMatch(decodeLog(r.LogResult), /Init Duration/);
    assert.equal(Buffer.from(r.Payload!).toString(), '"provisioned-concurrency"');
  }
  const list = await s.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc' }));
  assert.equal(list.ProvisionedConcurrencyConfigs?.length, 1);
  assert.equal(list.ProvisionedConcurrencyConfigs?.[0].FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:pc:live');
  const del = await s.client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: 'live' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  const gone = await rejection(s.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: 'live' })));
  assert.equal(gone.name, 'ProvisionedConcurrencyConfigNotFoundException');
  assert.equal(gone.message, 'No Provisioned Concurrency Config found for this function');
});

test('validation: $LATEST, a missing version, a missing qualifier and a count below 1 are refused', async () => {
  const latest = await rejection(s.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '$LATEST', ProvisionedConcurrentExecutions: 1 })));
  assert.equal(latest.name, 'InvalidParameterValueException');
  assert.equal(latest.message, 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
  const missing = await rejection(s.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '9', ProvisionedConcurrentExecutions: 1 })));
  assert.equal(missing.name, 'ResourceNotFoundException');
  assert.equal(missing.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:pc:9');
  const zero = await rejection(s.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1', ProvisionedConcurrentExecutions: 0 })));
  assert.equal(zero.name, 'ValidationException');
});

test('provisioning survives a restart of the server', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-pc-'));
  try {
    const a = await startAlonzo({ dataDir });
    await a.client.send(new CreateFunctionCommand({ FunctionName: 'pc2', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler = async () => 1;' }) } }));
    await a.client.send(new PublishVersionCommand({ FunctionName: 'pc2' }));
    await a.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc2', Qualifier: '1', ProvisionedConcurrentExecutions: 1 }));
    await a.close();
    const b = await startAlonzo({ dataDir });
    let status;
    for (let i = 0; i < 100 && status !== 'READY'; i++) {
      status = (await b.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc2', Qualifier: '1' }))).Status;
      if (status !== 'READY') await sleep(50);
    }
    assert.equal(status, 'READY');
    const r = await b.client.send(new InvokeCommand({ FunctionName: 'pc2', Qualifier: '1', LogType: 'Tail' }));
    assert.doesNotMatch(decodeLog(r.LogResult), /Init Duration/);
    await b.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
