// The layer API through boto3, compared with AWS's recorded answers (test/api/oracle/layers.json, from
// reference/aws-oracle/api-layers.snapshot.json); then the same through the JavaScript SDK and both AWS CLIs, the wire
// form of the errors, another account's layer, and a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetLayerVersionCommand, ListLayersCommand, ListLayerVersionsCommand, PublishLayerVersionCommand, AddLayerVersionPermissionCommand, CreateFunctionCommand, GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, runAws, zipOf, lambdaClient, AWS_CLI, type TestServer } from '../helpers/alonzo.js';
import { boto3Calls as boto3CallsOn } from '../helpers/boto3-calls.js';
import { assertAwsError, createFunction, rejection } from '../helpers/api.js';
import { numberUuids, oracleFile } from '../helpers/oracle.js';
import { createKey } from '../auth/helpers.js';
import { ROLE } from '../helpers/alonzo.js';

const entries = oracleFile('layers.json');
let s: TestServer;

before(async () => {
  s = await startAlonzo();
});
after(() => s.close());

/**
 * Values that differ per run, as the snapshot tool replaced them: dates, sizes, download URLs and digests (numbered
 * per answer set by first appearance, so equal digests stay equal).
 */
function placeholders(v: unknown): unknown {
  const digests = new Map<string, string>();
  const walk = (o: unknown, key?: string): unknown => {
    if (key === 'CreatedDate' || key === 'LastModified') return 'date';
    if (key === 'CodeSize') return '<code-size>';
    if (key === 'Location') return typeof o === 'string' && o.startsWith('<') ? o : '<layer-location>';
    if (key === 'CodeSha256' && typeof o === 'string') {
      if (!digests.has(o)) digests.set(o, `<code-sha256:${digests.size + 1}>`);
      return digests.get(o);
    }
    if (Array.isArray(o)) return o.map((x) => walk(x));
    if (o && typeof o === 'object') return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x, k)]));
    return o;
  };
  return numberUuids(walk(v));
}

/** A function's configuration, cut to what layers change (the rest is functions.test.ts's business). */
const FN_KEYS = ['Layers', 'LastUpdateStatus', 'LastUpdateStatusReason', 'LastUpdateStatusReasonCode', 'ResponseMetadata'];
function cutFunctions(recorded: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(recorded).map(([k, v]) => {
      if (v && typeof v === 'object' && 'Configuration' in v) return [k, { ResponseMetadata: v.ResponseMetadata, Configuration: pick(v.Configuration) }];
      if (v && typeof v === 'object' && 'FunctionName' in v) return [k, pick(v)];
      return [k, v];
    }),
  );
}
const pick = (c: Record<string, unknown>) => Object.fromEntries(Object.entries(c).filter(([k]) => FN_KEYS.includes(k)));

const oracle = (testName: string, names: Record<string, string> = {}) =>
  placeholders(cutFunctions(entries(`tests/aws/services/lambda_/test_lambda_api.py::TestLambdaLayer::${testName}`, names)['recorded-content']));
const boto3Calls = async (body: string) => placeholders(cutFunctions(await boto3CallsOn(s.url, body, { jsonMembers: ['Policy', 'Statement'] }))) as Record<string, any>;

/** A function call answered with the configuration cut to what layers change (its LastModified is text, not a date). */
const FN_CALL = `
def fn_call(key, method, **kw):
    try:
        r = getattr(client, method)(**kw)
        keep = ${JSON.stringify(FN_KEYS)}
        if 'Configuration' in r:
            r = {'ResponseMetadata': r['ResponseMetadata'], 'Configuration': {k: v for k, v in r['Configuration'].items() if k in keep}}
        else:
            r = {k: v for k, v in r.items() if k in keep}
        out[key] = norm(r)
    except client.exceptions.ClientError as e:
        out[key] = norm(e.response)
`;

