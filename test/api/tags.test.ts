// TagResource / UntagResource / ListTags through boto3, compared with AWS's recorded answers (test/api/oracle/tags.json,
// from reference/aws-oracle/api-tags.snapshot.json); then the wire form, the other clients, a restart and a key's policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { AddPermissionCommand, GetFunctionCommand, ListTagsCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, lambdaClient, runAws, zipOf, AWS_CLI, type TestServer, type CliResult } from '../helpers/alonzo.js';
import { boto3Calls as boto3CallsOn } from '../helpers/boto3-calls.js';
import { createFunction, arnOf, assertAwsError, assertWireError, raw, ECHO_JS } from '../helpers/api.js';
import { numberUuids, oracleFile } from '../helpers/oracle.js';
import { createKey } from '../auth/helpers.js';

const entries = oracleFile('tags.json');
let s: TestServer;

before(async () => {
  s = await startAlonzo();
});
after(() => s.close());

/**
 * GetFunction answers cut to what tagging changes: the top-level Tags (present only when there are some) and
 * $LATEST's RevisionId (each change moves it). The rest of GetFunction is functions.test.ts's business.
 */
const GET_FN = `
def get_fn(key, **kw):
    try:
        r = client.get_function(**kw)
        cut = {k: v for k, v in r.items() if k in ('Tags', 'ResponseMetadata')}
        cut['Configuration'] = {'RevisionId': r['Configuration']['RevisionId']}
        out[key] = norm(cut)
    except client.exceptions.ClientError as e:
        out[key] = norm(e.response)
`;

/** The same cut applied to the oracle's GetFunction entries. */
function cutGetFunction(recorded: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(recorded).map(([k, v]) => [
      k,
      v && typeof v === 'object' && 'Configuration' in v
        ? { ...(v.Tags ? { Tags: v.Tags } : {}), ResponseMetadata: v.ResponseMetadata, Configuration: { RevisionId: v.Configuration.RevisionId } }
        : v,
    ]),
  );
}

/** AWS's answers for one test, GetFunction cut down, RevisionIds numbered. */
const oracle = (testName: string, names: Record<string, string> = {}) => numberUuids(cutGetFunction(entries(testName, names)));

/** boto3's answers, RevisionIds numbered. */
const boto3Calls = async (body: string) => numberUuids(await boto3CallsOn(s.url, `${GET_FN}\n${body}`)) as Record<string, any>;

test('tags given to CreateFunction show in GetFunction and ListTags (TestLambdaTag::test_create_tag_on_fn_create)', async () => {
  const fn = 'tags-on-create';
  await createFunction(s.client, fn, { Tags: { testtag: 'tag-value' } });
  const got = await boto3Calls(`
get_fn('get_function_result', FunctionName='${fn}')
call('list_tags_result', 'list_tags', Resource='${arnOf(fn)}')
`);
  assert.deepEqual(got, oracle('TestLambdaTag::test_create_tag_on_fn_create', { 'function-name:1': fn, 'custom-tag': 'tag-value' }));
});

test('tag, overwrite, untag one, several, an absent key and a mix (TestLambdaTag::test_tag_lifecycle[lambda_function])', async () => {
  const fn = 'tags-lifecycle-1';
  await createFunction(s.client, fn);
  const arn = arnOf(fn);
  const got = await boto3Calls(`
arn = '${arn}'
def step(key, method, **kw):
    call(key, method, Resource=arn, **kw)
    call(key + '_listtags', 'list_tags', Resource=arn)
step('tag_single_response', 'tag_resource', Tags={'A': 'tag-a'})
step('tag_multiple_response', 'tag_resource', Tags={'B': 'tag-b', 'C': 'tag-c'})
step('tag_overlap_response', 'tag_resource', Tags={'C': 'tag-c-newsuffix', 'D': 'tag-d'})
step('untag_single_response', 'untag_resource', TagKeys=['A'])
step('untag_multiple_response', 'untag_resource', TagKeys=['B', 'C'])
step('untag_nonexisting_response', 'untag_resource', TagKeys=['F'])
step('untag_existing_and_nonexisting_response', 'untag_resource', TagKeys=['D', 'F'])
`);
  assert.deepEqual(got, oracle('TestLambdaTag::test_tag_lifecycle[lambda_function]'));
});

