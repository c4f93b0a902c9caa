// PublishVersion, ListVersionsByFunction, the alias operations and RevisionId checked through @aws-sdk/client-lambda against AWS's recordings (aws-oracle api-versions-aliases-revisions).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type AliasConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import {
  KEYS, UUID_RE, ECHO_JS, arnOf, assertKeys, assertDefaults, assertAwsError, assertWireError, raw, sha256b64, createFunction, waitUpdated,
} from '../helpers/api.js';

let s: TestServer;
let client: LambdaClient;
before(async () => {
  s = await startAlonzo();
  client = s.client;
});
after(() => s.close());

const PRECONDITION = {
  name: 'PreconditionFailedException', status: 412, typed: true,
  message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
};
const notFound = (name: string, q?: string) => ({ name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf(name, q)}`, typed: true });
const versionsOf = async (name: string) => (await client.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions!;

async function updateConfig(name: string, fields: Record<string, unknown>) {
  const r = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, ...fields }));
  await waitUpdated(client, name);
  return r;
}

// ---- PublishVersion / ListVersionsByFunction -----------------------------------------------------------------------

test('publish on create: version 1 exists, and publishing again with no change returns it (test_publish_version_on_create)', async () => {
  const name = 'ver-on-create';
  const created = await createFunction(client, name, { Publish: true });
  assertKeys(created, KEYS.created);
  assert.equal(created.Version, '1');
  assert.equal(created.FunctionArn, arnOf(name));

  const latest = (await waitUpdated(client, name)).Configuration!;
  const v1 = (await waitUpdated(client, name, '1')).Configuration!;
  const latestQ = (await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '$LATEST' }))).Configuration!;
  for (const c of [latest, v1, latestQ]) assertKeys(c, KEYS.active);
  assert.equal(latest.FunctionArn, arnOf(name));
  assert.equal(v1.FunctionArn, arnOf(name, '1'));
  assert.equal(latestQ.FunctionArn, arnOf(name, '$LATEST'));
  assert.equal(v1.CodeSha256, latest.CodeSha256);

  const versions = await versionsOf(name);
  assert.deepEqual(versions.map((v) => v.FunctionArn), [arnOf(name, '$LATEST'), arnOf(name, '1')]);
  assert.deepEqual(versions.map((v) => v.RevisionId), [latest.RevisionId, v1.RevisionId]);
  for (const v of versions) {
    assertKeys(v, KEYS.listed);
    assertDefaults(v as Record<string, unknown>, name);
  }

  const repeated = await client.send(new PublishVersionCommand({ FunctionName: name, Description: 'Repeated version description :)' }));
  assert.equal(repeated.$metadata.httpStatusCode, 201);
  assertKeys(repeated, KEYS.active);
  assert.equal(repeated.Version, '1');
  assert.equal(repeated.FunctionArn, arnOf(name, '1'));
  assert.equal(repeated.Description, '');
  assert.equal(repeated.RevisionId, v1.RevisionId);
  assert.deepEqual((await versionsOf(name)).map((v) => v.Version), ['$LATEST', '1']);
});

test('version lifecycle: publish snapshots $LATEST; unchanged $LATEST is not published twice (test_version_lifecycle)', async () => {
  const name = 'ver-lifecycle';
  await createFunction(client, name, { Description: 'No version :(' });
  await waitUpdated(client, name);
  assert.deepEqual((await versionsOf(name)).map((v) => v.FunctionArn), [arnOf(name, '$LATEST')]);

  const upd1 = await updateConfig(name, { Description: 'First version :)' });
  assertKeys(upd1, KEYS.updating);

  const p1 = await client.send(new PublishVersionCommand({ FunctionName: name, Description: 'First version description :)' }));
  assert.equal(p1.$metadata.httpStatusCode, 201);
  assertKeys(p1, KEYS.active);
  assert.equal(p1.Version, '1');
  assert.equal(p1.FunctionArn, arnOf(name, '1'));
  assert.equal(p1.Description, 'First version description :)');
  assert.equal(p1.State, 'Active');
  assert.equal(p1.LastUpdateStatus, 'Successful');

  // A published version's RevisionId does not change when it becomes active.
  const g1 = (await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' }))).Configuration!;
  const c1 = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: '1' }));
  assertKeys(g1, KEYS.active);
  assertKeys(c1, KEYS.active);
  assert.equal(g1.RevisionId, p1.RevisionId);
  assert.equal(c1.RevisionId, p1.RevisionId);

  await updateConfig(name, { Description: 'Second version :))' });
  const g1After = (await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' }))).Configuration!;
  assert.deepEqual(g1After, g1);

  const p2 = await client.send(new PublishVersionCommand({ FunctionName: name }));
  assert.equal(p2.Version, '2');
  assert.equal(p2.FunctionArn, arnOf(name, '2'));
  assert.equal(p2.Description, 'Second version :))');
  const p3 = await client.send(new PublishVersionCommand({ FunctionName: name, Description: 'Third version description :)))' }));
  assert.equal(p3.$metadata.httpStatusCode, 201);
  assert.equal(p3.Version, '2');
  assert.equal(p3.Description, 'Second version :))');
  assert.equal(p3.RevisionId, p2.RevisionId);

  const end = await versionsOf(name);
  assert.deepEqual(end.map((v) => [v.Version, v.Description]), [['$LATEST', 'Second version :))'], ['1', 'First version description :)'], ['2', 'Second version :))']]);

  await client.send(new DeleteFunctionCommand({ FunctionName: `${name}:1` }));
  assert.deepEqual((await versionsOf(name)).map((v) => v.Version), ['$LATEST', '2']);
});

test('PublishVersion with a wrong CodeSha256 is refused; with the right one it publishes (test_publish_with_wrong_sha256)', async () => {
  const name = 'ver-sha256';
  await createFunction(client, name);
  const conf = (await waitUpdated(client, name)).Configuration!;
  await assertAwsError(client.send(new PublishVersionCommand({ FunctionName: name, CodeSha256: 'somenonexistentsha256' })), {
    name: 'InvalidParameterValueException', status: 400, typed: true,
    message: `CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST (${conf.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
  });
  assert.deepEqual((await versionsOf(name)).map((v) => v.Version), ['$LATEST']);
  const ok = await client.send(new PublishVersionCommand({ FunctionName: name, CodeSha256: conf.CodeSha256 }));
  assert.equal(ok.$metadata.httpStatusCode, 201);
  assert.equal(ok.Version, '1');
  assertKeys(ok, KEYS.active);
});