/** A layer zip, base64-free for the Python side: written by the test, read by the script. */
const LAYER_ZIP = async () => (await zipOf({ 'python/mod.py': 'X = 1\n' })).toString('base64');

test('publish twice, use in a function, get, list newest first, delete while used, numbers never reused (test_layer_lifecycle)', async () => {
  const fn = 'layer-lifecycle-fn';
  const layer = 'layer-lifecycle';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'handler.handler', Timeout: 30 }, 'def handler(e, c):\n    return e\n');
  const got = await boto3Calls(`${FN_CALL}
import base64
zip = base64.b64decode('${await LAYER_ZIP()}')
fn_call('get_fn_result', 'get_function', FunctionName='${fn}')
fn_call('get_fn_config_result', 'get_function_configuration', FunctionName='${fn}')
kw = dict(LayerName='${layer}', CompatibleRuntimes=['python3.12'], Content={'ZipFile': zip}, CompatibleArchitectures=['x86_64'], LicenseInfo='license', Description='description')
call('publish_result', 'publish_layer_version', **kw)
call('publish_result_2', 'publish_layer_version', **kw)
arn1 = out['publish_result']['LayerVersionArn']
fn_call('update_fn_config', 'update_function_configuration', FunctionName='${fn}', Layers=[arn1])
client.get_waiter('function_updated_v2').wait(FunctionName='${fn}')
fn_call('get_fn_config', 'get_function_configuration', FunctionName='${fn}')
call('get_layer_ver_result', 'get_layer_version', LayerName='${layer}', VersionNumber=1)
call('get_layer_by_arn_version', 'get_layer_version_by_arn', Arn=arn1)
call('list_layer_versions_predelete', 'list_layer_versions', LayerName='${layer}')
call('delete_layer_1', 'delete_layer_version', LayerName='${layer}', VersionNumber=1)
fn_call('get_fn_config_postdelete', 'get_function_configuration', FunctionName='${fn}')
call('delete_layer_2', 'delete_layer_version', LayerName='${layer}', VersionNumber=2)
call('list_layer_versions_postdelete', 'list_layer_versions', LayerName='${layer}')
call('publish_result_3', 'publish_layer_version', **kw)
`);
  const want = oracle('test_layer_lifecycle', { 'resource:3': layer, 'description': 'description', 'license-info': 'license' }) as Record<string, any>;
  // The function's own entries are cut to what layers change; its code digest is numbered apart from the layer's.
  for (const k of Object.keys(want)) assert.deepEqual(got[k], want[k], k);
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
});

