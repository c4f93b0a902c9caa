// The event source mapping API through boto3, compared with AWS's recorded answers (test/api/oracle/esm-api.json and
// esm-sqs.json, from reference/aws-oracle), then through the JavaScript SDK: states, paging, filters, and refused
// requests that change nothing. The queues and streams live in moto_server, found as a user would point Alonzo at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { boto3Calls as boto3CallsOn } from '../helpers/boto3-calls.js';
import { assertAwsError, createFunction, arnOf, UUID_RE } from '../helpers/api.js';
import { oracleFile } from '../helpers/oracle.js';
import { createQueue, MOTO_CREDENTIALS, startMoto, type Moto } from '../helpers/moto.js';

const api = oracleFile('esm-api.json');
const sqsOracle = oracleFile('esm-sqs.json');
let moto: Moto;
let s: TestServer;

before(async () => {
  // moto answers as account 000000000000, Alonzo's (and the oracle's after oracleFile), so queue ARNs compare as they are.
  process.env.MOTO_ACCOUNT_ID = '000000000000';
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  moto = await startMoto();
  s = await startAlonzo({ destinationEndpoint: moto.endpoint });
});

after(async () => {
  await s?.close();
  await moto?.close();
});

/** boto3 with `sqs` and `ddb` clients on moto, and `wait_state(uuid, not_in)` polling Get as AWS's waiters do. */
const boto3Calls = (body: string) =>
  boto3CallsOn(
    s.url,
    `
import time
sqs = boto3.client('sqs', endpoint_url=${JSON.stringify(moto.endpoint)}, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
ddb = boto3.client('dynamodb', endpoint_url=${JSON.stringify(moto.endpoint)}, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
def wait_state(uuid, leave):
    for _ in range(600):
        try:
            st = client.get_event_source_mapping(UUID=uuid)['State']
        except client.exceptions.ResourceNotFoundException:
            return 'gone'
        if st not in leave:
            return st
        time.sleep(0.05)
    raise Exception('mapping %s stayed in %s' % (uuid, leave))
def queue_arn(name):
    url = sqs.create_queue(QueueName=name)['QueueUrl']
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
def stream_arn(table, view='NEW_IMAGE'):
    r = ddb.create_table(TableName=table, KeySchema=[{'AttributeName': 'id', 'KeyType': 'HASH'}], AttributeDefinitions=[{'AttributeName': 'id', 'AttributeType': 'S'}],
        BillingMode='PAY_PER_REQUEST', StreamSpecification={'StreamEnabled': True, 'StreamViewType': view})
    return r['TableDescription']['LatestStreamArn']
${body}`,
  ) as Promise<Record<string, any>>;

/** Gives our UUIDs (and what embeds them) the oracle's placeholders, key by key; `want` decides which. */
function aligned(got: Record<string, any>, want: Record<string, any>): Record<string, any> {
  let text = JSON.stringify(got);
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (w && typeof w === 'object' && typeof w.UUID === 'string' && g && typeof g.UUID === 'string') text = text.split(g.UUID).join(w.UUID);
  }
  return JSON.parse(text);
}

/** Filter patterns as the snapshot tool shows them: a JSON string that starts with `{` decoded. */
function decodedPatterns(v: any): any {
  if (Array.isArray(v)) return v.map(decodedPatterns);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'Pattern' && typeof x === 'string' && x.startsWith('{') ? JSON.parse(x) : decodedPatterns(x)]));
  return v;
}

const PY_ECHO = 'def handler(event, context):\n    print(event)\n    return event\n';