test("a deleted function's ARN: 404 naming the unqualified ARN for all three operations (TestLambdaTag::test_tag_nonexisting_resource)", async () => {
  const fn = 'tags-deleted';
  await createFunction(s.client, fn);
  const got = await boto3Calls(`
arn = '${arnOf(fn)}'
get_fn('pre_delete_get_function', FunctionName='${fn}')
client.delete_function(FunctionName='${fn}')
call('not_found_exception_tag', 'tag_resource', Resource=arn, Tags={'A': 'a'})
call('not_found_exception_untag', 'untag_resource', Resource=arn, TagKeys=['A'])
call('not_found_exception_list', 'list_tags', Resource=arn)
`);
  assert.deepEqual(got, oracle('TestLambdaTag::test_tag_nonexisting_resource', { 'function-name:1': fn }));
});

for (const [kind, type, name] of [
  ['lambda_function', 'function', 'tags-never-created'],
  // A mapping that does not exist, and capacity providers (Alonzo has none): the 404 AWS gives for one that does not exist.
  ['event_source_mapping', 'event-source-mapping', randomUUID()],
  ['capacity_provider', 'capacity-provider', 'no-such-provider'],
] as const) {
  test(`ARNs of a ${type} that does not exist, qualified and of an unknown type (TestLambdaTag::test_tag_exceptions[${kind}])`, async () => {
    const arn = `arn:aws:lambda:us-east-1:000000000000:${type}:${name}`;
    const got = await boto3Calls(`
arn = '${arn}'
call('not_found_exception_tag', 'tag_resource', Resource=arn, Tags={'A': 'a'})
call('not_found_exception_untag', 'untag_resource', Resource=arn, TagKeys=['A'])
call('not_found_exception_list', 'list_tags', Resource=arn)
call('aliased_arn_exception', 'tag_resource', Resource=arn + ':alias', Tags={'A': 'a'})
call('invalid_arn_exception', 'tag_resource', Resource=arn.replace(':${type}:', ':foobar:'), Tags={'A': 'a'})
`);
    assert.deepEqual(got, oracle(`TestLambdaTag::test_tag_exceptions[${kind}]`, { 'resource-name': name }));
  });
}

test('malformed, missing and qualified ARNs, no tags, no keys, never tagged (TestLambdaTags::test_tag_exceptions)', async () => {
  const fn = 'tags-exceptions';
  await createFunction(s.client, fn);
  const arn = arnOf(fn);
  const got = await boto3Calls(`
arn = '${arn}'
call('tag_lambda_invalidarn', 'tag_resource', Resource='arn:aws:something', Tags={'key_a': 'value_a'})
call('tag_lambda_doesnotexist', 'tag_resource', Resource='${arnOf('doesnotexist')}', Tags={'key_a': 'value_a'})
call('tag_lambda_qualifier_doesnotexist', 'tag_resource', Resource=arn + ':v1', Tags={'key_a': 'value_a'})
call('list_tag_lambda_empty', 'list_tags', Resource=arn)
call('untag_nomatch', 'untag_resource', Resource=arn, TagKeys=['somekey'])
call('untag_empty_keys', 'untag_resource', Resource=arn, TagKeys=[])
call('tag_empty_tags', 'tag_resource', Resource=arn, Tags={})
client.tag_resource(Resource=arn, Tags={'a_key': 'a', 'b_key': 'b'})
client.untag_resource(Resource=arn, TagKeys=['a_key', 'c_key'])
out['after'] = client.list_tags(Resource=arn)['Tags']
`);
  const { after: left, ...recorded } = got;
  assert.deepEqual(recorded, oracle('TestLambdaTags::test_tag_exceptions'));
  assert.deepEqual(left, { b_key: 'b' });
});