test('errors of the layer operations: filters, unknown layers and versions, bad ARNs, idempotent deletes, bad lists (test_layer_exceptions)', async () => {
  const layer = 'layer-exceptions';
  const got = await boto3Calls(`
import base64
zip = base64.b64decode('${await LAYER_ZIP()}')
call('publish_result', 'publish_layer_version', LayerName='${layer}', CompatibleRuntimes=['python3.12'], Content={'ZipFile': zip}, CompatibleArchitectures=['x86_64'])
call('list_layers_exc_compatibleruntime_invalid', 'list_layers', CompatibleRuntime='runtimedoesnotexist')
call('list_layers_exc_compatiblearchitecture_invalid', 'list_layers', CompatibleArchitecture='archdoesnotexist')
call('list_nonexistent_layer', 'list_layer_versions', LayerName='${layer}-doesnotexist')
call('get_layer_version_exc_layer_doesnotexist', 'get_layer_version', LayerName='${layer}-doesnotexist', VersionNumber=1)
call('get_layer_version_exc_layer_version_doesnotexist_negative', 'get_layer_version', LayerName='${layer}', VersionNumber=-1)
call('get_layer_version_exc_layer_version_doesnotexist_zero', 'get_layer_version', LayerName='${layer}', VersionNumber=0)
call('get_layer_version_exc_layer_version_doesnotexist_2', 'get_layer_version', LayerName='${layer}', VersionNumber=2)
call('get_layer_version_by_arn_exc_invalidarn', 'get_layer_version_by_arn', Arn=out['publish_result']['LayerArn'])
call('get_layer_version_by_arn_exc_nonexistentversion', 'get_layer_version_by_arn', Arn=out['publish_result']['LayerArn'] + ':2')
call('delete_nonexistent_response', 'delete_layer_version', LayerName='${layer}-doesnotexist', VersionNumber=1)
call('delete_nonexistent_version_response', 'delete_layer_version', LayerName='${layer}', VersionNumber=2)
call('delete_layer_response', 'delete_layer_version', LayerName='${layer}', VersionNumber=1)
call('delete_layer_again_response', 'delete_layer_version', LayerName='${layer}', VersionNumber=1)
call('delete_layer_version_exc_layerversion_invalid_version', 'delete_layer_version', LayerName='${layer}', VersionNumber=-1)
call('publish_empty_result', 'publish_layer_version', LayerName='${layer}-empty', CompatibleRuntimes=[], Content={'ZipFile': zip}, CompatibleArchitectures=[])
call('publish_layer_version_exc_invalid_runtime_arch', 'publish_layer_version', LayerName='${layer}-2', CompatibleRuntimes=['invalidruntime'], Content={'ZipFile': zip}, CompatibleArchitectures=['invalidarch'])
call('publish_layer_version_exc_partially_invalid_values', 'publish_layer_version', LayerName='${layer}-2', CompatibleRuntimes=['invalidruntime', 'invalidruntime2', 'nodejs20.x'], Content={'ZipFile': zip}, CompatibleArchitectures=['invalidarch', 'x86_64'])
`);
  // The oracle's empty-list layer is <resource:2>; its `publish_result` has no Description key… as ours.
  const want = oracle('test_layer_exceptions', { 'resource:1': layer, 'resource:2': `${layer}-empty` }) as Record<string, any>;
  for (const k of Object.keys(want)) assert.deepEqual(got[k], want[k], k);
});

test('layer policies: add, get, add with the RevisionId, remove (test_layer_policy_lifecycle)', async () => {
  const layer = 'layer-policy';
  const got = await boto3Calls(`
import base64
zip = base64.b64decode('${await LAYER_ZIP()}')
call('publish_result', 'publish_layer_version', LayerName='${layer}', CompatibleRuntimes=['python3.12'], Content={'ZipFile': zip}, CompatibleArchitectures=['x86_64'])
call('add_policy_s1', 'add_layer_version_permission', LayerName='${layer}', VersionNumber=1, StatementId='s1', Action='lambda:GetLayerVersion', Principal='*')
call('get_layer_version_policy', 'get_layer_version_policy', LayerName='${layer}', VersionNumber=1)
call('add_policy_s2', 'add_layer_version_permission', LayerName='${layer}', VersionNumber=1, StatementId='s2', Action='lambda:GetLayerVersion', Principal='*', RevisionId=out['get_layer_version_policy']['RevisionId'])
call('get_layer_version_policy_postadd2', 'get_layer_version_policy', LayerName='${layer}', VersionNumber=1)
call('remove_s2', 'remove_layer_version_permission', LayerName='${layer}', VersionNumber=1, StatementId='s2', RevisionId=out['get_layer_version_policy_postadd2']['RevisionId'])
call('get_layer_version_policy_postdeletes2', 'get_layer_version_policy', LayerName='${layer}', VersionNumber=1)
`);
  assert.deepEqual(got, oracle('test_layer_policy_lifecycle', { 'resource:1': layer }));
});

