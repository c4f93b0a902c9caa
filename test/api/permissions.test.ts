// AddPermission / GetPolicy / RemovePermission through boto3, compared with AWS's recorded answers (test/api/oracle/permissions.json,
// from reference/aws-oracle/api-permissions.snapshot.json): statements, policies, RevisionIds and every error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { boto3Calls as boto3CallsOn } from '../helpers/boto3-calls.js';
import { createFunction, raw } from '../helpers/api.js';
import { numberUuids, oracleFile } from '../helpers/oracle.js';

const entries = oracleFile('permissions.json');
const BUCKET_ARN = 'arn:aws:s3:::test-bucket';
let s: TestServer;

before(async () => {
  s = await startAlonzo();
});
after(() => s.close());

/** The oracle's entries for one test, placeholders filled in with this test's names and Alonzo's account. */
const oracle = (testName: string, names: Record<string, string>): unknown => numberUuids(entries(testName, names));

/** boto3 calls recorded by key, Statement and Policy parsed as the oracle shows them, RevisionIds numbered. */
const boto3Calls = async (body: string) => numberUuids(await boto3CallsOn(s.url, body, { jsonMembers: ['Statement', 'Policy'] }));

test('AddPermission answers the statement and GetPolicy the whole policy, as AWS does (test_add_lambda_permission_aws)', async () => {
  const fn = 'perm-aws';
  await createFunction(s.client, fn);
  const got = await boto3Calls(`
call('add_permission', 'add_permission', FunctionName='${fn}', Action='lambda:InvokeFunction', StatementId='s3', Principal='s3.amazonaws.com', SourceArn='${BUCKET_ARN}')
call('get_policy', 'get_policy', FunctionName='${fn}')
`);
  assert.deepEqual(got, oracle('test_add_lambda_permission_aws', { 'function-name:1': fn, 'resource:3': 'test-bucket' }));
});

test('several statements, then removing them one by one; a stale RevisionId changes nothing (test_remove_multi_permissions)', async () => {
  const fn = 'perm-multi';
  await createFunction(s.client, fn);
  const got = (await boto3Calls(`
call('add_permission_1', 'add_permission', FunctionName='${fn}', Action='lambda:InvokeFunction', StatementId='s3', Principal='s3.amazonaws.com')
call('add_permission_2', 'add_permission', FunctionName='${fn}', Action='lambda:InvokeFunction', StatementId='sqs', Principal='sqs.amazonaws.com', SourceArn='${BUCKET_ARN}')
call('policy_after_2_add', 'get_policy', FunctionName='${fn}')
call('remove_permission_exception_nonexisting_sid', 'remove_permission', FunctionName='${fn}', StatementId='non-existent')
call('remove_sqs', 'remove_permission', FunctionName='${fn}', StatementId='sqs')
call('policy_after_removal', 'get_policy', FunctionName='${fn}')
call('remove_stale', 'remove_permission', FunctionName='${fn}', StatementId='s3', RevisionId='00000000-0000-0000-0000-000000000000')
call('policy_after_removal_attempt', 'get_policy', FunctionName='${fn}')
call('remove_s3', 'remove_permission', FunctionName='${fn}', StatementId='s3', RevisionId=out['policy_after_removal_attempt']['RevisionId'])
call('get_policy_exception_removed_all', 'get_policy', FunctionName='${fn}')
`)) as Record<string, any>;
  const { remove_sqs, remove_stale, remove_s3, ...recorded } = got;
  assert.deepEqual(recorded, oracle('test_remove_multi_permissions', { 'resource:1': fn, 'resource:2': 'test-bucket' }));
  assert.equal(remove_sqs.ResponseMetadata.HTTPStatusCode, 204);
  assert.equal(remove_s3.ResponseMetadata.HTTPStatusCode, 204);
  assert.equal(remove_stale.Error.Code, 'PreconditionFailedException');
  assert.equal(remove_stale.ResponseMetadata.HTTPStatusCode, 412);
});

test('two services in one policy (test_create_multiple_lambda_permissions)', async () => {
  const fn = 'perm-two';
  await createFunction(s.client, fn);
  const got = await boto3Calls(`
call('add_permission_response_1', 'add_permission', FunctionName='${fn}', Action='lambda:InvokeFunction', StatementId='logs', Principal='logs.amazonaws.com')
call('add_permission_response_2', 'add_permission', FunctionName='${fn}', Action='lambda:InvokeFunction', StatementId='kinesis', Principal='kinesis.amazonaws.com')
call('policy_after_2_add', 'get_policy', FunctionName='${fn}')
`);
  assert.deepEqual(got, oracle('test_create_multiple_lambda_permissions', { 'resource:1': fn }));
});