test('FunctionName in every form: the ARN keeps the qualifier as given; Creating, then Enabled, then gone after Delete (test_function_name_variations)', async () => {
  const fn = 'esm-names';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler', Publish: true }, PY_ECHO);
  const got = await boto3Calls(`
client.create_alias(FunctionName='${fn}', Name='myalias', FunctionVersion='1')
q = queue_arn('esm-names-q')
arn = '${arnOf(fn)}'
for key, name in [('name_only', '${fn}'), ('partial_arn_latest', '${fn}:$LATEST'), ('partial_arn_version', '${fn}:1'), ('partial_arn_alias', '${fn}:myalias'),
                  ('full_arn_latest', arn), ('full_arn_version', arn + ':1'), ('full_arn_alias', arn + ':myalias')]:
    call(key + '_create_esm', 'create_event_source_mapping', FunctionName=name, EventSourceArn=q)
    uuid = out[key + '_create_esm']['UUID']
    out[key + '_enabled'] = wait_state(uuid, ['Creating'])
    client.delete_event_source_mapping(UUID=uuid)
    out[key + '_deleted'] = wait_state(uuid, ['Deleting'])
`);
  const want = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_function_name_variations', { 'resource:1': 'esm-names-q', 'resource:3': fn })['recorded-content'];
  const a = aligned(got, want);
  for (const k of Object.keys(want)) {
    assert.deepEqual(a[k], want[k], k);
    assert.match(got[k].UUID, UUID_RE);
    const base = k.replace(/_create_esm$/, '');
    assert.equal(got[`${base}_enabled`], 'Enabled', `${base}: a later Get shows Enabled`);
    assert.equal(got[`${base}_deleted`], 'gone', `${base}: deleted`);
  }
});

test('unknown UUIDs, no event source, an unknown function, a destination on an SQS mapping (test_event_source_mapping_exceptions)', async () => {
  const got = await boto3Calls(`
call('get_unknown_uuid', 'get_event_source_mapping', UUID='00000000-0000-4000-8000-000000000000')
call('delete_unknown_uuid', 'delete_event_source_mapping', UUID='00000000-0000-4000-8000-000000000000')
call('update_unknown_uuid', 'update_event_source_mapping', UUID='00000000-0000-4000-8000-000000000000', Enabled=False)
call('list_all', 'list_event_source_mappings')
call('list_fn', 'list_event_source_mappings', FunctionName='doesnotexist')
call('list_queue', 'list_event_source_mappings', EventSourceArn='arn:aws:sqs:us-east-1:000000000000:doesnotexist')
call('create_no_event_source_arn', 'create_event_source_mapping', FunctionName='doesnotexist')
call('create_unknown_params', 'create_event_source_mapping', FunctionName='doesnotexist', EventSourceArn='arn:aws:sqs:us-east-1:000000000000:somequeue')
call('destination_config_failure', 'create_event_source_mapping', FunctionName='doesnotexist', EventSourceArn='arn:aws:sqs:us-east-1:000000000000:somequeue',
     DestinationConfig={'OnSuccess': {'Destination': 'arn:aws:sqs:us-east-1:000000000000:dest'}})
`);
  const want = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_event_source_mapping_exceptions')['recorded-content'];
  for (const k of Object.keys(want)) assert.deepEqual(got[k], want[k], k);
  for (const k of ['list_all', 'list_fn', 'list_queue']) assert.equal(got[k].ResponseMetadata.HTTPStatusCode, 200, `${k} succeeds`);
});

test('a DynamoDB stream mapping: create (Creating, stream defaults), Get (Enabled), Delete (Deleting) (test_event_source_mapping_lifecycle)', async () => {
  const fn = 'esm-lifecycle';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  const got = await boto3Calls(`
stream = stream_arn('esm-lifecycle-table')
dest = queue_arn('esm-lifecycle-dest')
call('create_response', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=stream, DestinationConfig={'OnFailure': {'Destination': dest}},
     BatchSize=1, StartingPosition='TRIM_HORIZON', MaximumBatchingWindowInSeconds=1, MaximumRetryAttempts=1)
uuid = out['create_response']['UUID']
wait_state(uuid, ['Creating'])
call('get_response', 'get_event_source_mapping', UUID=uuid)
call('delete_response', 'delete_event_source_mapping', UUID=uuid)
out['stream'] = stream
`);
  const stream = got.stream as string;
  const label = stream.split('/stream/')[1];
  const want = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_event_source_mapping_lifecycle', {
    'resource:1': label, 'resource:2': 'esm-lifecycle-table', 'resource:3': 'esm-lifecycle-dest', 'resource:5': fn,
  })['recorded-content'];
  const a = aligned(got, want);
  for (const k of ['create_response', 'get_response', 'delete_response']) assert.deepEqual(a[k], want[k], k);
});

