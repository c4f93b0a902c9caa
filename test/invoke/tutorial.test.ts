// The AWS Lambda CLI tutorial, verbatim, through every real client: AWS CLI v2 (/usr/bin/aws, with
// --cli-binary-format raw-in-base64-out), AWS CLI v1 (`aws` on PATH, raw payloads by default), boto3 and
// @aws-sdk/client-lambda. Each client gets its own server, so each creates the tutorial's own `testFunction`.
// A missing client fails the test with what to install; nothing is skipped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { AWS_CLI, ROLE, runAws, runBoto3, startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { fixtureZip } from '../helpers/invoke.js';

const HELLO = { statusCode: 200, body: '"Hello John Smith!"' };
const GOODBYE = { statusCode: 200, body: '"Goodbye John Smith!"' };

/** Fails (never skips) when a client is not installed, saying what is missing. */
function requireTool(cmd: string, args: string[], what: string): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 30_000 });
  } catch (e) {
    assert.fail(`${what} is required for this test and could not be run (${cmd} ${args.join(' ')}: ${(e as Error).message.split('\n')[0]}). Install it (see .ci/run) and run the tests again.`);
  }
}

async function withServer(work: (s: TestServer, dir: string) => Promise<void>): Promise<void> {
  const s = await startAlonzo();
  const dir = mkdtempSync(join(tmpdir(), 'alonzo-tutorial-'));
  try {
    writeFileSync(join(dir, 'function.zip'), await fixtureZip('tutorial-v1'));
    writeFileSync(join(dir, 'function-v2.zip'), await fixtureZip('tutorial-v2'));
    writeFileSync(join(dir, 'event.json'), '{"name": "John Smith"}');
    await work(s, dir);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const cli of ['v2', 'v1'] as const) {
  describe(`AWS CLI ${cli} (${AWS_CLI[cli]})`, () => {
    test('the tutorial: create, invoke with a payload and with file://, publish versions 1 and 2, Event', async () => {
      requireTool(AWS_CLI[cli], ['--version'], `AWS CLI ${cli} (${AWS_CLI[cli]})`);
      // CLI v2 reads --payload as base64 unless told otherwise; the tutorial says to pass this flag.
      const raw = cli === 'v2' ? ['--cli-binary-format', 'raw-in-base64-out'] : [];
      await withServer(async (s, dir) => {
        const aws = async (args: string[], expectOk = true) => {
          const r = await runAws(cli, s.url, args, dir);
          if (expectOk) assert.equal(r.code, 0, `aws ${args.join(' ')}\n${r.stderr}`);
          return r;
        };
        const out = (args: string[]) => aws(args).then((r) => (r.stdout.trim() ? JSON.parse(r.stdout) : {}));
        const response = () => readFileSync(join(dir, 'response.json'), 'utf8');

        const created = await out([
          'lambda', 'create-function', '--function-name', 'testFunction', '--runtime', 'nodejs20.x', '--handler', 'index.handler',
          '--role', ROLE, '--zip-file', 'fileb://function.zip',
        ]);
        assert.equal(created.FunctionName, 'testFunction');
        assert.equal(created.State, 'Pending');
        await aws(['lambda', 'wait', 'function-active-v2', '--function-name', 'testFunction']);

        const inv = await out(['lambda', 'invoke', '--function-name', 'testFunction', ...raw, '--payload', '{"name": "John Smith"}', 'response.json']);
        assert.deepEqual(inv, { StatusCode: 200, ExecutedVersion: '$LATEST' });
        assert.deepEqual(JSON.parse(response()), HELLO);

        const fromFile = await out(['lambda', 'invoke', '--function-name', 'testFunction', ...raw, '--payload', 'file://event.json', 'response.json']);
        assert.deepEqual(fromFile, { StatusCode: 200, ExecutedVersion: '$LATEST' });
        assert.deepEqual(JSON.parse(response()), HELLO);

        if (cli === 'v2') {
          // Without the flag, CLI v2 takes --payload as base64: a base64 payload works as is.
          const b64 = Buffer.from('{"name": "John Smith"}').toString('base64');
          await out(['lambda', 'invoke', '--function-name', 'testFunction', '--payload', b64, 'response.json']);
          assert.deepEqual(JSON.parse(response()), HELLO);
        }

        const tail = await out(['lambda', 'invoke', '--function-name', 'testFunction', ...raw, '--payload', 'file://event.json', '--log-type', 'Tail', 'response.json']);
        assert.deepEqual(Object.keys(tail), ['StatusCode', 'LogResult', 'ExecutedVersion']);
        assert.match(Buffer.from(tail.LogResult, 'base64').toString(), /^START RequestId: \S+ Version: \$LATEST\nEND RequestId: \S+\nREPORT RequestId: /);

        const v1 = await out(['lambda', 'publish-version', '--function-name', 'testFunction']);
        assert.equal(v1.Version, '1');
        await out(['lambda', 'update-function-code', '--function-name', 'testFunction', '--zip-file', 'fileb://function-v2.zip']);
        await aws(['lambda', 'wait', 'function-updated-v2', '--function-name', 'testFunction']);
        const v2 = await out(['lambda', 'publish-version', '--function-name', 'testFunction']);
        assert.equal(v2.Version, '2');

        const q2 = await out(['lambda', 'invoke', '--function-name', 'testFunction', '--qualifier', '2', ...raw, '--payload', '{"name": "John Smith"}', 'response.json']);
        assert.deepEqual(q2, { StatusCode: 200, ExecutedVersion: '2' });
        assert.deepEqual(JSON.parse(response()), GOODBYE);
        const q1 = await out(['lambda', 'invoke', '--function-name', 'testFunction:1', ...raw, '--payload', '{"name": "John Smith"}', 'response.json']);
        assert.deepEqual(q1, { StatusCode: 200, ExecutedVersion: '1' });
        assert.deepEqual(JSON.parse(response()), HELLO);

        const ev = await out(['lambda', 'invoke', '--function-name', 'testFunction', '--invocation-type', 'Event', ...raw, '--payload', '{"name": "John Smith"}', 'response.json']);
        assert.deepEqual(ev, { StatusCode: 202 });
        assert.equal(response(), '');

        const dry = await out(['lambda', 'invoke', '--function-name', 'testFunction', '--invocation-type', 'DryRun', 'response.json']);
        assert.deepEqual(dry, { StatusCode: 204 });
        assert.equal(response(), '');

        // A service error: non-zero exit and AWS's message on stderr (a 404 carries the :$LATEST-suffixed ARN).
        const missing = await aws(['lambda', 'invoke', '--function-name', 'noSuchFunction', 'response.json'], false);
        assert.notEqual(missing.code, 0);
        assert.match(missing.stderr, /An error occurred \(ResourceNotFoundException\) when calling the Invoke operation: Function not found: arn:aws:lambda:us-east-1:000000000000:function:noSuchFunction:\$LATEST/);

        await aws(['lambda', 'delete-function', '--function-name', 'testFunction']);
      });
    });
  });
}

describe('boto3', () => {
  test('the tutorial through boto3', async () => {
    requireTool('python3', ['-c', 'import boto3'], 'boto3 (python3 -c "import boto3")');
    await withServer(async (s, dir) => {
      const script = `
import os
os.chdir(${JSON.stringify(dir)})
out = {}
with open('function.zip', 'rb') as f:
    created = client.create_function(FunctionName='testFunction', Runtime='nodejs20.x', Handler='index.handler', Role=${JSON.stringify(ROLE)}, Code={'ZipFile': f.read()})
out['state'] = created['State']
client.get_waiter('function_active_v2').wait(FunctionName='testFunction', WaiterConfig={'Delay': 1})
r = client.invoke(FunctionName='testFunction', Payload='{"name": "John Smith"}')
out['invoke'] = {'StatusCode': r['StatusCode'], 'ExecutedVersion': r['ExecutedVersion'], 'Payload': json.loads(r['Payload'].read()), 'FunctionError': r.get('FunctionError')}
with open('event.json', 'rb') as f:
    r = client.invoke(FunctionName='testFunction', Payload=f)
out['file'] = json.loads(r['Payload'].read())
out['v1'] = client.publish_version(FunctionName='testFunction')['Version']
with open('function-v2.zip', 'rb') as f:
    client.update_function_code(FunctionName='testFunction', ZipFile=f.read())
client.get_waiter('function_updated_v2').wait(FunctionName='testFunction', WaiterConfig={'Delay': 1})
out['v2'] = client.publish_version(FunctionName='testFunction')['Version']
r = client.invoke(FunctionName='testFunction', Qualifier='2', Payload=b'{"name": "John Smith"}')
out['q2'] = {'ExecutedVersion': r['ExecutedVersion'], 'Payload': json.loads(r['Payload'].read())}
r = client.invoke(FunctionName='testFunction', Qualifier='1', Payload=b'{"name": "John Smith"}')
out['q1'] = {'ExecutedVersion': r['ExecutedVersion'], 'Payload': json.loads(r['Payload'].read())}
r = client.invoke(FunctionName='testFunction', InvocationType='Event', Payload=b'{"name": "John Smith"}')
out['event'] = {'StatusCode': r['StatusCode'], 'Payload': r['Payload'].read().decode(), 'ExecutedVersion': r.get('ExecutedVersion')}
try:
    client.invoke(FunctionName='noSuchFunction')
except client.exceptions.ResourceNotFoundException as e:
    out['missing'] = {'Code': e.response['Error']['Code'], 'Message': e.response['Error']['Message'], 'Status': e.response['ResponseMetadata']['HTTPStatusCode']}
client.delete_function(FunctionName='testFunction')
print(json.dumps(out))
`;
      const r = await runBoto3(s.url, script);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out, {
        state: 'Pending',
        invoke: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: HELLO, FunctionError: null },
        file: HELLO,
        v1: '1',
        v2: '2',
        q2: { ExecutedVersion: '2', Payload: GOODBYE },
        q1: { ExecutedVersion: '1', Payload: HELLO },
        event: { StatusCode: 202, Payload: '', ExecutedVersion: null },
        missing: {
          Code: 'ResourceNotFoundException',
          Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:noSuchFunction:$LATEST',
          Status: 404,
        },
      });
    });
  });
});