test('UpdateFunctionCode with Publish answers with the new version, Pending (test_publish_with_update)', async () => {
  const name = 'ver-publish-update';
  await createFunction(client, name);
  await waitUpdated(client, name);
  const zip = await zipOf({ 'index.js': 'exports.handler = async () => "v2";\n' });
  const r = await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip, Publish: true }));
  assert.equal(r.$metadata.httpStatusCode, 200);
  assertKeys(r, KEYS.created);
  assert.equal(r.Version, '1');
  assert.equal(r.FunctionArn, arnOf(name, '1'));
  assert.equal(r.CodeSha256, sha256b64(zip));
  assert.equal(r.State, 'Pending');
  assert.equal(r.StateReason, 'The function is being created.');
  assert.equal(r.StateReasonCode, 'Creating');
  const v1 = (await waitUpdated(client, name, '1')).Configuration!;
  assert.equal(v1.CodeSha256, sha256b64(zip));
  assert.equal(v1.FunctionArn, arnOf(name, '1'));
  const latest = (await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '$LATEST' }))).Configuration!;
  assert.equal(latest.CodeSha256, sha256b64(zip));
  assert.equal(latest.FunctionArn, arnOf(name, '$LATEST'));
});

test('RevisionId of versions and aliases (test_function_revisions_version_and_alias, test_publish_with_wrong_revisionid)', async () => {
  const name = 'ver-revisions';
  const rev1 = (await createFunction(client, name)).RevisionId;
  const rev2 = (await waitUpdated(client, name)).Configuration!.RevisionId;
  assert.notEqual(rev1, rev2);
  await assertAwsError(client.send(new PublishVersionCommand({ FunctionName: name, RevisionId: 'wrong' })), PRECONDITION);
  assertWireError(await raw(s.url, 'POST', `/2015-03-31/functions/${name}/versions`, { RevisionId: 'wrong' }), 412, 'PreconditionFailedException', {
    Type: 'User', message: PRECONDITION.message,
  });
  assert.deepEqual((await versionsOf(name)).map((v) => v.Version), ['$LATEST']);

  const v1 = await client.send(new PublishVersionCommand({ FunctionName: name, RevisionId: rev2 }));
  assert.equal(v1.Version, '1');
  assert.notEqual(v1.RevisionId, rev2);
  const vGet = (await waitUpdated(client, name, '1')).Configuration!;
  assert.equal(vGet.RevisionId, v1.RevisionId);
  // Publishing changes $LATEST's RevisionId.
  const rev3 = (await client.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.RevisionId;
  assert.notEqual(rev3, rev2);

  const a1 = await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'revision_alias', FunctionVersion: '1' }));
  assertKeys(a1, KEYS.alias);
  assert.match(String(a1.RevisionId), UUID_RE);
  assert.notEqual(a1.RevisionId, v1.RevisionId);
  // CreateAlias changes neither $LATEST's nor the version's RevisionId.
  assert.equal((await client.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.RevisionId, rev3);
  assert.equal((await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' }))).Configuration!.RevisionId, v1.RevisionId);

  await assertAwsError(client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'revision_alias', RevisionId: 'wrong', Description: 'x' })), PRECONDITION);
  assert.equal((await client.send(new GetAliasCommand({ FunctionName: name, Name: 'revision_alias' }))).Description, '');
  const a2 = await client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'revision_alias', Description: 'something changed', RevisionId: a1.RevisionId }));
  assert.equal(a2.$metadata.httpStatusCode, 200);
  assertKeys(a2, KEYS.alias);
  assert.equal(a2.Description, 'something changed');
  assert.notEqual(a2.RevisionId, a1.RevisionId);
});