test('50 tags at most, counting those already there; CreateFunction is held to it too (TestLambdaTags::test_tag_limits)', async () => {
  const fn = 'tags-limits';
  await createFunction(s.client, fn);
  const zip = (await zipOf({ 'index.js': ECHO_JS })).toString('base64');
  const got = await boto3Calls(`
arn = '${arnOf(fn)}'
many = {f'{i}_key': f'{i}_value' for i in range(51)}
call('tag_lambda_too_many_tags', 'tag_resource', Resource=arn, Tags=many)
call('tag_response', 'tag_resource', Resource=arn, Tags={k: v for k, v in many.items() if k != '50_key'})
call('list_tags_response', 'list_tags', Resource=arn)
get_fn('get_fn_response', FunctionName='${fn}')
call('tag_lambda_too_many_tags_additional', 'tag_resource', Resource=arn, Tags={'a_key': 'a_value'})
call('create_function_invalid_tags', 'create_function', FunctionName='${fn}-2', Runtime='nodejs20.x', Handler='index.handler',
     Role='arn:aws:iam::000000000000:role/lambda-role', Code={'ZipFile': base64.b64decode('${zip}')}, Tags=many)
`);
  assert.deepEqual(got, oracle('TestLambdaTags::test_tag_limits', { 'function-name:1': fn }));
  await assertAwsError(s.client.send(new GetFunctionCommand({ FunctionName: `${fn}-2` })), { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf(`${fn}-2`)}` });
});

test('a tag value over 256 characters, a key over 128, or characters outside the pattern: AWS\'s ValidationException at \'tags\', and nothing changes', async () => {
  const fn = 'tags-lengths';
  await createFunction(s.client, fn);
  const arn = arnOf(fn);
  const longValue = 'v'.repeat(257);
  const valueMessage = `1 validation error detected: Value '{ok=1, big=${longValue}}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$]`;
  await assertAwsError(s.client.send(new TagResourceCommand({ Resource: arn, Tags: { ok: '1', big: longValue } })), { name: 'ValidationException', status: 400, message: valueMessage });
  await assertAwsError(s.client.send(new TagResourceCommand({ Resource: arn, Tags: { ok: 'a,b' } })), { name: 'ValidationException', status: 400, message: valueMessage.replace(`{ok=1, big=${longValue}}`, '{ok=a,b}') });
  const longKey = 'k'.repeat(129);
  await assertAwsError(s.client.send(new TagResourceCommand({ Resource: arn, Tags: { [longKey]: 'x' } })), {
    name: 'ValidationException',
    status: 400,
    message: `1 validation error detected: Value '{${longKey}=x}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$]`,
  });
  // The limits themselves are fine: a 128-character key with a 256-character value, in letters of any script.
  await s.client.send(new TagResourceCommand({ Resource: arn, Tags: { ['k'.repeat(128)]: 'v'.repeat(256), 'clé é': 'Ünïcödé 値' } }));
  assert.deepEqual(Object.keys((await s.client.send(new ListTagsCommand({ Resource: arn }))).Tags ?? {}).sort(), ['clé é', 'k'.repeat(128)].sort());
  // CreateFunction is held to the same, and creates nothing.
  const got = await boto3Calls(`
call('create_function_long_tag', 'create_function', FunctionName='${fn}-2', Runtime='nodejs20.x', Handler='index.handler',
     Role='arn:aws:iam::000000000000:role/lambda-role', Code={'ZipFile': b'PK'}, Tags={'big': 'v' * 257})
`);
  assert.equal(got.create_function_long_tag.Error.Code, 'ValidationException');
  assert.match(got.create_function_long_tag.Error.Message, /at 'tags' failed to satisfy constraint: Map value must satisfy constraint/);
  await assertAwsError(s.client.send(new GetFunctionCommand({ FunctionName: `${fn}-2` })), { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf(`${fn}-2`)}` });
});

test('tags from create to delete; GetFunction drops Tags once none are left; each change moves the RevisionId (TestLambdaTags::test_tag_lifecycle)', async () => {
  const fn = 'tags-lifecycle-2';
  await createFunction(s.client, fn, { Tags: { key_a: 'value_a' } });
  const arn = arnOf(fn);
  const got = await boto3Calls(`
arn = '${arn}'
call('list_tags_response_postfncreate', 'list_tags', Resource=arn)
get_fn('get_fn_response_postfncreate', FunctionName=arn)
call('tag_resource_response', 'tag_resource', Resource=arn, Tags={'key_b': 'value_b', 'key_c': 'value_c', 'key_d': 'value_d', 'key_e': 'value_e'})
call('list_tags_response_postaddtags', 'list_tags', Resource=arn)
get_fn('get_fn_response_postaddtags', FunctionName=arn)
call('tag_resource_overwrite', 'tag_resource', Resource=arn, Tags={'key_b': 'value_b', 'key_c': 'value_x'})
call('list_tags_response_overwrite', 'list_tags', Resource=arn)
get_fn('get_fn_response_overwrite', FunctionName=arn)
call('untag', 'untag_resource', Resource=arn, TagKeys=['key_c', 'key_d'])
call('list_tags_response_postuntag', 'list_tags', Resource=arn)
get_fn('get_fn_response_postuntag', FunctionName=arn)
call('untag_all', 'untag_resource', Resource=arn, TagKeys=['key_a', 'key_b', 'key_e'])
call('list_tags_response_postuntagall', 'list_tags', Resource=arn)
get_fn('get_fn_response_postuntagall', FunctionName=arn)
client.delete_function(FunctionName=arn)
call('list_tags_postdelete', 'list_tags', Resource=arn)
`);
  const { untag, untag_all, ...recorded } = got;
  assert.equal(untag.ResponseMetadata.HTTPStatusCode, 204);
  assert.equal(untag_all.ResponseMetadata.HTTPStatusCode, 204);
  assert.deepEqual(recorded, oracle('TestLambdaTags::test_tag_lifecycle', { 'function-name:1': fn }));
});

test('versions and $LATEST cannot be tagged (TestLambdaTags::test_tag_versions)', async () => {
  const fn = 'tags-versions';
  await createFunction(s.client, fn, { Tags: { key_a: 'value_a' } });
  const got = await boto3Calls(`
client.publish_version(FunctionName='${fn}')
call('tag_resource_exception', 'tag_resource', Resource='${arnOf(fn, '1')}', Tags={'key_a': 'value_b'})
call('tag_resource_latest_exception', 'tag_resource', Resource='${arnOf(fn, '$LATEST')}', Tags={'key_a': 'value_b'})
`);
  assert.deepEqual(got, oracle('TestLambdaTags::test_tag_versions'));
});

test('the wire: 204 with no body, ListTags as JSON, errors with x-amzn-ErrorType and their casing', async () => {
  const fn = 'tags-wire';
  await createFunction(s.client, fn);
  const path = (arn: string) => `/2017-03-31/tags/${encodeURIComponent(arn)}`;
  const tagged = await raw(s.url, 'POST', path(arnOf(fn)), { Tags: { team: 'core' } });
  assert.equal(tagged.status, 204);
  assert.equal(tagged.text, '');
  const listed = await raw(s.url, 'GET', path(arnOf(fn)));
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json, { Tags: { team: 'core' } });
  // Repeated tagKeys, as the CLIs and SDKs send a list.
  assert.equal((await raw(s.url, 'POST', path(arnOf(fn)), { Tags: { a: '1', b: '2' } })).status, 204);
  assert.equal((await raw(s.url, 'DELETE', `${path(arnOf(fn))}?tagKeys=a&tagKeys=team`)).status, 204);
  assert.deepEqual((await raw(s.url, 'GET', path(arnOf(fn)))).json, { Tags: { b: '2' } });
  const message = 'Tags on function aliases and versions are not supported. Please specify a function ARN.';
  assertWireError(await raw(s.url, 'POST', path(arnOf(fn, 'prod')), { Tags: { a: '1' } }), 400, 'InvalidParameterValueException', { Type: 'User', message });
  assertWireError(await raw(s.url, 'GET', path(arnOf('nope'))), 404, 'ResourceNotFoundException', { Type: 'User', Message: `Function not found: ${arnOf('nope')}` });
  assertWireError(await raw(s.url, 'DELETE', path(arnOf(fn))), 400, 'ValidationException', {
    message: "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
  });
  // Both members wrong: one ValidationException listing both, in the model's order.
  const both = await raw(s.url, 'POST', path('arn:aws:nothing'), {});
  assert.equal(both.status, 400);
  assert.match(String(both.json?.message), /^2 validation errors detected: Value 'arn:aws:nothing' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: .*; Value null at 'tags' failed to satisfy constraint: Member must not be null$/);
  // A tag value that is not a string fails as AWS's parser does.
  const notString = await raw(s.url, 'POST', path(arnOf(fn)), { Tags: { a: 1 } });
  assert.equal(notString.status, 400);
  assert.equal(notString.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
});

function cliJson(r: CliResult, what: string): Record<string, any> {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

for (const cli of ['v1', 'v2'] as const) {
  test(`AWS CLI ${cli} (${AWS_CLI[cli]}): tag-resource, list-tags, untag-resource, and a refused version ARN`, async () => {
    const fn = `tags-cli-${cli}`;
    await createFunction(s.client, fn);
    const arn = arnOf(fn);
    const aws = (...args: string[]) => runAws(cli, s.url, ['lambda', ...args]);
    cliJson(await aws('tag-resource', '--resource', arn, '--tags', 'team=core,env=dev'), 'tag-resource');
    assert.deepEqual(cliJson(await aws('list-tags', '--resource', arn), 'list-tags'), { Tags: { team: 'core', env: 'dev' } });
    cliJson(await aws('untag-resource', '--resource', arn, '--tag-keys', 'env'), 'untag-resource');
    assert.deepEqual(cliJson(await aws('list-tags', '--resource', arn), 'list-tags'), { Tags: { team: 'core' } });
    assert.deepEqual(cliJson(await aws('get-function', '--function-name', fn), 'get-function').Tags, { team: 'core' });
    const refused = await aws('tag-resource', '--resource', `${arn}:$LATEST`, '--tags', 'a=b');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /An error occurred \(InvalidParameterValueException\) when calling the TagResource operation: Tags on function aliases and versions are not supported\. Please specify a function ARN\./);
  });
}

test('SDK v3: TagResourceCommand, ListTagsCommand, UntagResourceCommand, and the 404 of a missing function', async () => {
  const fn = 'tags-sdk';
  await createFunction(s.client, fn);
  const arn = arnOf(fn);
  assert.equal((await s.client.send(new TagResourceCommand({ Resource: arn, Tags: { team: 'core', env: 'dev' } }))).$metadata.httpStatusCode, 204);
  assert.deepEqual((await s.client.send(new ListTagsCommand({ Resource: arn }))).Tags, { team: 'core', env: 'dev' });
  assert.equal((await s.client.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['team', 'env'] }))).$metadata.httpStatusCode, 204);
  assert.deepEqual((await s.client.send(new ListTagsCommand({ Resource: arn }))).Tags, {});
  assert.equal((await s.client.send(new GetFunctionCommand({ FunctionName: fn }))).Tags, undefined);
  await assertAwsError(s.client.send(new TagResourceCommand({ Resource: arnOf('missing'), Tags: { a: 'b' } })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${arnOf('missing')}`,
    typed: true,
  });
});