test('layer policy errors: no policy, bad action, duplicate sid, stale revision, unknown layer, version or sid (test_layer_policy_exceptions)', async () => {
  const layer = 'layer-policy-exc';
  const got = await boto3Calls(`
import base64
zip = base64.b64decode('${await LAYER_ZIP()}')
L = '${layer}'
call('publish_result', 'publish_layer_version', LayerName=L, CompatibleRuntimes=['python3.12'], Content={'ZipFile': zip}, CompatibleArchitectures=['x86_64'])
call('layer_permission_nopolicy_get', 'get_layer_version_policy', LayerName=L, VersionNumber=1)
call('add_layer_permission_result', 'add_layer_version_permission', LayerName=L, VersionNumber=1, Action='lambda:GetLayerVersion', Principal='*', StatementId='s1')
call('layer_permission_action_invalid', 'add_layer_version_permission', LayerName=L, VersionNumber=1, Action='*', Principal='*', StatementId='s2')
call('layer_permission_duplicate_statement', 'add_layer_version_permission', LayerName=L, VersionNumber=1, Action='lambda:GetLayerVersion', Principal='*', StatementId='s1')
call('layer_permission_wrong_revision', 'add_layer_version_permission', LayerName=L, VersionNumber=1, Action='lambda:GetLayerVersion', Principal='*', StatementId='s2', RevisionId='wrong')
for op, method, extra in [('add', 'add_layer_version_permission', dict(Action='lambda:GetLayerVersion', Principal='*', StatementId='s2')), ('get', 'get_layer_version_policy', {}), ('remove', 'remove_layer_version_permission', dict(StatementId='s1'))]:
    call('layer_permission_layername_doesnotexist_' + op, method, LayerName=L + '-doesnotexist', VersionNumber=1, **extra)
for op, method, extra in [('add', 'add_layer_version_permission', dict(Action='lambda:GetLayerVersion', Principal='*', StatementId='s2')), ('get', 'get_layer_version_policy', {}), ('remove', 'remove_layer_version_permission', dict(StatementId='s1'))]:
    call('layer_permission_layerversion_doesnotexist_' + op, method, LayerName=L, VersionNumber=2, **extra)
call('layer_permission_statementid_doesnotexist_remove', 'remove_layer_version_permission', LayerName=L, VersionNumber=1, StatementId='doesnotexist')
call('layer_permission_wrong_revision_remove', 'remove_layer_version_permission', LayerName=L, VersionNumber=1, StatementId='s1', RevisionId='wrong')
`);
  assert.deepEqual(got, oracle('test_layer_policy_exceptions', { 'resource:1': layer }));
});

test("a function's Layers: one version per layer, versions and layers that exist, an ARN with a version, the region (test_layer_function_exceptions)", async () => {
  const fn = 'layer-fn-exc';
  const layer = 'layer-fn-exc';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'handler.handler', Timeout: 30 }, 'def handler(e, c):\n    return e\n');
  const got = await boto3Calls(`${FN_CALL}
import base64
zip = base64.b64decode('${await LAYER_ZIP()}')
for i, key in enumerate(['publish_result', 'publish_result_2', 'publish_result_3']):
    call(key, 'publish_layer_version', LayerName='${layer}', CompatibleRuntimes=[], Content={'ZipFile': zip}, CompatibleArchitectures=['x86_64'])
v = [out[k]['LayerVersionArn'] for k in ['publish_result', 'publish_result_2', 'publish_result_3']]
fn_call('get_fn_result', 'get_function', FunctionName='${fn}')
call('two_layer_versions_single_function_exc', 'update_function_configuration', FunctionName='${fn}', Layers=v[:2])
call('three_layer_versions_single_function_exc', 'update_function_configuration', FunctionName='${fn}', Layers=v)
call('two_identical_layer_versions_single_function_exc', 'update_function_configuration', FunctionName='${fn}', Layers=[v[0], v[0]])
call('add_nonexistent_layer_exc', 'update_function_configuration', FunctionName='${fn}', Layers=[v[0].replace('${layer}', 'doesnotexist')])
call('add_nonexistent_layer_version_exc', 'update_function_configuration', FunctionName='${fn}', Layers=[v[0][:-1] + '9'])
call('add_layer_arn_without_version_exc', 'update_function_configuration', FunctionName='${fn}', Layers=[out['publish_result']['LayerArn']])
call('create_function_with_layer_in_different_region', 'create_function', FunctionName='${fn}-2', Runtime='python3.12', Handler='handler.handler', Role='${ROLE}', Code={'ZipFile': zip}, Layers=[v[0].replace('us-east-1', 'eu-west-1')])
`);
  // The other region's layer: AWS's message names the function's region, which the placeholder stands for.
  const want = oracle('test_layer_function_exceptions', { 'resource:1': layer }) as Record<string, any>;
  want.create_function_with_layer_in_different_region = JSON.parse(JSON.stringify(want.create_function_with_layer_in_different_region).split('<region>').join('us-east-1'));
  for (const k of Object.keys(want)) assert.deepEqual(got[k], want[k], k);
  // Nothing was changed by the refused updates.
  assert.deepEqual(got.get_fn_result.Configuration.Layers, undefined);
});