test('ListVersionsByFunction pages with MaxItems/Marker, and 404s for a missing function', async () => {
  const name = 'ver-paging';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  for (const d of ['b', 'c']) {
    await updateConfig(name, { Description: d });
    await client.send(new PublishVersionCommand({ FunctionName: name }));
  }
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListVersionsByFunctionCommand({ FunctionName: name, MaxItems: 1, Marker: marker }));
    assert.equal(page.Versions!.length, 1);
    seen.push(page.Versions![0].Version!);
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(seen, ['$LATEST', '1', '2', '3']);
  await assertAwsError(client.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver-missing' })), notFound('ver-missing'));
});

test('DeleteFunction refuses a version an alias uses, and an alias qualifier', async () => {
  const name = 'ver-delete-aliased';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1' })), {
    name: 'ResourceConflictException', status: 409, typed: true, message: 'Unable to delete version because the following aliases reference it: [live]',
  });
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: 'live' })), {
    name: 'InvalidParameterValueException', status: 400, typed: true, message: 'Deletion of aliases is not currently supported.',
  });
  assert.deepEqual((await versionsOf(name)).map((v) => v.Version), ['$LATEST', '1']);
  await client.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
});

// ---- aliases --------------------------------------------------------------------------------------------------------

test('alias lifecycle with RoutingConfig; GetFunction through an alias (test_alias_lifecycle)', async () => {
  const name = 'alias-lifecycle';
  await createFunction(client, name, { Environment: { Variables: { testenv: 'staging' } } });
  await waitUpdated(client, name);
  const v1 = await client.send(new PublishVersionCommand({ FunctionName: name }));
  assertKeys(v1, KEYS.active, 'Environment');
  await updateConfig(name, { Environment: { Variables: { testenv: 'prod' } } });
  const v2 = await client.send(new PublishVersionCommand({ FunctionName: name }));
  assert.equal(v2.Version, '2');
  assert.deepEqual(v2.Environment, { Variables: { testenv: 'prod' } });

  const a11 = await client.send(new CreateAliasCommand({
    FunctionName: name, Name: 'aliasname1_1', FunctionVersion: '1', Description: 'custom-alias', RoutingConfig: { AdditionalVersionWeights: { 2: 0.2 } },
  }));
  assert.equal(a11.$metadata.httpStatusCode, 201);
  assertKeys(a11, KEYS.alias, 'RoutingConfig');
  assert.equal(a11.AliasArn, arnOf(name, 'aliasname1_1'));
  assert.equal(a11.Name, 'aliasname1_1');
  assert.equal(a11.FunctionVersion, '1');
  assert.equal(a11.Description, 'custom-alias');
  assert.deepEqual(a11.RoutingConfig, { AdditionalVersionWeights: { 2: 0.2 } });
  const g11 = await client.send(new GetAliasCommand({ FunctionName: name, Name: 'aliasname1_1' }));
  assert.equal(g11.$metadata.httpStatusCode, 200);
  const strip = ({ $metadata: _m, ...rest }: AliasConfiguration & { $metadata?: unknown }) => rest;
  assert.deepEqual(strip(g11), strip(a11));

  // GetFunction through the alias: version 1's configuration under the alias ARN.
  for (const req of [{ FunctionName: name, Qualifier: 'aliasname1_1' }, { FunctionName: a11.AliasArn! }]) {
    const c = (await client.send(new GetFunctionCommand(req))).Configuration!;
    assertKeys(c, KEYS.active, 'Environment');
    assert.equal(c.FunctionArn, arnOf(name, 'aliasname1_1'));
    assert.equal(c.Version, '1');
    assert.deepEqual(c.Environment, { Variables: { testenv: 'staging' } });
    assert.equal(c.RevisionId, v1.RevisionId);
  }
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: 'aliasdoesnotexist' })), notFound(name, 'aliasdoesnotexist'));
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: arnOf(name, 'aliasdoesnotexist') })), notFound(name, 'aliasdoesnotexist'));

  const a12 = await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'aliasname1_2', FunctionVersion: '1', Description: 'custom-alias' }));
  assertKeys(a12, KEYS.alias);
  const a13 = await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'aliasname1_3', FunctionVersion: '1' }));
  assertKeys(a13, KEYS.alias);
  assert.equal(a13.Description, '');
  const a2 = await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'aliasname2', FunctionVersion: '2', Description: 'custom-alias' }));
  assert.equal(a2.FunctionVersion, '2');

  const listed: AliasConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListAliasesCommand({ FunctionName: name, MaxItems: 1, Marker: marker }));
    assert.equal(page.Aliases!.length, 1);
    listed.push(...page.Aliases!);
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(listed.map((a) => a.Name), ['aliasname1_1', 'aliasname1_2', 'aliasname1_3', 'aliasname2']);
  assert.deepEqual(listed[0], strip(a11));
  for (const a of listed.slice(1)) assertKeys(a, KEYS.alias);

  // An empty weight map removes the routing.
  const u11 = await client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'aliasname1_1', RoutingConfig: { AdditionalVersionWeights: {} } }));
  assert.equal(u11.$metadata.httpStatusCode, 200);
  assertKeys(u11, KEYS.alias);
  assert.notEqual(u11.RevisionId, a11.RevisionId);
  assert.deepEqual(strip(await client.send(new GetAliasCommand({ FunctionName: name, Name: 'aliasname1_1' }))), strip(u11));

  // An update with no fields changes only the RevisionId.
  const u12 = await client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'aliasname1_2' }));
  assertKeys(u12, KEYS.alias);
  assert.notEqual(u12.RevisionId, a12.RevisionId);
  assert.deepEqual({ ...strip(u12), RevisionId: undefined }, { ...strip(a12), RevisionId: undefined });

  const forV1 = (await client.send(new ListAliasesCommand({ FunctionName: name, FunctionVersion: '1' }))).Aliases!;
  assert.deepEqual(forV1.map((a) => a.Name), ['aliasname1_1', 'aliasname1_2', 'aliasname1_3']);

  const del = await client.send(new DeleteAliasCommand({ FunctionName: name, Name: 'aliasname1_1' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  const left = (await client.send(new ListAliasesCommand({ FunctionName: name }))).Aliases!;
  assert.deepEqual(left.map((a) => a.Name), ['aliasname1_2', 'aliasname1_3', 'aliasname2']);
});

test('RoutingConfig and alias errors (test_notfound_and_invalid_routingconfigs)', async () => {
  const name = 'alias-routing';
  const created = await createFunction(client, name, { Publish: true, Environment: { Variables: { testenv: 'staging' } } });
  assert.equal(created.Version, '1');
  await waitUpdated(client, name);
  const pv1 = await client.send(new PublishVersionCommand({ FunctionName: name }));
  assert.equal(pv1.Version, '1');
  await updateConfig(name, { Environment: { Variables: { testenv: 'prod' } } });
  assert.equal((await client.send(new PublishVersionCommand({ FunctionName: name }))).Version, '2');

  const create = (FunctionVersion: string, weights?: Record<string, number>, Name = 'custom', fn = name) =>
    client.send(new CreateAliasCommand({ FunctionName: fn, Name, FunctionVersion, RoutingConfig: weights ? { AdditionalVersionWeights: weights } : undefined }));
  const weightsMsg = (shown: string) =>
    `1 validation error detected: Value '${shown}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`;

  await assertAwsError(create('1', { 1: 0.8, 2: 0.2 }), { name: 'InvalidParameterValueException', status: 400, typed: true, message: 'Number of items in AdditionalVersionWeights cannot be greater than 1' });
  await assertAwsError(create('1', { 2: 2 }), { name: 'ValidationException', status: 400, message: weightsMsg('{2=2.0}') });
  await assertAwsError(create('1', { 2: -1 }), { name: 'ValidationException', status: 400, message: weightsMsg('{2=-1.0}') });
  await assertAwsError(create('1', { 1: 0.5 }), {
    name: 'InvalidParameterValueException', status: 400, typed: true, message: 'Invalid function version 1. Function version 1 is already included in routing configuration.',
  });
  await assertAwsError(create('10', { 2: 0.5 }), notFound(name, '10'));
  await assertAwsError(create('1', { 10: 0.5 }), notFound(name, '10'));
  // This one is the only error AWS sends without "Type".
  await assertAwsError(create('$LATEST', { 1: 0.5 }), { name: 'InvalidParameterValueException', status: 400, typed: false, message: '$LATEST is not supported for an alias pointing to more than 1 version' });
  assertWireError(await raw(s.url, 'POST', `/2015-03-31/functions/${name}/aliases`, { Name: 'custom', FunctionVersion: '$LATEST', RoutingConfig: { AdditionalVersionWeights: { 1: 0.5 } } }), 400, 'InvalidParameterValueException', {
    message: '$LATEST is not supported for an alias pointing to more than 1 version',
  });
  await assertAwsError(create('1', { $LATEST: 0.5 }), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
  });
  // A model constraint is checked before the versions are looked up.
  await assertAwsError(create('10', { 2: 2 }), { name: 'ValidationException', status: 400, message: weightsMsg('{2=2.0}') });

  const latest = await create('$LATEST', undefined, 'custom-latest');
  assert.equal(latest.$metadata.httpStatusCode, 201);
  assertKeys(latest, KEYS.alias);
  assert.equal(latest.FunctionVersion, '$LATEST');

  await assertAwsError(create('1', { 2: 0.5 }, 'custom', `${name}-unknown`), notFound(`${name}-unknown`, '1'));

  const empty = await create('1', {}, 'custom-empty-routingconfig');
  assertKeys(empty, KEYS.alias);

  const ok = await create('1', { 2: 0.5 });
  assertKeys(ok, KEYS.alias, 'RoutingConfig');
  assert.deepEqual(ok.RoutingConfig, { AdditionalVersionWeights: { 2: 0.5 } });
  await assertAwsError(create('1', { 2: 0.5 }), { name: 'ResourceConflictException', status: 409, typed: true, message: `Alias already exists: ${arnOf(name, 'custom')}` });
  assertWireError(await raw(s.url, 'POST', `/2015-03-31/functions/${name}/aliases`, { Name: 'custom', FunctionVersion: '1' }), 409, 'ResourceConflictException', {
    Type: 'User', message: `Alias already exists: ${arnOf(name, 'custom')}`,
  });
  await assertAwsError(client.send(new GetAliasCommand({ FunctionName: name, Name: 'non-existent' })), {
    name: 'ResourceNotFoundException', status: 404, typed: true, message: `Cannot find alias arn: ${arnOf(name, 'non-existent')}`,
  });
  assertWireError(await raw(s.url, 'GET', `/2015-03-31/functions/${name}/aliases/non-existent`), 404, 'ResourceNotFoundException', {
    Type: 'User', Message: `Cannot find alias arn: ${arnOf(name, 'non-existent')}`,
  });
  // The failed creates left nothing behind.
  const names = (await client.send(new ListAliasesCommand({ FunctionName: name }))).Aliases!.map((a) => a.Name);
  assert.deepEqual(names, ['custom', 'custom-empty-routingconfig', 'custom-latest']);
});