test('every error of the three operations, with AWS\'s code, status and message (test_permission_exceptions)', async () => {
  const fn = 'perm-errors';
  await createFunction(s.client, fn);
  const got = (await boto3Calls(`
base = dict(Action='lambda:InvokeFunction', StatementId='s3', Principal='s3.amazonaws.com', SourceArn='${BUCKET_ARN}')
call('add_permission_invalid_statement_id', 'add_permission', **{**base, 'FunctionName': '${fn}', 'StatementId': 'example.com'})
call('add_permission_fn_qualifier_mismatch', 'add_permission', **{**base, 'FunctionName': '${fn}:alias-doesnotexist', 'Qualifier': 'alias-doesnotexist2'})
call('add_permission_fn_qualifier_latest', 'add_permission', **{**base, 'FunctionName': '${fn}:$LATEST', 'Qualifier': '$LATEST'})
call('add_permission_principal_invalid', 'add_permission', **{**base, 'FunctionName': '${fn}', 'Principal': 'invalid principal 123'})
call('get_policy_fn_doesnotexist', 'get_policy', FunctionName='doesnotexist')
call('get_policy_fn_version_doesnotexist', 'get_policy', FunctionName='${fn}', Qualifier='88')
call('add_permission_fn_doesnotexist', 'add_permission', **{**base, 'FunctionName': 'doesnotexist'})
call('remove_permission_policy_doesnotexist', 'remove_permission', FunctionName='${fn}', StatementId='s3')
call('add_permission_fn_alias_doesnotexist', 'add_permission', **{**base, 'FunctionName': '${fn}', 'Qualifier': 'alias-doesnotexist'})
call('add_permission_fn_version_doesnotexist', 'add_permission', **{**base, 'FunctionName': '${fn}', 'Qualifier': '42'})
call('add_permission_fn_qualifier_invalid', 'add_permission', **{**base, 'FunctionName': '${fn}', 'Qualifier': 'invalid-qualifier-with-?-char'})
call('add_permission_fn_qualifier_valid_doesnotexist', 'add_permission', **{**base, 'FunctionName': '${fn}', 'Qualifier': 'valid-with-$-but-doesnotexist'})
call('first', 'add_permission', **{**base, 'FunctionName': '${fn}'})
call('add_permission_conflicting_statement_id', 'add_permission', **{**base, 'FunctionName': '${fn}'})
call('remove_permission_fn_doesnotexist', 'remove_permission', FunctionName='doesnotexist', StatementId='s3')
call('remove_permission_fn_alias_doesnotexist', 'remove_permission', FunctionName='${fn}', StatementId='s3', Qualifier='alias-doesnotexist')
`)) as Record<string, any>;
  const { first, ...recorded } = got;
  assert.equal(first.ResponseMetadata.HTTPStatusCode, 201);
  assert.deepEqual(recorded, oracle('test_permission_exceptions', { 'function-name': fn }));
});

test('the Principal forms and the optional fields become AWS\'s Principal and Condition (test_add_lambda_permission_fields)', async () => {
  const fn = 'perm-fields';
  await createFunction(s.client, fn);
  const user = 'arn:aws:iam::000000000000:user/someone';
  const got = await boto3Calls(`
f = dict(FunctionName='${fn}', Action='lambda:InvokeFunction')
call('add_permission_principal_wildcard', 'add_permission', **f, StatementId='wilcard', Principal='*', SourceAccount='000000000000')
call('add_permission_principal_service', 'add_permission', **f, StatementId='lambda', Principal='lambda.amazonaws.com', SourceAccount='000000000000')
call('add_permission_principal_account', 'add_permission', **f, StatementId='account-id', Principal='000000000000')
call('add_permission_principal_arn', 'add_permission', **f, StatementId='user-arn', Principal='${user}', SourceAccount='000000000000')
call('add_permission_optional_fields', 'add_permission', FunctionName='${fn}', StatementId='urlPermission', Action='lambda:InvokeFunctionUrl', Principal='*', SourceArn='${BUCKET_ARN}', SourceAccount='000000000000', PrincipalOrgID='o-1234567890', FunctionUrlAuthType='NONE')
call('add_permission_alexa_skill', 'add_permission', **f, StatementId='alexaSkill', Principal='*', EventSourceToken='amzn1.ask.skill.xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx')
`);
  // AWS expands a bare account id to its root user; the snapshot hides that suffix as <resource:2>.
  assert.deepEqual(got, oracle('test_add_lambda_permission_fields', { 'resource:1': fn, 'resource:2': 'root', 'resource:3': 'test-bucket', user_arn: user }));
});

