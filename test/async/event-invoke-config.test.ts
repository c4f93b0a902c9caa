// The EventInvokeConfig API against AWS's recordings: boto3 replays the oracle's TestLambdaEventInvokeConfig sequences
// (lifecycle and the 50 exception cases) and every answer must equal what AWS returned; SDK v3 and the AWS CLI v2
// read LastModified (an epoch number on the wire) as a date.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  GetFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { startAlonzo, runAws, type TestServer } from '../helpers/alonzo.js';
import { deploy } from '../helpers/invoke.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { signedFetch } from '../helpers/sign.js';
import { boto3Calls as boto3CallsOn } from '../helpers/boto3-calls.js';

const ORACLE = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'async', 'oracle', 'event-invoke-config.json'), 'utf8'));
let s: TestServer;

before(async () => {
  s = await startAlonzo();
});
after(() => s.close());

/** The oracle's entries for one test, with its placeholders filled in. */
function oracle(testName: string, names: Record<string, string>): Record<string, unknown> {
  let text = JSON.stringify(ORACLE[testName]);
  for (const [k, v] of Object.entries(names)) text = text.split(`<${k}>`).join(v);
  return JSON.parse(text);
}

const boto3Calls = (body: string) => boto3CallsOn(s.url, body);

function compare(got: Record<string, unknown>, want: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), 'the same cases were run');
  for (const key of Object.keys(want)) assert.deepEqual(got[key], want[key], `case ${key}`);
}

test('EventInvokeConfig lifecycle matches AWS: PUT replaces, POST merges, per-version configs, list, delete (boto3)', async () => {
  const fn = 'eic-life';
  await deploy(s, fn, { fixture: 'async-recorder' });
  const got = await boto3Calls(`
fn = ${JSON.stringify(fn)}
call('put_invokeconfig_retries_0', 'put_function_event_invoke_config', FunctionName=fn, MaximumRetryAttempts=0)
call('put_invokeconfig_eventage_60', 'put_function_event_invoke_config', FunctionName=fn, MaximumEventAgeInSeconds=60)
call('update_invokeconfig_eventage_nochange', 'update_function_event_invoke_config', FunctionName=fn, MaximumEventAgeInSeconds=60)
call('update_invokeconfig_retries', 'update_function_event_invoke_config', FunctionName=fn, MaximumRetryAttempts=1)
call('get_invokeconfig', 'get_function_event_invoke_config', FunctionName=fn)
call('get_invokeconfig_latest', 'get_function_event_invoke_config', FunctionName=fn, Qualifier='$LATEST')
call('list_single_invokeconfig', 'list_function_event_invoke_configs', FunctionName=fn)
client.publish_version(FunctionName=fn)
call('get_invokeconfig_postpublish', 'get_function_event_invoke_config', FunctionName=fn, Qualifier='1')
call('put_published_invokeconfig', 'put_function_event_invoke_config', FunctionName=fn, Qualifier='1', MaximumEventAgeInSeconds=120)
call('get_published_invokeconfig', 'get_function_event_invoke_config', FunctionName=fn, Qualifier='1')
page1 = client.list_function_event_invoke_configs(FunctionName=fn, MaxItems=1)
page2 = client.list_function_event_invoke_configs(FunctionName=fn, MaxItems=1, Marker=page1['NextMarker'])
assert [c['FunctionArn'].rsplit(':', 1)[1] for c in page1['FunctionEventInvokeConfigs'] + page2['FunctionEventInvokeConfigs']] == ['$LATEST', '1']
assert 'NextMarker' not in page2
client.delete_function_event_invoke_config(FunctionName=fn)
call('list_paging_nolimit_postdelete', 'list_function_event_invoke_configs', FunctionName=fn)
`);
  compare(got, oracle('test_lambda_eventinvokeconfig_lifecycle', { fn }));
});