test('six layers: "Cannot reference more than 5 layers." (test_layer_function_quota_exception); 15 runtimes with deprecated ones (test_layer_compatibilities)', async () => {
  const got = await boto3Calls(`
import base64
zip = base64.b64decode('${await LAYER_ZIP()}')
arns = [client.publish_layer_version(LayerName='six-%d' % i, Content={'ZipFile': zip})['LayerVersionArn'] for i in range(6)]
call('create_function_with_six_layers', 'create_function', FunctionName='six-layers', Runtime='python3.12', Handler='handler.handler', Role='${ROLE}', Code={'ZipFile': zip}, Layers=arns)
call('publish_result', 'publish_layer_version', LayerName='compat', Content={'ZipFile': zip}, CompatibleRuntimes=['nodejs12.x', 'nodejs14.x', 'python3.7', 'java8', 'go1.x', 'dotnetcore3.1', 'ruby2.7', 'provided', 'nodejs20.x', 'python3.12', 'java21', 'ruby3.3', 'dotnet8', 'provided.al2023', 'nodejs22.x'], CompatibleArchitectures=['arm64', 'x86_64'])
call('sixteen', 'publish_layer_version', LayerName='compat', Content={'ZipFile': zip}, CompatibleRuntimes=['nodejs20.x'] * 16)
call('s3_content', 'publish_layer_version', LayerName='from-s3', Content={'S3Bucket': 'bucket', 'S3Key': 'key'})
`);
  assert.deepEqual(got.create_function_with_six_layers, (oracle('test_layer_function_quota_exception') as any).create_function_with_six_layers);
  assert.equal(got.publish_result.ResponseMetadata.HTTPStatusCode, 201);
  assert.deepEqual(got.publish_result.CompatibleRuntimes.length, 15);
  assert.deepEqual(got.publish_result.CompatibleArchitectures, ['arm64', 'x86_64']);
  assert.equal(got.sixteen.Error.Code, 'ValidationException');
  assert.match(got.sixteen.Error.Message, /Member must have length less than or equal to 15/);
  // No S3 endpoint is set for this server and the machine reaches no S3: said plainly (code-from-s3.test.ts fetches for real).
  assert.equal(got.s3_content.Error.Code, 'InvalidParameterValueException');
  assert.match(got.s3_content.Error.Message, /^Error occurred while GetObject\./);
});