describe('@aws-sdk/client-lambda', () => {
  test('the tutorial through SDK v3', async () => {
    await withServer(async (s, dir) => {
      const c = s.client;
      const decode = (p?: Uint8Array) => JSON.parse(Buffer.from(p!).toString('utf8'));
      const created = await c.send(
        new CreateFunctionCommand({
          FunctionName: 'testFunction',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: readFileSync(join(dir, 'function.zip')) },
        }),
      );
      assert.equal(created.State, 'Pending');
      await waitUntilFunctionActiveV2({ client: c, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'testFunction' });
      const r = await c.send(new InvokeCommand({ FunctionName: 'testFunction', Payload: '{"name": "John Smith"}' as unknown as Uint8Array }));
      assert.equal(r.StatusCode, 200);
      assert.equal(r.ExecutedVersion, '$LATEST');
      assert.deepEqual(decode(r.Payload), HELLO);
      assert.equal(r.Payload!.transformToString(), JSON.stringify(HELLO));
      const fromFile = await c.send(new InvokeCommand({ FunctionName: 'testFunction', Payload: readFileSync(join(dir, 'event.json')) }));
      assert.deepEqual(decode(fromFile.Payload), HELLO);

      assert.equal((await c.send(new PublishVersionCommand({ FunctionName: 'testFunction' }))).Version, '1');
      await c.send(new UpdateFunctionCodeCommand({ FunctionName: 'testFunction', ZipFile: readFileSync(join(dir, 'function-v2.zip')) }));
      await waitUntilFunctionUpdatedV2({ client: c, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'testFunction' });
      assert.equal((await c.send(new PublishVersionCommand({ FunctionName: 'testFunction' }))).Version, '2');
      const q2 = await c.send(new InvokeCommand({ FunctionName: 'testFunction', Qualifier: '2', Payload: Buffer.from('{"name": "John Smith"}') }));
      assert.equal(q2.ExecutedVersion, '2');
      assert.deepEqual(decode(q2.Payload), GOODBYE);
      const q1 = await c.send(new InvokeCommand({ FunctionName: 'testFunction', Qualifier: '1', Payload: Buffer.from('{"name": "John Smith"}') }));
      assert.equal(q1.ExecutedVersion, '1');
      assert.deepEqual(decode(q1.Payload), HELLO);

      const ev = await c.send(new InvokeCommand({ FunctionName: 'testFunction', InvocationType: 'Event', Payload: Buffer.from('{"name": "John Smith"}') }));
      assert.equal(ev.StatusCode, 202);
      assert.equal(ev.ExecutedVersion, undefined);
      assert.ok(ev.Payload === undefined || ev.Payload === null || ev.Payload.length === 0);
      await c.send(new DeleteFunctionCommand({ FunctionName: 'testFunction' }));
    });
  });
});
