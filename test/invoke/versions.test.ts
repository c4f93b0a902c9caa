// Which code and configuration a qualifier runs (oracle invoke-versions-aliases): versions keep their own code, $LATEST
// picks up updates on the next invoke, aliases move, weighted alias routing, and X-Amz-Executed-Version.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  InvokeCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, fixtureFiles, rawInvoke, waitActive } from '../helpers/invoke.js';

const arn = (fn: string, q?: string) => `arn:aws:lambda:us-east-1:000000000000:function:${fn}${q === undefined ? '' : `:${q}`}`;
const json = (r: InvokeCommandOutput) => JSON.parse(Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8'));

/** The version-tag fixture with its baked-in VERSION_ID replaced, so every upload is different code. */
function taggedZip(tag: string): Promise<Buffer> {
  const files = fixtureFiles('invoke-version-tag');
  files['index.js'] = Buffer.from(files['index.js'].toString('utf8').replace("'version0'", `'${tag}'`));
  return zipOf(files);
}

let s: TestServer;

before(async () => {
  s = await startAlonzo();
});

after(() => s.close());

async function invoke(fn: string, qualifier?: string, payload = '{}'): Promise<InvokeCommandOutput> {
  const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Qualifier: qualifier, Payload: Buffer.from(payload) }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  return r;
}

async function updateCode(fn: string, zip: Buffer, publish = false) {
  const r = await s.client.send(new UpdateFunctionCodeCommand({ FunctionName: fn, ZipFile: zip, Publish: publish }));
  await waitActive(s, fn);
  return r;
}

describe('versions', () => {
  test('each version keeps its own code; $LATEST runs the newest (oracle test_lambda_versions_with_code_changes)', async () => {
    const fn = 'versions-code';
    await deploy(s, fn, { zip: await taggedZip('version1') });
    assert.deepEqual(json(await invoke(fn)), { version_id: 'version1', invoked_arn: arn(fn), version_from_ctx: '$LATEST' });
    const v1 = await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
    assert.equal(v1.Version, '1');

    // A warm $LATEST environment exists: the next invoke after the update must run the new code.
    await updateCode(fn, await taggedZip('version2'));
    const latest = await invoke(fn);
    assert.equal(latest.ExecutedVersion, '$LATEST');
    assert.deepEqual(json(latest), { version_id: 'version2', invoked_arn: arn(fn), version_from_ctx: '$LATEST' });

    const one = await invoke(fn, '1');
    assert.equal(one.ExecutedVersion, '1');
    assert.deepEqual(json(one), { version_id: 'version1', invoked_arn: arn(fn, '1'), version_from_ctx: '1' });

    const v2 = await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
    assert.equal(v2.Version, '2');
    const two = await invoke(fn, '2');
    assert.equal(two.ExecutedVersion, '2');
    assert.deepEqual(json(two), { version_id: 'version2', invoked_arn: arn(fn, '2'), version_from_ctx: '2' });

    const v3 = await updateCode(fn, await taggedZip('version3'), true);
    assert.equal(v3.Version, '3');
    assert.equal(v3.FunctionArn, arn(fn, '3'));
    const three = await invoke(fn, '3');
    assert.equal(three.ExecutedVersion, '3');
    assert.deepEqual(json(three), { version_id: 'version3', invoked_arn: arn(fn, '3'), version_from_ctx: '3' });

    const end = await invoke(fn);
    assert.deepEqual(json(end), { version_id: 'version3', invoked_arn: arn(fn), version_from_ctx: '$LATEST' });
    assert.deepEqual(json(await invoke(fn, '2')).version_id, 'version2');
    assert.deepEqual(json(await invoke(fn, '1')).version_id, 'version1');
    // The version in the name, and in a full ARN, are the same as ?Qualifier.
    const named = await invoke(`${fn}:1`);
    assert.equal(named.ExecutedVersion, '1');
    assert.equal(json(named).invoked_arn, arn(fn, '1'));
    const byArn = await invoke(arn(fn, '2'));
    assert.equal(byArn.ExecutedVersion, '2');
    assert.equal(json(byArn).version_id, 'version2');
    const raw = await rawInvoke(s, fn, '{}', {}, { qualifier: '3' });
    assert.equal(raw.headers.get('x-amz-executed-version'), '3');
  });

  test('a handler change is picked up by the next invoke and kept by later publishes (oracle test_lambda_handler_update)', async () => {
    const fn = 'versions-handler';
    await deploy(s, fn, { fixture: 'invoke-variant' });
    assert.equal(json(await invoke(fn)).handler, 'index.handler');
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Handler: 'index.handlerTwo' }));
    await waitActive(s, fn);
    assert.deepEqual(json(await invoke(fn)), { handler: 'handlerTwo' });
    await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
    assert.deepEqual(json(await invoke(fn)), { handler: 'handlerTwo' });
    assert.deepEqual(json(await invoke(fn, '1')), { handler: 'handlerTwo' });
  });

  test('an invoke in flight finishes on the old configuration; the next sees the new one (oracle test_function_update_during_invoke)', async () => {
    const fn = 'versions-variant';
    await deploy(s, fn, { fixture: 'invoke-variant', Environment: { Variables: { FUNCTION_VARIANT: 'variant-1' } } });
    const inFlight = invoke(fn, undefined, '{"ms":400}');
    await new Promise((ok) => setTimeout(ok, 100));
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: { FUNCTION_VARIANT: 'variant-2' } } }));
    await waitActive(s, fn);
    const before = json(await inFlight);
    assert.equal(before.function_variant, 'variant-1');
    assert.equal(before.function_version, '$LATEST');
    assert.equal(json(await invoke(fn)).function_variant, 'variant-2');
  });

  test('DryRun and Event on a version: 204 / 202 without ExecutedVersion', async () => {
    const fn = 'versions-code';
    const dry = await s.client.send(new InvokeCommand({ FunctionName: fn, Qualifier: '1', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    assert.equal(dry.ExecutedVersion, undefined);
    const ev = await s.client.send(new InvokeCommand({ FunctionName: fn, Qualifier: '2', InvocationType: 'Event' }));
    assert.equal(ev.StatusCode, 202);
    assert.equal(ev.ExecutedVersion, undefined);
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: fn, Qualifier: '99', InvocationType: 'DryRun' })), {
      name: 'ResourceNotFoundException',
      message: `Function not found: ${arn(fn, '99')}`,
    });
  });
});