test('the JavaScript SDK and both AWS CLIs: publish, list with filters and markers, get by ARN', async () => {
  const zip = await zipOf({ 'nodejs/node_modules/x/index.js': 'module.exports = 1;\n' });
  for (let i = 0; i < 3; i++) {
    await s.client.send(new PublishLayerVersionCommand({ LayerName: `sdk-${i}`, Content: { ZipFile: zip }, CompatibleRuntimes: i === 1 ? ['python3.12'] : ['nodejs20.x'], CompatibleArchitectures: ['x86_64'] }));
  }
  await s.client.send(new PublishLayerVersionCommand({ LayerName: 'sdk-0', Content: { ZipFile: zip }, CompatibleRuntimes: ['python3.12'] }));
  // The newest version matching the filter, per layer.
  const node = await s.client.send(new ListLayersCommand({ CompatibleRuntime: 'nodejs20.x' }));
  const nodeLayers = node.Layers!.filter((l) => l.LayerName!.startsWith('sdk-'));
  assert.deepEqual(nodeLayers.map((l) => `${l.LayerName}:${l.LatestMatchingVersion!.Version}`), ['sdk-0:1', 'sdk-2:1']);
  const py = await s.client.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
  assert.deepEqual(py.Layers!.filter((l) => l.LayerName!.startsWith('sdk-')).map((l) => `${l.LayerName}:${l.LatestMatchingVersion!.Version}`), ['sdk-0:2', 'sdk-1:1']);
  // Markers walk every layer once.
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await s.client.send(new ListLayersCommand({ MaxItems: 1, Marker: marker }));
    names.push(...page.Layers!.map((l) => l.LayerName!));
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(names, [...new Set(names)].sort(), 'each layer once, by name');
  assert.ok(['sdk-0', 'sdk-1', 'sdk-2'].every((n) => names.includes(n)));
  const versions = await s.client.send(new ListLayerVersionsCommand({ LayerName: 'sdk-0', MaxItems: 1 }));
  assert.deepEqual(versions.LayerVersions!.map((v) => v.Version), [2]);
  assert.ok(versions.NextMarker);
  const rest = await s.client.send(new ListLayerVersionsCommand({ LayerName: 'sdk-0', Marker: versions.NextMarker }));
  assert.deepEqual(rest.LayerVersions!.map((v) => v.Version), [1]);
  // Content.Location is a presigned URL that serves the very zip.
  const got = await s.client.send(new GetLayerVersionCommand({ LayerName: 'sdk-0', VersionNumber: 1 }));
  const download = await fetch(got.Content!.Location!);
  assert.equal(download.status, 200);
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), zip);
  for (const cli of Object.keys(AWS_CLI) as (keyof typeof AWS_CLI)[]) {
    const r = await runAws(cli, s.url, ['lambda', 'get-layer-version-by-arn', '--arn', got.LayerVersionArn!]);
    assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).Version, 1);
    const list = await runAws(cli, s.url, ['lambda', 'list-layer-versions', '--layer-name', 'sdk-0']);
    assert.equal(list.code, 0, `${cli}: ${list.stderr}`);
    assert.deepEqual(JSON.parse(list.stdout).LayerVersions.map((v: any) => v.Version), [2, 1]);
  }
});

/** AWS's AccessDenied, its message matching `message`. */
async function deniedWith(p: Promise<unknown>, message: RegExp): Promise<void> {
  const e = await rejection(p);
  assert.equal(e.name, 'AccessDeniedException', e.message);
  assert.equal(e.$metadata.httpStatusCode, 403);
  assert.match(e.message, message);
}

