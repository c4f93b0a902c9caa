// GetAccountSettings checked through @aws-sdk/client-lambda against AWS's recordings (aws-oracle TestLambdaAccountSettings).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  GetAccountSettingsCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  DeleteFunctionCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { UUID_RE, ECHO_JS, raw, createFunction, waitUpdated } from '../helpers/api.js';

let s: TestServer;
let client: LambdaClient;
before(async () => {
  s = await startAlonzo();
  client = s.client;
});
after(() => s.close());

const usage = async () => (await client.send(new GetAccountSettingsCommand({}))).AccountUsage!;

test('GetAccountSettings has AWS\'s key sets and limits (test_account_settings)', async () => {
  const r = await client.send(new GetAccountSettingsCommand({}));
  assert.equal(r.$metadata.httpStatusCode, 200);
  assert.match(String(r.$metadata.requestId), UUID_RE);
  assert.deepEqual(Object.keys(r).filter((k) => k !== '$metadata').sort(), ['AccountLimit', 'AccountUsage']);
  assert.deepEqual(Object.keys(r.AccountLimit!).sort(), ['CodeSizeUnzipped', 'CodeSizeZipped', 'ConcurrentExecutions', 'TotalCodeSize', 'UnreservedConcurrentExecutions']);
  assert.deepEqual(Object.keys(r.AccountUsage!).sort(), ['FunctionCount', 'TotalCodeSize']);
  assert.deepEqual(r.AccountLimit, {
    TotalCodeSize: 80_530_636_800,
    CodeSizeUnzipped: 262_144_000,
    CodeSizeZipped: 52_428_800,
    ConcurrentExecutions: 1000,
    UnreservedConcurrentExecutions: 1000,
  });
  assert.deepEqual(r.AccountUsage, { TotalCodeSize: 0, FunctionCount: 0 });
});

test('GetAccountSettings answers on both trailing-slash forms (CLI v2 sends the slash)', async () => {
  for (const path of ['/2016-08-19/account-settings', '/2016-08-19/account-settings/']) {
    const r = await raw(s.url, 'GET', path);
    assert.equal(r.status, 200, path);
    assert.match(String(r.headers.get('x-amzn-requestid')), UUID_RE);
    assert.deepEqual(Object.keys(r.json ?? {}).sort(), ['AccountLimit', 'AccountUsage']);
  }
});

test('TotalCodeSize counts each version\'s package; a configuration update adds nothing (test_account_settings_total_code_size[_config_update])', async () => {
  const zip = await zipOf({ 'index.js': ECHO_JS });
  const u0 = await usage();

  await createFunction(client, 'acct-size');
  await waitUpdated(client, 'acct-size');
  const u1 = await usage();
  assert.equal(u1.TotalCodeSize! - u0.TotalCodeSize!, zip.length);
  assert.equal(u1.FunctionCount! - u0.FunctionCount!, 1);

  await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'acct-size', ZipFile: zip, Publish: true }));
  await waitUpdated(client, 'acct-size');
  const u2 = await usage();
  assert.equal(u2.TotalCodeSize! - u1.TotalCodeSize!, zip.length);
  assert.equal(u2.FunctionCount, u1.FunctionCount);

  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'acct-size', Description: 'config only' }));
  await waitUpdated(client, 'acct-size');
  const u3 = await usage();
  assert.equal(u3.TotalCodeSize! - u2.TotalCodeSize!, 0);

  await client.send(new PublishVersionCommand({ FunctionName: 'acct-size' }));
  const u4 = await usage();
  assert.equal(u4.TotalCodeSize! - u3.TotalCodeSize!, zip.length);

  await client.send(new DeleteFunctionCommand({ FunctionName: 'acct-size' }));
  assert.deepEqual(await usage(), u0);
});