test('deleting the function leaves its mapping as it was, Enabled (test_event_source_mapping_lifecycle_delete_function)', async () => {
  const fn = 'esm-fn-deleted';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  const got = await boto3Calls(`
stream = stream_arn('esm-fn-deleted-table')
dest = queue_arn('esm-fn-deleted-dest')
call('create_response', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=stream, DestinationConfig={'OnFailure': {'Destination': dest}},
     BatchSize=1, StartingPosition='TRIM_HORIZON', MaximumBatchingWindowInSeconds=1, MaximumRetryAttempts=1)
uuid = out['create_response']['UUID']
wait_state(uuid, ['Creating'])
call('get_response', 'get_event_source_mapping', UUID=uuid)
call('delete_function_response', 'delete_function', FunctionName='${fn}')
call('get_response_post_delete', 'get_event_source_mapping', UUID=uuid)
call('delete_response', 'delete_event_source_mapping', UUID=uuid)
out['stream'] = stream
`);
  const label = String(got.stream).split('/stream/')[1];
  const want = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_event_source_mapping_lifecycle_delete_function', {
    'resource:1': label, 'resource:2': 'esm-fn-deleted-table', 'resource:3': 'esm-fn-deleted-dest', 'resource:5': fn,
  })['recorded-content'];
  const a = aligned(got, want);
  for (const k of Object.keys(want).filter((k) => k !== 'update_table_response')) assert.deepEqual(a[k], want[k], k);
});

test('StartingPosition: required for streams, an enum, no AT_TIMESTAMP on DynamoDB; an empty filter list is dropped (test_create_event_source_validation, _kinesis, test_create_event_filter_criteria_validation)', async () => {
  const fn = 'esm-validation';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  const got = await boto3Calls(`
import datetime
stream = stream_arn('esm-validation-table', 'NEW_AND_OLD_IMAGES')
kinesis = 'arn:aws:kinesis:us-east-1:000000000000:stream/esm-validation'
call('no_starting_position', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=stream)
call('invalid_starting_position', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=stream, StartingPosition='invalid')
call('incompatible_starting_position', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=stream, StartingPosition='AT_TIMESTAMP', StartingPositionTimestamp=datetime.datetime.now())
call('k_no_starting_position', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=kinesis)
call('k_invalid_starting_position', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=kinesis, StartingPosition='invalid')
call('response-with-empty-filters', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=stream, StartingPosition='LATEST', FilterCriteria={'Filters': []})
call('listed', 'list_event_source_mappings', FunctionName='${fn}')
out['stream'] = stream
`);
  const stream = String(got.stream);
  const [table, label] = stream.split(':table/')[1].split('/stream/');
  const v = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_create_event_source_validation', { 'table-name': table, 'stream-name': label })['recorded-content'];
  for (const k of Object.keys(v)) assert.deepEqual(got[k], v[k], k);
  const k = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_create_event_source_validation_kinesis')['recorded-content'];
  for (const key of Object.keys(k)) assert.deepEqual(got[`k_${key}`], k[key], `kinesis ${key}`);
  const f = api('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaEventSourceMappings::test_create_event_filter_criteria_validation', { 'table-name': table, 'resource:1': label, 'resource:3': fn })['recorded-content'];
  assert.deepEqual(aligned(got, f)['response-with-empty-filters'], f['response-with-empty-filters']);
  assert.equal(got.listed.EventSourceMappings.length, 1, 'only the valid create stored a mapping');
});