test('policies are per qualifier: versions and aliases have their own; a stale RevisionId is refused (test_lambda_permission_fn_versioning)', async () => {
  const fn = 'perm-versions';
  await createFunction(s.client, fn);
  const got = (await boto3Calls(`
p = dict(Action='lambda:InvokeFunction', Principal='s3.amazonaws.com', SourceArn='${BUCKET_ARN}')
call('add_permission', 'add_permission', FunctionName='${fn}', StatementId='s3', **p)
call('get_policy', 'get_policy', FunctionName='${fn}')
client.publish_version(FunctionName='${fn}')
call('get_policy_after_publishing_latest', 'get_policy', FunctionName='${fn}')
call('get_policy_after_publishing_new_version', 'get_policy', FunctionName='${fn}', Qualifier='1')
call('add_version', 'add_permission', FunctionName='${fn}:1', Qualifier='1', StatementId='s3', **p)
call('get_policy_version', 'get_policy', FunctionName='${fn}', Qualifier='1')
client.create_alias(FunctionName='${fn}', Name='permission-alias', FunctionVersion='1')
call('add_permission_alias_revision_exception', 'add_permission', FunctionName='${fn}', Qualifier='permission-alias', StatementId='s3', RevisionId='wrong', **p)
call('add_alias', 'add_permission', FunctionName='${fn}', Qualifier='permission-alias', StatementId='s3', **p)
call('get_policy_alias', 'get_policy', FunctionName='${fn}', Qualifier='permission-alias')
call('get_policy_after_adding_to_new_version', 'get_policy', FunctionName='${fn}')
call('add_2', 'add_permission', FunctionName='${fn}', StatementId='s3_2', RevisionId=out['get_policy_after_adding_to_new_version']['RevisionId'], **p)
call('get_policy_after_adding_2', 'get_policy', FunctionName='${fn}')
client.delete_alias(FunctionName='${fn}', Name='permission-alias')
call('alias_policy_after_delete', 'get_policy', FunctionName='${fn}', Qualifier='permission-alias')
`)) as Record<string, any>;
  const { add_version, add_alias, add_2, alias_policy_after_delete, ...recorded } = got;
  for (const r of [add_version, add_alias, add_2]) assert.equal(r.ResponseMetadata.HTTPStatusCode, 201, JSON.stringify(r));
  // The alias's policy went with the alias.
  assert.equal(alias_policy_after_delete.Error.Code, 'ResourceNotFoundException');
  const want = oracle('test_lambda_permission_fn_versioning', { 'function-name:1': fn, 'resource:1': 'test-bucket' }) as Record<string, unknown>;
  // The snapshot's RevisionIds are numbered together with responses this comparison leaves out; compare them apart.
  const strip = (o: Record<string, any>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v && typeof v === 'object' ? { ...v, RevisionId: v.RevisionId ? 'rev' : undefined } : v]));
  assert.deepEqual(strip(numberUuids(recorded) as Record<string, any>), strip(want));
  assert.equal(recorded.get_policy.RevisionId, recorded.get_policy_after_publishing_latest.RevisionId);
  assert.equal(recorded.get_policy.RevisionId, recorded.get_policy_after_adding_to_new_version.RevisionId);
  assert.notEqual(recorded.get_policy.RevisionId, recorded.get_policy_after_adding_2.RevisionId);
});

test('a deleted function takes its policy with it; the wire form of AddPermission is 201 with Statement as a JSON string', async () => {
  const fn = 'perm-gone';
  await createFunction(s.client, fn);
  const r = await raw(s.url, 'POST', `/2015-03-31/functions/${fn}/policy`, { StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: '111122223333' });
  assert.equal(r.status, 201);
  assert.equal(typeof r.json?.Statement, 'string');
  assert.equal((await raw(s.url, 'DELETE', `/2015-03-31/functions/${fn}`)).status, 204);
  await createFunction(s.client, fn);
  const after = await raw(s.url, 'GET', `/2015-03-31/functions/${fn}/policy`);
  assert.equal(after.status, 404);
  assert.deepEqual(after.json, { Type: 'User', Message: 'The resource you requested does not exist.' });
});