describe('aliases', () => {
  test('an alias runs its version, with the alias ARN as invoked ARN, and moves only when updated (oracle test_lambda_alias_moving)', async () => {
    const fn = 'alias-moving';
    await deploy(s, fn, { zip: await taggedZip('version1'), Publish: true });
    await waitActive(s, fn, '1');
    const alias = await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'alias1', FunctionVersion: '1' }));
    assert.equal(alias.AliasArn, arn(fn, 'alias1'));

    const expectV1 = { version_id: 'version1', invoked_arn: arn(fn, 'alias1'), version_from_ctx: '1' };
    for (const [name, q] of [
      [fn, 'alias1'],
      [`${fn}:alias1`, undefined],
      [arn(fn, 'alias1'), undefined],
      [`000000000000:function:${fn}:alias1`, undefined],
      [arn(fn, 'alias1'), 'alias1'],
    ] as const) {
      const r = await invoke(name, q);
      assert.equal(r.ExecutedVersion, '1', `${name} ${q}`);
      assert.deepEqual(json(r), expectV1, `${name} ${q}`);
    }

    await updateCode(fn, await taggedZip('version2'));
    assert.deepEqual(json(await invoke(fn, 'alias1')), expectV1);
    const v2 = await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
    assert.equal(v2.Version, '2');
    assert.deepEqual(json(await invoke(fn, 'alias1')), expectV1);

    await s.client.send(new UpdateAliasCommand({ FunctionName: fn, Name: 'alias1', FunctionVersion: '2' }));
    const moved = await invoke(fn, 'alias1');
    assert.equal(moved.ExecutedVersion, '2');
    assert.deepEqual(json(moved), { version_id: 'version2', invoked_arn: arn(fn, 'alias1'), version_from_ctx: '2' });

    const raw = await rawInvoke(s, fn, '{}', {}, { qualifier: 'non-existent-alias' });
    assert.equal(raw.status, 404);
    assert.deepEqual(raw.json, { Type: 'User', Message: `Function not found: ${arn(fn, 'non-existent-alias')}` });
  });

  test('an alias with a routing weight of 0.5 sends about half the traffic to the other version (oracle test_alias_routingconfig)', async () => {
    const fn = 'alias-routing';
    await deploy(s, fn, { zip: await taggedZip('version1'), Publish: true });
    await updateCode(fn, await taggedZip('version2'), true);
    const alias = await s.client.send(
      new CreateAliasCommand({ FunctionName: fn, Name: 'alias1', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } }),
    );
    assert.deepEqual(alias.RoutingConfig, { AdditionalVersionWeights: { '2': 0.5 } });
    const counts: Record<string, number> = { '1': 0, '2': 0 };
    const N = 200;
    for (let i = 0; i < N; i++) {
      const r = await invoke(fn, 'alias1');
      const body = json(r);
      // The header names the version that really ran, and the function saw the alias as its invoked ARN.
      assert.equal(body.version_id, `version${r.ExecutedVersion}`);
      assert.equal(body.version_from_ctx, r.ExecutedVersion);
      assert.equal(body.invoked_arn, arn(fn, 'alias1'));
      counts[r.ExecutedVersion!]++;
    }
    // Binomial(200, 0.5): 60..140 holds with probability 1 - 2e-8.
    assert.ok(counts['1'] >= 60 && counts['2'] >= 60, JSON.stringify(counts));
    assert.equal(counts['1'] + counts['2'], N);
  });

  test('routing weight 0 never, weight 0.1 sometimes: the split follows the weight', async () => {
    const fn = 'alias-routing';
    await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'none', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0 } } }));
    for (let i = 0; i < 30; i++) assert.equal((await invoke(fn, 'none')).ExecutedVersion, '1');
    await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'canary', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } }));
    let two = 0;
    for (let i = 0; i < 200; i++) if ((await invoke(fn, 'canary')).ExecutedVersion === '2') two++;
    // Binomial(200, 0.1): mean 20, sd 4.2; 3..45 holds with probability > 1 - 1e-7.
    assert.ok(two >= 3 && two <= 45, String(two));
  });

  test('DryRun through an alias: 204, no ExecutedVersion; unknown alias → 404', async () => {
    const dry = await s.client.send(new InvokeCommand({ FunctionName: 'alias-moving', Qualifier: 'alias1', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    assert.equal(dry.ExecutedVersion, undefined);
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'alias-moving:nope', InvocationType: 'DryRun' })), { name: 'ResourceNotFoundException' });
  });
});