test('EventInvokeConfig validation and errors match AWS, case by case (boto3)', async () => {
  const fn = 'eic-fn';
  const other = 'eic-other';
  await deploy(s, fn, { fixture: 'async-recorder' });
  await deploy(s, other, { fixture: 'async-recorder' });
  await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
  await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'eventinvokealias', FunctionVersion: '1' }));
  const got = await boto3Calls(`
fn = ${JSON.stringify(fn)}
acct = '000000000000'
arn = lambda name: f'arn:aws:lambda:us-east-1:{acct}:function:{name}'
alias = 'eventinvokealias'
alias_arn = arn(fn) + ':' + alias
put, update, get, delete, lst = 'put_function_event_invoke_config', 'update_function_event_invoke_config', 'get_function_event_invoke_config', 'delete_function_event_invoke_config', 'list_function_event_invoke_configs'
call('put_functionname_name_notfound', put, FunctionName='doesnotexist', MaximumRetryAttempts=1)
call('put_functionname_arn_notfound', put, FunctionName=arn('doesnotexist'), MaximumRetryAttempts=1)
call('put_functionname_nootherargs', put, FunctionName=fn)
call('put_destination_lambda_doesntexist', put, FunctionName=fn, DestinationConfig={'OnSuccess': {'Destination': arn('doesnotexist')}})
call('put_destination_recursive', put, FunctionName=fn, DestinationConfig={'OnSuccess': {'Destination': arn(fn)}})
call('put_destination_other_lambda', put, FunctionName=fn, DestinationConfig={'OnSuccess': {'Destination': arn(${JSON.stringify(other)})}})
call('put_destination_invalid_service_arn', put, FunctionName=fn, DestinationConfig={'OnSuccess': {'Destination': f'arn:aws:iam:us-east-1:{acct}:function:{fn}'}})
call('put_destination_success_no_destination_arn', put, FunctionName=fn, DestinationConfig={'OnSuccess': {}})
call('put_destination_failure_no_destination_arn', put, FunctionName=fn, DestinationConfig={'OnFailure': {}})
call('put_destination_invalid_arn_pattern', put, FunctionName=fn, DestinationConfig={'OnFailure': {'Destination': f'arn:aws:_-/!lambda:us-east-1:{acct}:function:{fn}'}})
call('put_destination_latest', put, FunctionName=fn, Qualifier='$LATEST', MaximumRetryAttempts=1)
call('put_destination_latest_explicit_qualifier', put, FunctionName=arn(fn) + ':$LATEST', Qualifier='$LATEST', MaximumRetryAttempts=1)
call('put_destination_version', put, FunctionName=fn, Qualifier='1', MaximumRetryAttempts=1)
call('put_alias_functionname_qualifier', put, FunctionName=fn, Qualifier=alias, MaximumRetryAttempts=1)
call('put_alias_doesnotexist', put, FunctionName=fn, Qualifier='doesnotexist', MaximumRetryAttempts=1)
call('put_alias_qualifiedarn', put, FunctionName=alias_arn, MaximumRetryAttempts=1)
call('put_alias_qualifiedarn_qualifier', put, FunctionName=alias_arn, Qualifier=alias, MaximumRetryAttempts=1)
call('put_alias_qualifiedarn_qualifierconflict', put, FunctionName=alias_arn, Qualifier='$LATEST', MaximumRetryAttempts=1)
call('put_alias_shorthand', put, FunctionName=f'{fn}:{alias}', MaximumRetryAttempts=1)
call('put_alias_shorthand_qualifier', put, FunctionName=f'{fn}:{alias}', Qualifier=alias, MaximumRetryAttempts=1)
call('put_alias_shorthand_qualifierconflict', put, FunctionName=f'{fn}:{alias}', Qualifier='$LATEST', MaximumRetryAttempts=1)
call('put_version_shorthand', put, FunctionName=f'{fn}:1', MaximumRetryAttempts=1)
call('put_shorthand_qualifier_match', put, FunctionName=f'{fn}:$LATEST', Qualifier='$LATEST', MaximumRetryAttempts=1)
call('put_shorthand_qualifier_mismatch_1', put, FunctionName=f'{fn}:$LATEST', Qualifier='1', MaximumRetryAttempts=1)
call('put_shorthand_qualifier_mismatch_2', put, FunctionName=f'{fn}:1', Qualifier='$LATEST', MaximumRetryAttempts=1)
call('put_shorthand_qualifier_mismatch_3', put, FunctionName=f'{fn}:1', Qualifier=alias, MaximumRetryAttempts=1)
call('put_maxevent_maxvalue_result', put, FunctionName=fn, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=21600)
call('put_pre_overwrite', put, FunctionName=fn, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60)
call('put_post_overwrite', put, FunctionName=fn, MaximumRetryAttempts=0)
call('second_overwrite_existing_response', put, FunctionName=fn, MaximumRetryAttempts=0)
call('get_post_overwrite', get, FunctionName=fn)
call('pre_update_response', put, FunctionName=fn, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60)
call('update_response', update, FunctionName=fn, MaximumRetryAttempts=0)
call('update_response_existing', update, FunctionName=fn, MaximumRetryAttempts=0)
call('list_configs', lst, FunctionName=fn)
call('delete_latest', delete, FunctionName=fn)
call('delete_version', delete, FunctionName=fn, Qualifier='1')
call('delete_alias', delete, FunctionName=fn, Qualifier=alias)
call('list_configs_postdelete', lst, FunctionName=fn)
call('delete_function_not_found', delete, FunctionName=fn)
call('delete_function_doesnotexist', delete, FunctionName='doesnotexist')
call('list_function_doesnotexist', lst, FunctionName='doesnotexist')
call('get_function_doesnotexist', get, FunctionName='doesnotexist')
call('get_qualifier_doesnotexist', get, FunctionName=fn, Qualifier='doesnotexist')
call('update_eventinvokeconfig_function_doesnotexist', update, FunctionName='doesnotexist', MaximumRetryAttempts=1)
call('get_eventinvokeconfig_doesnotexist', get, FunctionName=fn, Qualifier=alias)
call('update_eventinvokeconfig_config_doesnotexist_with_qualifier', update, FunctionName=fn, Qualifier=alias, MaximumRetryAttempts=1)
call('update_eventinvokeconfig_config_doesnotexist_without_qualifier', update, FunctionName=fn, MaximumRetryAttempts=1)
`);
  compare(got, oracle('test_lambda_eventinvokeconfig_exceptions', { fn, other }));
});