test('UpdateAlias validates RoutingConfig against the alias\'s (new) version', async () => {
  const name = 'alias-update-routing';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  await updateConfig(name, { Description: 'two' });
  await client.send(new PublishVersionCommand({ FunctionName: name }));
  const a = await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { 2: 0.5 } } }));
  await assertAwsError(client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '2' })), {
    name: 'InvalidParameterValueException', status: 400, typed: true, message: 'Invalid function version 2. Function version 2 is already included in routing configuration.',
  });
  await assertAwsError(client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '7' })), notFound(name, '7'));
  const after = await client.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
  assert.equal(after.RevisionId, a.RevisionId);
  const moved = await client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: { 1: 0.1 } } }));
  assert.equal(moved.FunctionVersion, '2');
  assert.deepEqual(moved.RoutingConfig, { AdditionalVersionWeights: { 1: 0.1 } });
});

test('alias names: a date is fine, all digits is not (test_alias_naming)', async () => {
  const name = 'alias-naming';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  const dated = await client.send(new CreateAliasCommand({ FunctionName: name, Name: '2024-01-02', FunctionVersion: '1', Description: 'custom-alias' }));
  assert.equal(dated.AliasArn, arnOf(name, '2024-01-02'));
  const got = await client.send(new GetAliasCommand({ FunctionName: name, Name: '2024-01-02' }));
  assert.equal(got.RevisionId, dated.RevisionId);
  assert.equal((await client.send(new GetFunctionConfigurationCommand({ FunctionName: `${name}:2024-01-02` }))).FunctionArn, arnOf(name, '2024-01-02'));
  await assertAwsError(client.send(new CreateAliasCommand({ FunctionName: name, Name: '2024', FunctionVersion: '1' })), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
  });
});