test('SQS: BatchSize defaults to 10, above 10 needs a batching window; a duplicate queue + function is a 409 (test_event_source_mapping_default_batch_size, test_duplicate_event_source_mappings)', async () => {
  const fn = 'esm-sqs-batch';
  const other = 'esm-sqs-batch-2';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  await createFunction(s.client, other, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  const got = await boto3Calls(`
q1 = queue_arn('esm-batch-1')
q2 = queue_arn('esm-batch-2')
call('create-event-source-mapping', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q1)
uuid = out['create-event-source-mapping']['UUID']
call('invalid-update-event-source-mapping', 'update_event_source_mapping', UUID=uuid, FunctionName='${fn}', BatchSize=11)
call('invalid-create-event-source-mapping', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q2, BatchSize=11)
call('error', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q1)
call('other_function', 'create_event_source_mapping', FunctionName='${other}', EventSourceArn=q1)
call('after', 'get_event_source_mapping', UUID=uuid)
`);
  const want = sqsOracle('tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::TestSQSEventSourceMapping::test_event_source_mapping_default_batch_size', { 'resource:1': 'esm-batch-1', 'resource:2': fn })['recorded-content'];
  const a = aligned(got, want);
  for (const k of Object.keys(want)) {
    if (k === 'create-event-source-mapping') {
      // The recording shows the FunctionArn and queue under their own placeholders; the shape and defaults are what count.
      assert.deepEqual(Object.keys(a[k]).sort(), Object.keys(want[k]).sort(), k);
      assert.equal(a[k].BatchSize, 10);
      assert.equal(a[k].MaximumBatchingWindowInSeconds, 0);
    } else assert.deepEqual(a[k], want[k], k);
  }
  const dup = sqsOracle('tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::TestSQSEventSourceMapping::test_duplicate_event_source_mappings', { 'resource:1': 'esm-batch-1', 'resource:2': fn })['recorded-content'];
  const uuid = got['create-event-source-mapping'].UUID;
  assert.deepEqual(JSON.parse(JSON.stringify(got.error).split(uuid).join('<uuid:1>')), dup.error);
  assert.equal(got.other_function.ResponseMetadata.HTTPStatusCode, 202, 'the same queue with another function is accepted');
  assert.equal(got.after.BatchSize, 10, 'the refused update changed nothing');
});

test('filters: echoed as given, "Invalid filter pattern definition." for null and for a value that is not a list (test_sqs_invalid_event_filter)', async () => {
  const fn = 'esm-filters';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  const got = await boto3Calls(`
q = queue_arn('esm-filters-q')
call('none', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q, FilterCriteria={'Filters': [{'Pattern': 'null'}]})
call('invalid_filter2', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q, FilterCriteria={'Filters': [{'Pattern': json.dumps({'eventSource': 'aws:sqs'})}]})
call('not_json', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q, FilterCriteria={'Filters': [{'Pattern': '{"body": '}]})
call('unknown_operator', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q, FilterCriteria={'Filters': [{'Pattern': json.dumps({'body': {'k': [{'wildcard-ish': 1}]}})}]})
call('ok', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q, MaximumBatchingWindowInSeconds=1,
     FilterCriteria={'Filters': [{'Pattern': json.dumps({'body': {'my-key': ['my-value-one', 'my-value-two']}})}]})
call('listed', 'list_event_source_mappings', FunctionName='${fn}')
`);
  for (const [k, id] of [['none', 'None'], ['invalid_filter2', 'invalid_filter2']]) {
    const want = sqsOracle(`tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::TestSQSEventSourceMapping::test_sqs_invalid_event_filter[${id}]`)['recorded-content'];
    assert.deepEqual(got[k], want.create_event_source_mapping_exception, k);
  }
  for (const k of ['not_json', 'unknown_operator']) assert.equal(got[k].Error.Message, 'Invalid filter pattern definition.', k);
  const or = sqsOracle('tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::TestSQSEventSourceMapping::test_sqs_event_filter[or]')['recorded-content'];
  assert.deepEqual(decodedPatterns(got.ok).FilterCriteria, or.create_event_source_mapping_response.FilterCriteria);
  assert.equal(got.listed.EventSourceMappings.length, 1, 'refused creates stored nothing');
});

test('through the JavaScript SDK: Disabled at creation, Enabling, Enabled, Disabling; Updating to another version; ScalingConfig; list pages', async () => {
  const fn = 'esm-js';
  await createFunction(s.client, fn, { Publish: true });
  await createFunction(s.client, 'esm-js-2');
  const q = await createQueue(moto, 'esm-js-q');
  const c = s.client;
  const created = await c.send(new CreateEventSourceMappingCommand({ FunctionName: `${fn}:1`, EventSourceArn: q.arn, Enabled: false, BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } }));
  assert.equal(created.State, 'Disabled');
  assert.equal(created.$metadata.httpStatusCode, 202);
  assert.deepEqual(created.ScalingConfig, { MaximumConcurrency: 2 });
  assert.ok(created.LastModified instanceof Date && Math.abs(created.LastModified.getTime() - Date.now()) < 600_000, 'LastModified is a timestamp');
  const uuid = created.UUID!;
  const waitFor = async (leave: string[]): Promise<EventSourceMappingConfiguration> => {
    for (;;) {
      const g = await c.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      if (!leave.includes(g.State!)) return g;
      await new Promise((ok) => setTimeout(ok, 50));
    }
  };
  assert.equal((await waitFor([])).State, 'Disabled', 'a disabled mapping stays Disabled');
  assert.equal((await c.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }))).State, 'Enabling');
  assert.equal((await waitFor(['Enabling'])).State, 'Enabled');
  const updated = await c.send(new UpdateEventSourceMappingCommand({ UUID: uuid, FunctionName: arnOf(fn, '$LATEST'), BatchSize: 5 }));
  assert.equal(updated.State, 'Updating');
  assert.equal(updated.FunctionArn, arnOf(fn, '$LATEST'));
  assert.equal(updated.BatchSize, 5);
  assert.equal((await waitFor(['Updating'])).State, 'Enabled');
  assert.equal((await c.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }))).State, 'Disabling');
  assert.equal((await waitFor(['Disabling'])).State, 'Disabled');
  await assertAwsError(c.send(new UpdateEventSourceMappingCommand({ UUID: uuid, ScalingConfig: { MaximumConcurrency: 1 } })), {
    name: 'ValidationException', status: 400, message: "1 validation error detected: Value '1' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2",
  });
  await assertAwsError(c.send(new UpdateEventSourceMappingCommand({ UUID: uuid, FunctionName: 'esm-js-nope' })), { name: 'InvalidParameterValueException', status: 400, message: 'Function does not exist' });
  await assertAwsError(c.send(new CreateEventSourceMappingCommand({ FunctionName: fn, EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:esm-js-missing' })), {
    name: 'InvalidParameterValueException', status: 400,
    message: 'Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.',
  });
  assert.equal((await c.send(new GetEventSourceMappingCommand({ UUID: uuid }))).BatchSize, 5, 'refused updates changed nothing');

  const more = [];
  for (let i = 0; i < 3; i++) more.push((await createQueue(moto, `esm-js-page-${i}`)).arn);
  for (const arn of more) await c.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-js-2', EventSourceArn: arn }));
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await c.send(new ListEventSourceMappingsCommand({ FunctionName: 'esm-js-2', MaxItems: 2, Marker: marker }));
    assert.ok(page.EventSourceMappings!.length <= 2);
    seen.push(...page.EventSourceMappings!.map((m) => m.EventSourceArn!));
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(seen.sort(), [...more].sort());
  const byQueue = await c.send(new ListEventSourceMappingsCommand({ EventSourceArn: q.arn }));
  assert.deepEqual(byQueue.EventSourceMappings!.map((m) => m.UUID), [uuid]);
  const deleted = await c.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
  assert.equal(deleted.State, 'Deleting');
  assert.equal(deleted.$metadata.httpStatusCode, 202);
});