test("another account's layer: usable only as its version's policy allows, and never changed by a stranger", async () => {
  // A key of Alonzo's own in account 111122223333: verified in both auth modes (the suite also runs in sigv4 mode).
  const other = await createKey(s.dataDir, '--account-id', '111122223333', '--name', 'carol');
  const stranger = lambdaClient(s.url, { credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } });
  try {
    const zip = await zipOf({ 'nodejs/node_modules/x/index.js': 'module.exports = 1;\n' });
    const mine = await s.client.send(new PublishLayerVersionCommand({ LayerName: 'private-layer', Content: { ZipFile: zip } }));
    const create = (name: string) =>
      stranger.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::111122223333:role/r', Code: { ZipFile: zip }, Layers: [mine.LayerVersionArn!] }));
    await assertAwsError(create('uses-private'), { name: 'AccessDeniedException', status: 403, message: `User: arn:aws:iam::111122223333:user/carol is not authorized to perform: lambda:GetLayerVersion on resource: ${mine.LayerVersionArn} because no resource-based policy allows the lambda:GetLayerVersion action` });
    await deniedWith(stranger.send(new GetLayerVersionCommand({ LayerName: mine.LayerArn!, VersionNumber: 1 })), /not authorized to perform: lambda:GetLayerVersion/);
    // A stranger cannot grant itself access, nor publish into the owner's layer.
    await deniedWith(stranger.send(new AddLayerVersionPermissionCommand({ LayerName: mine.LayerArn!, VersionNumber: 1, StatementId: 'me', Action: 'lambda:GetLayerVersion', Principal: '*' })), /not authorized to perform: lambda:AddLayerVersionPermission/);
    await deniedWith(stranger.send(new PublishLayerVersionCommand({ LayerName: mine.LayerArn!, Content: { ZipFile: zip } })), /not authorized to perform: lambda:PublishLayerVersion/);
    // The owner shares the version with that account: now it can read it and use it.
    await s.client.send(new AddLayerVersionPermissionCommand({ LayerName: 'private-layer', VersionNumber: 1, StatementId: 'share', Action: 'lambda:GetLayerVersion', Principal: '111122223333' }));
    assert.equal((await stranger.send(new GetLayerVersionCommand({ LayerName: mine.LayerArn!, VersionNumber: 1 }))).Version, 1);
    const created = await create('uses-shared');
    assert.deepEqual(created.Layers?.map((l) => l.Arn), [mine.LayerVersionArn]);
  } finally {
    stranger.destroy();
  }
});

test('layers survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-layers-restart-'));
  const zip = await zipOf({ 'a.txt': 'a' });
  const first = await startAlonzo({ dataDir });
  try {
    await first.client.send(new PublishLayerVersionCommand({ LayerName: 'kept', Content: { ZipFile: zip } }));
    await first.client.send(new PublishLayerVersionCommand({ LayerName: 'kept', Content: { ZipFile: zip } }));
  } finally {
    await first.close();
  }
  const again = await startAlonzo({ dataDir });
  try {
    const v = await again.client.send(new ListLayerVersionsCommand({ LayerName: 'kept' }));
    assert.deepEqual(v.LayerVersions!.map((x: { Version?: number }) => x.Version), [2, 1]);
    assert.equal((await again.client.send(new PublishLayerVersionCommand({ LayerName: 'kept', Content: { ZipFile: zip } }))).Version, 3);
  } finally {
    await again.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a function and its layers past 250 MB unzipped together: AWS's message, and nothing created or changed", async () => {
  // Zeros compress to almost nothing: each package is small zipped and under the limit alone, not together.
  const MiB = 1024 * 1024;
  const layerZip = await zipOf({ 'big/layer.bin': Buffer.alloc(130 * MiB) });
  const codeZip = await zipOf({ 'index.js': 'exports.handler = async () => 1;\n', 'big.bin': Buffer.alloc(140 * MiB) });
  const layer = await s.client.send(new PublishLayerVersionCommand({ LayerName: 'heavy', Content: { ZipFile: layerZip } }));
  const total = 130 * MiB + 140 * MiB + 'exports.handler = async () => 1;\n'.length;
  const tooBig = { name: 'InvalidParameterValueException', status: 400, message: `Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is ${total} bytes.` };
  // On create: refused before anything is stored.
  await assertAwsError(createFunction(s.client, 'heavy-fn', { Layers: [layer.LayerVersionArn!], Code: { ZipFile: codeZip } }), tooBig);
  await assertAwsError(s.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'heavy-fn' })), { name: 'ResourceNotFoundException', status: 404, message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:heavy-fn' });
  // On an update of the layers: refused, the configuration as it was.
  await createFunction(s.client, 'heavy-fn', { Code: { ZipFile: codeZip } });
  await assertAwsError(s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'heavy-fn', Layers: [layer.LayerVersionArn!] })), tooBig);
  assert.equal((await s.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'heavy-fn' }))).Layers, undefined);
});