test('limits are checked as model constraints (ValidationException), several reported together', async () => {
  const fn = 'eic-limits';
  await deploy(s, fn, { fixture: 'async-recorder' });
  const put = (body: unknown) =>
    signedFetch(`${s.url}/2019-09-25/functions/${fn}/event-invoke-config`, { method: 'PUT', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, type: r.headers.get('x-amzn-errortype'), body: (await r.json()) as any }));
  const one = await put({ MaximumRetryAttempts: 3 });
  assert.equal(one.status, 400);
  assert.equal(one.type, 'ValidationException');
  assert.equal(one.body.message, "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2");
  const two = await put({ MaximumRetryAttempts: -1, MaximumEventAgeInSeconds: 59 });
  assert.equal(
    two.body.message,
    "2 validation errors detected: Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
  );
  const s3Success = await put({ DestinationConfig: { OnSuccess: { Destination: 'arn:aws:s3:::bucket' } } });
  assert.equal(s3Success.status, 400, 'S3 is an on-failure destination only');
  const s3Failure = await put({ DestinationConfig: { OnFailure: { Destination: 'arn:aws:s3:::bucket' } } });
  assert.equal(s3Failure.status, 200);
});

test('SDK v3 and the AWS CLI v2 read LastModified (an epoch number) as a date; Update merges one destination at a time', async () => {
  const fn = 'eic-sdk';
  await deploy(s, fn, { fixture: 'async-recorder' });
  await deploy(s, 'eic-dest', { fixture: 'async-recorder' });
  const dest = 'arn:aws:lambda:us-east-1:000000000000:function:eic-dest';
  const before = Date.now();
  const put = await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: dest } } }));
  assert.ok(put.LastModified instanceof Date);
  assert.ok(Math.abs(put.LastModified.getTime() - before) < 5000, `LastModified ${put.LastModified.toISOString()}`);
  const upd = await s.client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: fn, DestinationConfig: { OnSuccess: { Destination: dest } } }));
  assert.deepEqual(upd.DestinationConfig, { OnFailure: { Destination: dest }, OnSuccess: { Destination: dest } });
  assert.equal(upd.MaximumRetryAttempts, 1);
  const got = await s.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: fn }));
  assert.equal(got.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:eic-sdk:$LATEST');
  const list = await s.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: fn }));
  assert.equal(list.FunctionEventInvokeConfigs?.length, 1);

  const cli = await runAws('v2', s.url, ['lambda', 'get-function-event-invoke-config', '--function-name', fn]);
  assert.equal(cli.code, 0, cli.stderr);
  const out = JSON.parse(cli.stdout);
  assert.match(out.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  assert.equal(out.MaximumRetryAttempts, 1);
});