test('tags on a mapping: given at creation, then tagged and untagged by its ARN (TestLambdaTag::test_create_tag_on_esm_create, test_tag_lifecycle[event_source_mapping])', async () => {
  const fn = 'esm-tags';
  await createFunction(s.client, fn);
  const tags = oracleFile('esm-tags.json');
  const got = await boto3Calls(`
q = queue_arn('esm-tags-q')
r = client.create_event_source_mapping(FunctionName='${fn}', EventSourceArn=q, Tags={'testtag': 'custom-value'})
out['get_event_source_mapping_with_tag'] = 'Tags' not in client.get_event_source_mapping(UUID=r['UUID'])
call('list_tags_result', 'list_tags', Resource=r['EventSourceMappingArn'])
r2 = client.create_event_source_mapping(FunctionName='${fn}', EventSourceArn=queue_arn('esm-tags-q2'))
arn = r2['EventSourceMappingArn']
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
out['state_after'] = client.get_event_source_mapping(UUID=r2['UUID'])['BatchSize']
`);
  const onCreate = tags('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaTag::test_create_tag_on_esm_create', { 'custom-tag': 'custom-value' })['recorded-content'];
  assert.deepEqual(got.list_tags_result, onCreate.list_tags_result);
  assert.equal(got.get_event_source_mapping_with_tag, onCreate.get_event_source_mapping_with_tag, 'the mapping itself shows no Tags');
  const lifecycle = tags('tests/aws/services/lambda_/test_lambda_api.py::TestLambdaTag::test_tag_lifecycle[event_source_mapping]')['recorded-content'];
  for (const k of Object.keys(lifecycle)) assert.deepEqual(got[k], lifecycle[k], k);
  assert.equal(got.state_after, 10);
});