test('tags survive a restart of the server', async () => {
  const first = await startAlonzo({}, { keepData: true });
  const dataDir = first.dataDir;
  try {
    await createFunction(first.client, 'tags-kept', { Tags: { at: 'create' } });
    await first.client.send(new TagResourceCommand({ Resource: arnOf('tags-kept'), Tags: { later: 'tag' } }));
    await first.close();
    const second = await startAlonzo({ dataDir });
    try {
      assert.deepEqual((await second.client.send(new ListTagsCommand({ Resource: arnOf('tags-kept') }))).Tags, { at: 'create', later: 'tag' });
      assert.deepEqual((await second.client.send(new GetFunctionCommand({ FunctionName: 'tags-kept' }))).Tags, { at: 'create', later: 'tag' });
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("another account tags a function by ARN only as the function's resource-based policy allows", async () => {
  const fn = 'tags-shared';
  await createFunction(s.client, fn, { Tags: { owner: 'a' } });
  const arn = arnOf(fn);
  // A key of Alonzo's own in account 222222222222: verified in both auth modes (the suite also runs in sigv4 mode).
  const key = await createKey(s.dataDir, '--account-id', '222222222222', '--name', 'bob');
  const other = lambdaClient(s.url, { credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
  try {
    const denied = (action: string) => ({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: arn:aws:iam::222222222222:user/bob is not authorized to perform: ${action} on resource: ${arn} because no resource-based policy allows the ${action} action`,
    });
    await assertAwsError(other.send(new TagResourceCommand({ Resource: arn, Tags: { owner: 'b' } })), denied('lambda:TagResource'));
    await assertAwsError(other.send(new ListTagsCommand({ Resource: arn })), denied('lambda:ListTags'));
    await s.client.send(new AddPermissionCommand({ FunctionName: fn, StatementId: 'b-tags', Action: 'lambda:TagResource', Principal: '222222222222' }));
    assert.equal((await other.send(new TagResourceCommand({ Resource: arn, Tags: { shared: 'by-b' } }))).$metadata.httpStatusCode, 204);
    assert.deepEqual((await s.client.send(new ListTagsCommand({ Resource: arn }))).Tags, { owner: 'a', shared: 'by-b' });
    await assertAwsError(other.send(new ListTagsCommand({ Resource: arn })), denied('lambda:ListTags'));
  } finally {
    other.destroy();
  }
});

test("a key whose policy does not allow lambda:TagResource gets AWS's AccessDenied, on the function's ARN; ListTags it may", async () => {
  const strict = await startAlonzo({ auth: 'sigv4', rootAccessKeyId: 'ROOTKEYFORTAGS', rootSecretAccessKey: 'root-secret' });
  const admin = lambdaClient(strict.url, { credentials: { accessKeyId: 'ROOTKEYFORTAGS', secretAccessKey: 'root-secret' } });
  const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['lambda:ListTags', 'lambda:GetFunction'], Resource: '*' }] });
  const key = await createKey(strict.dataDir, '--name', 'reader', '--policy', policy);
  const reader = lambdaClient(strict.url, { credentials: key });
  try {
    await createFunction(admin, 'guarded', { Tags: { owner: 'admin' } });
    const arn = arnOf('guarded');
    const denied = (action: string) => ({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: arn:aws:iam::000000000000:user/reader is not authorized to perform: ${action} on resource: ${arn} because no identity-based policy allows the ${action} action`,
    });
    await assertAwsError(reader.send(new TagResourceCommand({ Resource: arn, Tags: { owner: 'me' } })), denied('lambda:TagResource'));
    await assertAwsError(reader.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['owner'] })), denied('lambda:UntagResource'));
    assert.deepEqual((await reader.send(new ListTagsCommand({ Resource: arn }))).Tags, { owner: 'admin' }, 'nothing changed');
  } finally {
    reader.destroy();
    admin.destroy();
    await strict.close();
  }
});
