// Invoke conformance (oracle invoke-core and the Node.js/Python entries of invoke-runtimes): the three invocation types,
// payload shapes, Tail logs, ClientContext, request ids, the environment and context a function sees, name forms,
// 404s, payload validation and size limits, and the deprecated InvokeAsync.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeAsyncCommand, InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { childPids, decodeLog, deploy, eventually, functionLogs, rawInvoke } from '../helpers/invoke.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const arn = (fn: string, q?: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}${q === undefined ? '' : `:${q}`}`;
const text = (r: InvokeCommandOutput) => Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8');
const json = (r: InvokeCommandOutput) => JSON.parse(text(r));
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

let s: TestServer;

before(async () => {
  s = await startAlonzo();
  await Promise.all([
    deploy(s, 'node-echo', { fixture: 'node-echo' }),
    deploy(s, 'py-echo', { fixture: 'python-echo', Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler' }),
    deploy(s, 'node-nothing', { fixture: 'invoke-returns', Handler: 'index.nothing' }),
    deploy(s, 'py-nothing', { fixture: 'python-invoke-returns', Runtime: 'python3.12', Handler: 'lambda_function.nothing' }),
    deploy(s, 'node-reqid', { fixture: 'invoke-returns', Handler: 'index.requestId' }),
    deploy(s, 'py-reqid', { fixture: 'python-invoke-returns', Runtime: 'python3.12', Handler: 'lambda_function.request_id' }),
    deploy(s, 'node-introspect', {
      fixture: 'invoke-returns',
      Handler: 'index.introspect',
      MemorySize: 1024,
      Environment: { Variables: { TEST_KEY: 'TEST_VAL' } },
    }),
    deploy(s, 'py-introspect', {
      fixture: 'python-invoke-returns',
      Runtime: 'python3.12',
      Handler: 'lambda_function.introspect',
      MemorySize: 1024,
      Environment: { Variables: { TEST_KEY: 'TEST_VAL' } },
    }),
    deploy(s, 'dry-run-target', { fixture: 'node-echo' }),
    deploy(s, 'node-tail', { fixture: 'node-echo' }),
  ]);
});

after(() => s.close());

describe('RequestResponse', () => {
  for (const fn of ['node-echo', 'py-echo']) {
    test(`${fn}: explicit RequestResponse with {} → 200, $LATEST, {}`, async () => {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, InvocationType: 'RequestResponse', Payload: Buffer.from('{}') }));
      assert.equal(r.StatusCode, 200);
      assert.equal(r.ExecutedVersion, '$LATEST');
      assert.equal(r.FunctionError, undefined);
      assert.equal(r.LogResult, undefined);
      assert.deepEqual(json(r), {});
      assert.match(r.$metadata.requestId!, UUID);
    });

    test(`${fn}: no payload at all is treated as {}`, async () => {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn }));
      assert.equal(r.StatusCode, 200);
      assert.equal(text(r), '{}');
      const raw = await rawInvoke(s, fn, undefined);
      assert.equal(raw.status, 200);
      assert.equal(raw.text, '{}');
    });

    test(`${fn}: bare JSON values and tricky strings come back equal`, async () => {
      const values: unknown[] = [true, false, null, [1, 2], 1, 'a string with "quotes", emoji 🎉 and brackets {[()]}', { hello: 'world' }];
      for (const v of values) {
        const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(v)) }));
        assert.equal(r.FunctionError, undefined, `for ${JSON.stringify(v)}: ${text(r)}`);
        assert.deepEqual(json(r), v);
      }
    });

    test(`${fn}: a 5 MB payload is echoed unchanged`, async () => {
      const big = { test: 'test123456'.repeat(500_000) };
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(big)) }));
      assert.equal(r.FunctionError, undefined, text(r).slice(0, 300));
      assert.deepEqual(json(r), big);
    });
  }

  for (const fn of ['node-nothing', 'py-nothing']) {
    test(`${fn}: a handler returning nothing answers the 4 bytes null`, async () => {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"a":1}') }));
      assert.equal(r.StatusCode, 200);
      assert.equal(r.ExecutedVersion, '$LATEST');
      assert.equal(text(r), 'null');
    });
  }

  for (const fn of ['node-reqid', 'py-reqid']) {
    test(`${fn}: the function's request id is the response's x-amzn-RequestId, and its log lines carry it`, async () => {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, LogType: 'Tail' }));
      const id = r.$metadata.requestId!;
      assert.match(id, UUID);
      assert.equal(json(r), id);
      const lines = decodeLog(r.LogResult).split('\n');
      assert.ok(lines.includes(`START RequestId: ${id} Version: $LATEST`), decodeLog(r.LogResult));
      const logLine = lines.find((l) => l.includes('RequestId log message'));
      assert.ok(logLine, decodeLog(r.LogResult));
      if (fn === 'py-reqid') assert.match(logLine!, new RegExp(`^\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tRequestId log message$`));
      else assert.match(logLine!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tINFO\\tRequestId log message$`));
      assert.ok(lines.includes(`END RequestId: ${id}`));
      assert.ok(lines.some((l) => l.startsWith(`REPORT RequestId: ${id}\t`)));
    });
  }
});

describe('Event and DryRun', () => {
  for (const fn of ['node-echo', 'py-echo', 'node-nothing']) {
    test(`${fn}: Event → 202, empty body, no ExecutedVersion; the function runs with {}`, async () => {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, InvocationType: 'Event' }));
      assert.equal(r.StatusCode, 202);
      assert.equal(r.ExecutedVersion, undefined);
      assert.equal(r.FunctionError, undefined);
      assert.equal(r.LogResult, undefined);
      assert.equal(text(r), '');
      const raw = await rawInvoke(s, fn, '{"n":1}', { 'X-Amz-Invocation-Type': 'Event' });
      assert.equal(raw.status, 202);
      assert.equal(raw.body.length, 0);
      assert.equal(raw.headers.get('x-amz-executed-version'), null);
      // Both events ran: two more START lines, one of them logging the empty event {}.
      // The log read is a window of the file's end, so look at the invocations that carry the two request ids.
      const ids = [r.$metadata.requestId, raw.headers.get('x-amzn-requestid')];
      const logs = await eventually(async () => {
        const l = await functionLogs(s, fn);
        return ids.every((id) => l.includes(`END RequestId: ${id}`)) && l;
      }, 5000, `${fn} to run its events`);
      const first = logs.slice(logs.indexOf(`START RequestId: ${ids[0]}`), logs.indexOf(`END RequestId: ${ids[0]}`));
      assert.match(first, /\{\}/);
    });
  }

  test('Event with LogType Tail: still 202 and no LogResult (Tail is for sync invokes only)', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'node-echo', InvocationType: 'Event', LogType: 'Tail' }));
    assert.equal(r.StatusCode, 202);
    assert.equal(r.LogResult, undefined);
  });

  test('DryRun → 204, empty body, no ExecutedVersion, and nothing runs', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'dry-run-target', InvocationType: 'DryRun', Payload: Buffer.from('{"x":1}') }));
    assert.equal(r.StatusCode, 204);
    assert.equal(r.ExecutedVersion, undefined);
    assert.equal(r.FunctionError, undefined);
    assert.equal(text(r), '');
    const raw = await rawInvoke(s, 'dry-run-target', undefined, { 'X-Amz-Invocation-Type': 'DryRun' });
    assert.equal(raw.status, 204);
    assert.equal(raw.headers.get('x-amz-executed-version'), null);
    await new Promise((ok) => setTimeout(ok, 100));
    assert.equal(await functionLogs(s, 'dry-run-target'), '');
  });

  test('DryRun still checks that the function exists', async () => {
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'does-not-exist', InvocationType: 'DryRun' })), { name: 'ResourceNotFoundException' });
  });

  test('an unknown InvocationType is a ValidationException', async () => {
    const raw = await rawInvoke(s, 'node-echo', '{}', { 'X-Amz-Invocation-Type': 'Bogus' });
    assert.equal(raw.status, 400);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.equal(raw.json.message, "1 validation error detected: Value 'Bogus' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
  });
});

describe('LogType Tail', () => {
  test('the decoded log is START, the function lines, END, REPORT; Init Duration on the cold start only', async () => {
    const cold = await s.client.send(new InvokeCommand({ FunctionName: 'node-tail', LogType: 'Tail', Payload: Buffer.from('{}') }));
    assert.deepEqual(json(cold), {});
    const id = cold.$metadata.requestId!;
    const log = decodeLog(cold.LogResult);
    assert.equal(Buffer.from(decodeLog(cold.LogResult)).toString('base64'), cold.LogResult, 'plain standard base64');
    const lines = log.split('\n');
    const start = lines.indexOf(`START RequestId: ${id} Version: $LATEST`);
    assert.ok(start >= 0, log);
    assert.match(lines[start + 1], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tINFO\\t\\{\\}$`));
    assert.equal(lines[start + 2], `END RequestId: ${id}`);
    assert.match(
      lines[start + 3],
      new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t$`),
    );
    assert.equal(lines[start + 4], '');
    assert.equal(lines.length, start + 5);

    const warm = await s.client.send(new InvokeCommand({ FunctionName: 'node-tail', LogType: 'Tail', Payload: Buffer.from('{"warm":true}') }));
    const wid = warm.$metadata.requestId!;
    const wlog = decodeLog(warm.LogResult);
    assert.ok(wlog.startsWith(`START RequestId: ${wid} Version: $LATEST\n`), wlog);
    assert.match(wlog, new RegExp(`\\nREPORT RequestId: ${wid}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\t\\n$`));
    assert.doesNotMatch(wlog, /Init Duration/);
  });

  test('Python: the log has the function lines between START and END', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'py-echo', LogType: 'Tail', Payload: Buffer.from('{"p":1}') }));
    const id = r.$metadata.requestId!;
    const log = decodeLog(r.LogResult);
    assert.match(log, new RegExp(`START RequestId: ${id} Version: \\$LATEST\\n\\{"p": 1\\}\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\t`));
  });

  test('the tail is the last 4 KB of a long log', async () => {
    const big = { s: 'y'.repeat(10_000) };
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'node-tail', LogType: 'Tail', Payload: Buffer.from(JSON.stringify(big)) }));
    const raw = Buffer.from(r.LogResult!, 'base64');
    assert.equal(raw.length, 4096);
    assert.match(raw.toString('utf8'), /REPORT RequestId: .*\n$/);
  });

  test('an unknown LogType is a ValidationException', async () => {
    const raw = await rawInvoke(s, 'node-echo', '{}', { 'X-Amz-Log-Type': 'Everything' });
    assert.equal(raw.status, 400);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'ValidationException');
  });
});

describe('ClientContext', () => {
  const cc = { custom: { foo: 'bar' }, client: { snap: ['crackle', 'pop'] }, env: { fizz: 'buzz' } };

  test('Node: context.clientContext is the decoded object (oracle test_lambda_with_context)', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'node-introspect', ClientContext: b64(cc) }));
    assert.deepEqual(json(r).ctx.clientContext, cc);
    const without = await s.client.send(new InvokeCommand({ FunctionName: 'node-introspect' }));
    assert.equal(json(without).ctx.clientContext, null);
  });

  test('Python: context.client_context carries custom and env', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'py-introspect', ClientContext: b64(cc) }));
    assert.deepEqual(json(r).ctx.client_context, { custom: { foo: 'bar' }, env: { fizz: 'buzz' } });
    const without = await s.client.send(new InvokeCommand({ FunctionName: 'py-introspect' }));
    assert.equal(json(without).ctx.client_context, null);
  });

  for (const [what, value] of [
    ['not base64', 'string!'],
    ['base64 of text that is not JSON', b64('not json')],
    ['base64 of a JSON array', b64([1, 2])],
    ['longer than 3,583 bytes', b64({ custom: { k: 'v'.repeat(3000) } })],
  ] as const) {
    test(`a ClientContext that is ${what} → 400 InvalidRequestContentException`, async () => {
      const raw = await rawInvoke(s, 'node-echo', '{}', { 'X-Amz-Client-Context': value });
      assert.equal(raw.status, 400);
      assert.equal(raw.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
      assert.deepEqual(raw.json, { Type: 'User', message: 'Client context must be a valid Base64-encoded JSON object.' });
    });
  }

  test('the SDK surfaces a bad ClientContext as InvalidRequestContentException', async () => {
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'node-echo', ClientContext: 'string' })), {
      name: 'InvalidRequestContentException',
      message: 'Client context must be a valid Base64-encoded JSON object.',
    });
  });
});

describe('what the function sees', () => {
  /** LAMBDA-SPEC's list, plus the function's own variables. */
  function checkEnv(env: Record<string, string>, fn: string, runtime: string, handler: string) {
    assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, fn);
    assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '1024');
    assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, `/aws/lambda/${fn}`);
    assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.equal(env.AWS_LAMBDA_INITIALIZATION_TYPE, 'on-demand');
    assert.equal(env.AWS_REGION, REGION);
    assert.equal(env.AWS_DEFAULT_REGION, REGION);
    assert.equal(env.AWS_EXECUTION_ENV, `AWS_Lambda_${runtime}`);
    assert.ok(env.LAMBDA_TASK_ROOT, 'LAMBDA_TASK_ROOT');
    assert.ok(env.LAMBDA_RUNTIME_DIR, 'LAMBDA_RUNTIME_DIR');
    assert.equal(env._HANDLER, handler);
    assert.equal(env.TZ, ':UTC');
    assert.equal(env.LANG, 'en_US.UTF-8');
    assert.equal(env.TEST_KEY, 'TEST_VAL');
    // Every invocation has an X-Ray trace id, even when the caller sent none, with the Lineage recursive loop detection counts.
    assert.match(env._X_AMZN_TRACE_ID, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=[0-9a-f]{8}:1$/);
    // The server's own settings and plumbing stay out (LAMBDA-SPEC: give environments Lambda's variables, not the server's).
    for (const k of Object.keys(env)) assert.ok(!k.startsWith('ALONZO_'), `leaked ${k}`);
    assert.equal(env.NODE_EXTRA_CA_CERTS, undefined);
    assert.equal(env.NODE_OPTIONS, undefined);
  }

  test('Node: environment variables and context fields', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'node-introspect' }));
    const { env, ctx } = json(r);
    checkEnv(env, 'node-introspect', 'nodejs20.x', 'index.introspect');
    assert.deepEqual(
      { ...ctx, remainingTimeInMillis: undefined, logStreamName: undefined },
      {
        functionName: 'node-introspect',
        functionVersion: '$LATEST',
        invokedFunctionArn: arn('node-introspect'),
        memoryLimitInMB: '1024',
        awsRequestId: r.$metadata.requestId,
        logGroupName: '/aws/lambda/node-introspect',
        callbackWaitsForEmptyEventLoop: true,
        clientContext: null,
        remainingTimeInMillis: undefined,
        logStreamName: undefined,
      },
    );
    assert.equal(ctx.logStreamName, env.AWS_LAMBDA_LOG_STREAM_NAME);
    assert.ok(ctx.remainingTimeInMillis > 0 && ctx.remainingTimeInMillis <= 3000, String(ctx.remainingTimeInMillis));
  });

  test('Python: environment variables and context fields', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'py-introspect' }));
    const { env, ctx } = json(r);
    checkEnv(env, 'py-introspect', 'python3.12', 'lambda_function.introspect');
    assert.equal(ctx.aws_request_id, r.$metadata.requestId);
    assert.equal(ctx.function_name, 'py-introspect');
    assert.equal(ctx.function_version, '$LATEST');
    assert.equal(ctx.invoked_function_arn, arn('py-introspect'));
    assert.equal(ctx.memory_limit_in_mb, '1024');
    assert.equal(ctx.log_group_name, '/aws/lambda/py-introspect');
    assert.equal(ctx.log_stream_name, env.AWS_LAMBDA_LOG_STREAM_NAME);
    assert.ok(ctx.remaining_time_in_millis > 0 && ctx.remaining_time_in_millis <= 3000);
  });

  test("the caller's X-Amzn-Trace-Id is the invocation's trace id", async () => {
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const raw = await rawInvoke(s, 'node-introspect', '{}', { 'X-Amzn-Trace-Id': trace });
    // The caller's, with this function's first hop in the chain added (recursive loop detection).
    assert.match(raw.json.env._X_AMZN_TRACE_ID, new RegExp(`^${trace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};Lineage=[0-9a-f]{8}:1$`));
    const again = await s.client.send(new InvokeCommand({ FunctionName: 'node-introspect' }));
    assert.notEqual(json(again).env._X_AMZN_TRACE_ID, trace);
  });

  test('invoked through <FunctionArn>:$LATEST: the same environment, a qualified invoked ARN', async () => {
    for (const fn of ['node-introspect', 'py-introspect']) {
      const r = await s.client.send(new InvokeCommand({ FunctionName: arn(fn, '$LATEST') }));
      assert.equal(r.ExecutedVersion, '$LATEST');
      const { env, ctx } = json(r);
      assert.equal(env.TEST_KEY, 'TEST_VAL');
      assert.equal(ctx.invokedFunctionArn ?? ctx.invoked_function_arn, arn(fn, '$LATEST'));
    }
  });
});

describe('function names and qualifiers', () => {
  test('every FunctionName form reaches the function', async () => {
    const forms: [string, string | undefined, string][] = [
      ['node-introspect', undefined, arn('node-introspect')],
      ['node-introspect:$LATEST', undefined, arn('node-introspect', '$LATEST')],
      ['node-introspect', '$LATEST', arn('node-introspect', '$LATEST')],
      ['node-introspect:$LATEST', '$LATEST', arn('node-introspect', '$LATEST')],
      [`${ACCOUNT}:function:node-introspect`, undefined, arn('node-introspect')],
      [`${ACCOUNT}:function:node-introspect:$LATEST`, undefined, arn('node-introspect', '$LATEST')],
      [arn('node-introspect'), undefined, arn('node-introspect')],
      [arn('node-introspect', '$LATEST'), undefined, arn('node-introspect', '$LATEST')],
      [arn('node-introspect'), '$LATEST', arn('node-introspect', '$LATEST')],
    ];
    for (const [name, qualifier, invoked] of forms) {
      const r = await s.client.send(new InvokeCommand({ FunctionName: name, Qualifier: qualifier }));
      assert.equal(r.StatusCode, 200, name);
      assert.equal(r.ExecutedVersion, '$LATEST', name);
      assert.equal(json(r).ctx.invokedFunctionArn, invoked, `${name} ?Qualifier=${qualifier}`);
    }
  });

  test('an unknown function → 404 with the :$LATEST-suffixed ARN (oracle test_invoke_exceptions)', async () => {
    const raw = await rawInvoke(s, 'doesnotexist', '{}');
    assert.equal(raw.status, 404);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.deepEqual(raw.json, { Type: 'User', Message: `Function not found: ${arn('doesnotexist', '$LATEST')}` });
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'doesnotexist' })), (e: any) => {
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.equal(e.message, `Function not found: ${arn('doesnotexist', '$LATEST')}`);
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
  });

  test('an unknown version or alias → 404 naming it', async () => {
    for (const q of ['42', 'non-existent-alias']) {
      const raw = await rawInvoke(s, 'node-echo', '{}', {}, { qualifier: q });
      assert.equal(raw.status, 404, q);
      assert.deepEqual(raw.json, { Type: 'User', Message: `Function not found: ${arn('node-echo', q)}` });
      const inName = await rawInvoke(s, `node-echo:${q}`, '{}');
      assert.deepEqual(inName.json, raw.json);
    }
    const other = await rawInvoke(s, 'doesnotexist', '{}', {}, { qualifier: 'prod' });
    assert.deepEqual(other.json, { Type: 'User', Message: `Function not found: ${arn('doesnotexist', 'prod')}` });
  });

  test('a qualifier in the name that differs from Qualifier → 400 InvalidParameterValueException', async () => {
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'node-echo:1', Qualifier: '2' })), {
      name: 'InvalidParameterValueException',
      message: 'The derived qualifier from the function name does not match the specified qualifier.',
    });
    const raw = await rawInvoke(s, arn('node-echo', 'prod'), '{}', {}, { qualifier: '$LATEST' });
    assert.equal(raw.status, 400);
    assert.deepEqual(raw.json, { Type: 'User', message: 'The derived qualifier from the function name does not match the specified qualifier.' });
  });

  test('a bare name over 64 characters → 400', async () => {
    const long = await rawInvoke(s, 'f'.repeat(65), '{}');
    assert.equal(long.status, 400);
  });
});

describe('payload validation and size limits', () => {
  test('non-JSON bodies → 400 InvalidRequestContentException with Jackson\'s messages (oracle payload_encoding_error)', async () => {
    const src = '[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: ';
    const cases: [Buffer, string][] = [
      [Buffer.from('6e87729ee9b5d749ee9b6d74', 'hex'), `Invalid UTF-8 start byte 0x87\n at ${src}3]`],
      [
        Buffer.from('99eb2c6a07a17a5968', 'hex'),
        `Unexpected character ((CTRL-CHAR, code 153)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at ${src}1]`,
      ],
    ];
    for (const [body, problem] of cases) {
      const raw = await rawInvoke(s, 'node-echo', body);
      assert.equal(raw.status, 400);
      assert.equal(raw.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
      assert.deepEqual(raw.json, { Type: 'User', message: `Could not parse request body into json: Could not parse payload into json: ${problem}` });
    }
    // What CLI v2 users hit when --payload is raw JSON without --cli-binary-format: the SDK path surfaces the same error.
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'node-echo', Payload: Buffer.from('99eb2c6a07a17a5968', 'hex') })), {
      name: 'InvalidRequestContentException',
    });
  });

  test('plain text and truncated JSON are refused too, for Event invokes as well', async () => {
    for (const body of ['hello', '{"a":', '{} {}', "{'single': 'quotes'}"]) {
      for (const type of ['RequestResponse', 'Event']) {
        const raw = await rawInvoke(s, 'node-echo', body, { 'X-Amz-Invocation-Type': type });
        assert.equal(raw.status, 400, `${type} ${body}`);
        assert.equal(raw.headers.get('x-amzn-errortype'), 'InvalidRequestContentException', `${type} ${body}`);
        assert.match(raw.json.message, /^Could not parse request body into json: Could not parse payload into json: /);
      }
    }
  });

  test('a sync request over 6 MB → 413 RequestEntityTooLargeException; exactly 6 MB is accepted', async () => {
    const exact = Buffer.from(JSON.stringify('x'.repeat(6_291_456 - 2)));
    assert.equal(exact.length, 6_291_456);
    const ok = await rawInvoke(s, 'node-nothing', exact);
    assert.equal(ok.status, 200);
    const over = Buffer.from(JSON.stringify('x'.repeat(6_291_456 - 1)));
    const raw = await rawInvoke(s, 'node-echo', over);
    assert.equal(raw.status, 413);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
    assert.deepEqual(raw.json, { message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' });
    await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'node-echo', Payload: Buffer.from(JSON.stringify('x'.repeat(7_000_000))) })), (e: any) => {
      assert.equal(e.name, 'RequestEntityTooLargeException');
      assert.equal(e.$metadata.httpStatusCode, 413);
      assert.equal(e.message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
      return true;
    });
  });

  test('an Event payload over 1 MB → 413 naming the Event limit; 1 MB exactly is accepted', async () => {
    const exact = Buffer.from(JSON.stringify('e'.repeat(1_048_576 - 2)));
    const ok = await rawInvoke(s, 'node-nothing', exact, { 'X-Amz-Invocation-Type': 'Event' });
    assert.equal(ok.status, 202);
    const body = Buffer.from(JSON.stringify('e'.repeat(1_048_576)));
    const raw = await rawInvoke(s, 'node-echo', body, { 'X-Amz-Invocation-Type': 'Event' });
    assert.equal(raw.status, 413);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
    assert.deepEqual(raw.json, { message: `${body.length} byte payload is too large for the Event invocation type (limit 1048576 bytes)` });
  });

  test('the 413 comes before the function lookup, and the server stays usable', async () => {
    const raw = await rawInvoke(s, 'doesnotexist', Buffer.alloc(6_291_457, 0x20));
    assert.equal(raw.status, 413);
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'node-echo', Payload: Buffer.from('{"after":1}') }));
    assert.deepEqual(json(r), { after: 1 });
  });
});

describe('InvokeAsync (deprecated)', () => {
  test('202 {"Status":202}, on both trailing-slash forms, and the function runs', async () => {
    const before = (await functionLogs(s, 'py-echo')).match(/START RequestId/g)?.length ?? 0;
    for (const path of ['/2014-11-13/functions/py-echo/invoke-async', '/2014-11-13/functions/py-echo/invoke-async/']) {
      const raw = await rawInvoke(s, 'py-echo', '{"async":true}', {}, { path });
      assert.equal(raw.status, 202);
      assert.deepEqual(raw.json, { Status: 202 });
    }
    const r = await s.client.send(new InvokeAsyncCommand({ FunctionName: 'py-echo', InvokeArgs: Buffer.from('{"sdk":1}') }));
    assert.equal(r.Status, 202);
    await eventually(async () => ((await functionLogs(s, 'py-echo')).match(/START RequestId/g)?.length ?? 0) >= before + 3, 5000, 'the async runs');
    const logs = await functionLogs(s, 'py-echo');
    assert.match(logs, /\{"async": true\}/);
    assert.match(logs, /\{"sdk": 1\}/);
  });

  test('unknown function → 404; non-JSON → 400', async () => {
    const missing = await rawInvoke(s, 'x', '{}', {}, { path: '/2014-11-13/functions/doesnotexist/invoke-async' });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    const bad = await rawInvoke(s, 'x', 'nope', {}, { path: '/2014-11-13/functions/py-echo/invoke-async' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  });

  test('over 256 KB → 413', async () => {
    const raw = await rawInvoke(s, 'x', Buffer.from(JSON.stringify('a'.repeat(262_144))), {}, { path: '/2014-11-13/functions/py-echo/invoke-async' });
    assert.equal(raw.status, 413);
    assert.equal(raw.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
    assert.deepEqual(raw.json, { message: 'Request must be smaller than 262144 bytes for the InvokeAsync operation' });
  });
});

describe('environments', () => {
  test('concurrent invokes of one function run side by side on separate environments, then stay warm', async () => {
    await deploy(s, 'parallel', { fixture: 'invoke-hang' });
    const t0 = Date.now();
    const all = await Promise.all([0, 1, 2].map(() => s.client.send(new InvokeCommand({ FunctionName: 'parallel', LogType: 'Tail', Payload: Buffer.from('{"ms":400}') }))));
    const took = Date.now() - t0;
    for (const r of all) assert.deepEqual(json(r), { waited: 400 });
    assert.ok(took < 1150, `3 × 400 ms took ${took} ms: not run in parallel`);
    assert.equal(all.filter((r) => /Init Duration/.test(decodeLog(r.LogResult))).length, 3, 'three cold starts');
    const again = await Promise.all([0, 1, 2].map(() => s.client.send(new InvokeCommand({ FunctionName: 'parallel', LogType: 'Tail', Payload: Buffer.from('{"ms":50}') }))));
    assert.equal(again.filter((r) => /Init Duration/.test(decodeLog(r.LogResult))).length, 0, 'all three reused warm');
  });

  test('an idle environment is reaped; the next invoke is a cold start', async () => {
    // No standbys here: every new child process is then this function's environment.
    const own = await startAlonzo({ idleTimeoutMs: 300, standbyRuntimes: 0, standbySandboxes: 0 });
    try {
      const before = new Set(childPids());
      await deploy(own, 'reaped', { fixture: 'node-echo' });
      const first = await own.client.send(new InvokeCommand({ FunctionName: 'reaped', LogType: 'Tail' }));
      assert.match(decodeLog(first.LogResult), /Init Duration/);
      const started = childPids().filter((pid) => !before.has(pid));
      assert.equal(started.length, 1, 'one environment process');
      await eventually(async () => !childPids().includes(started[0]), 3000, 'the idle environment to be reaped');
      const next = await own.client.send(new InvokeCommand({ FunctionName: 'reaped', LogType: 'Tail' }));
      assert.match(decodeLog(next.LogResult), /Init Duration/);
    } finally {
      await own.close();
    }
  });

  test('a full machine: an idle environment of another function makes room; all busy → 429 after the queue wait', async () => {
    const own = await startAlonzo({ maxEnvironments: 1, queueWaitMs: 200 });
    try {
      await Promise.all([deploy(own, 'a', { fixture: 'invoke-hang' }), deploy(own, 'b', { fixture: 'node-echo' })]);
      assert.deepEqual(json(await own.client.send(new InvokeCommand({ FunctionName: 'a', Payload: Buffer.from('{"ms":1}') }))), { waited: 1 });
      // a's idle environment is stopped to let b start.
      assert.deepEqual(json(await own.client.send(new InvokeCommand({ FunctionName: 'b', Payload: Buffer.from('{"b":1}') }))), { b: 1 });
      const busy = own.client.send(new InvokeCommand({ FunctionName: 'a', Payload: Buffer.from('{"ms":800}') }));
      await new Promise((ok) => setTimeout(ok, 150));
      await assert.rejects(own.client.send(new InvokeCommand({ FunctionName: 'b' })), (e: any) => {
        assert.equal(e.name, 'TooManyRequestsException');
        assert.equal(e.$metadata.httpStatusCode, 429);
        assert.equal(e.Reason, 'ConcurrentInvocationLimitExceeded');
        return true;
      });
      assert.deepEqual(json(await busy), { waited: 800 });
      // A request that waits while the machine is full gets the room once it frees up.
      const slow = own.client.send(new InvokeCommand({ FunctionName: 'a', Payload: Buffer.from('{"ms":100}') }));
      await new Promise((ok) => setTimeout(ok, 30));
      assert.deepEqual(json(await own.client.send(new InvokeCommand({ FunctionName: 'b', Payload: Buffer.from('{"queued":1}') }))), { queued: 1 });
      await slow;
    } finally {
      await own.close();
    }
  });
});