test('Disabled at creation, Enabling on Update, then Enabled; Updating when FunctionName moves to another version (test_fifo_message_group_parallelism, test_sqs_event_source_mapping_update)', async () => {
  const fn = 'esm-states';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler', Publish: true }, PY_ECHO);
  const got = await boto3Calls(`
client.update_function_configuration(FunctionName='${fn}', Environment={'Variables': {'CUSTOM_VAR': 'b'}})
client.get_waiter('function_updated_v2').wait(FunctionName='${fn}')
assert client.publish_version(FunctionName='${fn}')['Version'] == '2'
url = sqs.create_queue(QueueName='esm-states.fifo', Attributes={'FifoQueue': 'true', 'ContentBasedDeduplication': 'true', 'VisibilityTimeout': '60'})['QueueUrl']
q = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
call('create_esm_disabled', 'create_event_source_mapping', FunctionName='${fn}', EventSourceArn=q, Enabled=False, BatchSize=1)
uuid = out['create_esm_disabled']['UUID']
call('update_esm_enabling', 'update_event_source_mapping', UUID=uuid, Enabled=True)
wait_state(uuid, ['Enabling'])
call('get_esm_enabled', 'get_event_source_mapping', UUID=uuid)
q2 = queue_arn('esm-states-update')
arn = '${arnOf(fn)}'
call('create-event-source-mapping-response', 'create_event_source_mapping', FunctionName=arn + ':1', EventSourceArn=q2, MaximumBatchingWindowInSeconds=1)
uuid2 = out['create-event-source-mapping-response']['UUID']
wait_state(uuid2, ['Creating'])
call('updated_esm', 'update_event_source_mapping', UUID=uuid2, FunctionName=arn + ':2')
`);
  const fix = (o: unknown) => JSON.parse(JSON.stringify(o).split('"datetime"').join('"<datetime>"'));
  const fifo = sqsOracle(`${'tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::'}test_fifo_message_group_parallelism`, { 'resource:1': 'esm-states.fifo', 'resource:2': fn })['recorded-content'];
  const a = fix(aligned(got, fifo));
  for (const k of ['create_esm_disabled', 'update_esm_enabling', 'get_esm_enabled']) assert.deepEqual(a[k], fifo[k], k);
  const upd = sqsOracle('tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::TestSQSEventSourceMapping::test_sqs_event_source_mapping_update', { 'resource:1': 'esm-states-update', 'resource:2': `${fn}:1`, 'resource:3': `${fn}:2` })['recorded-content'];
  const b = fix(aligned(got, upd));
  for (const k of ['create-event-source-mapping-response', 'updated_esm']) assert.deepEqual(b[k], upd[k], k);
});

test('deleting the table leaves the mapping listed, Enabled (test_deletion_event_source_mapping_with_dynamodb)', async () => {
  const fn = 'esm-table-deleted';
  await createFunction(s.client, fn, { Runtime: 'python3.12', Handler: 'index.handler' }, PY_ECHO);
  const got = await boto3Calls(`
stream = stream_arn('esm-table-deleted')
r = client.create_event_source_mapping(FunctionName='${fn}', EventSourceArn=stream, StartingPosition='TRIM_HORIZON')
wait_state(r['UUID'], ['Creating'])
ddb.delete_table(TableName='esm-table-deleted')
call('list_event_source_mapping_result', 'list_event_source_mappings', EventSourceArn=stream)
out['stream'] = stream
`);
  const label = String(got.stream).split('/stream/')[1];
  const want = oracleFile('esm-streams.json')('tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_dynamodbstreams.py::TestDynamoDBEventSourceMapping::test_deletion_event_source_mapping_with_dynamodb', { 'resource:1': label, 'resource:2': 'esm-table-deleted', 'resource:3': fn })['recorded-content'].list_event_source_mapping_result;
  const listed = got.list_event_source_mapping_result;
  const uuid = listed.EventSourceMappings[0]?.UUID;
  assert.deepEqual(JSON.parse(JSON.stringify(listed).split(uuid).join('<uuid:2>').split('"datetime"').join('"<datetime>"')), want);
});