test('DeleteAlias of a missing alias is 204; UpdateAlias of one is 404 "Alias not found" (test_non_existent_alias_deletion/update)', async () => {
  const name = 'alias-missing';
  await createFunction(client, name, { Environment: { Variables: { testenv: 'staging' } } });
  const del = await client.send(new DeleteAliasCommand({ FunctionName: name, Name: 'non-existent' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  const wire = await raw(s.url, 'DELETE', `/2015-03-31/functions/${name}/aliases/non-existent`);
  assert.equal(wire.status, 204);
  assert.equal(wire.text, '');
  assert.match(String(wire.headers.get('x-amzn-requestid')), UUID_RE);
  await assertAwsError(client.send(new UpdateAliasCommand({ FunctionName: name, Name: 'non-existent', Description: 'd' })), {
    name: 'ResourceNotFoundException', status: 404, typed: true, message: `Alias not found: ${arnOf(name, 'non-existent')}`,
  });
  await assertAwsError(client.send(new CreateAliasCommand({ FunctionName: 'alias-missing-fn', Name: 'a', FunctionVersion: '$LATEST' })), notFound('alias-missing-fn', '$LATEST'));
  await assertAwsError(client.send(new ListAliasesCommand({ FunctionName: 'alias-missing-fn' })), notFound('alias-missing-fn'));
});

test('deleting a function removes its aliases; a new function of that name starts clean', async () => {
  const name = 'alias-recreate';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  await client.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
  await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  await createFunction(client, name, { Code: { ZipFile: await zipOf({ 'index.js': `${ECHO_JS}// 2\n` }) } });
  assert.deepEqual((await client.send(new ListAliasesCommand({ FunctionName: name }))).Aliases, []);
  assert.deepEqual((await versionsOf(name)).map((v) => v.Version), ['$LATEST']);
  assert.equal((await client.send(new PublishVersionCommand({ FunctionName: name }))).Version, '1');
});
