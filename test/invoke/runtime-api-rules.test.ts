// The Runtime API's state rules, probed from inside a custom runtime (only an environment's own processes may call
// its Runtime API): AWS's runtime interface emulator's answers for calls its states do not allow, and a response
// over the 6 MB limit refused while it streams.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { decodeLog, deploy, fixtureZip } from '../helpers/invoke.js';

let s: TestServer;

before(async () => {
  s = await startAlonzo();
  await deploy(s, 'probe', { zip: await fixtureZip('provided-probe', 0o755), Runtime: 'provided.al2023', Handler: 'probe', Timeout: 10 });
});

after(() => s.close());

test("calls a runtime state does not allow get AWS's answers; the invocation is unharmed", async () => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: 'probe', Payload: '{}', LogType: 'Tail' }));
  assert.equal(r.FunctionError, undefined);
  const seen = JSON.parse(Buffer.from(r.Payload!).toString());
  const id = r.$metadata.requestId;
  assert.equal(seen.id, id);
  assert.equal(seen.initError, 403, 'init/error after init');
  assert.deepEqual(seen.initErrorBody, { errorMessage: 'State transition from Running to InitError failed for runtime. Error: State transition is not allowed', errorType: 'InvalidStateTransition' });
  assert.equal(seen.wrongId, 400);
  assert.deepEqual(seen.wrongIdBody, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
  assert.equal(seen.unknown, 404);
  assert.equal(seen.unknownBody, '404 page not found');
  assert.equal(seen.wrongMethod, 405);
  assert.equal(seen.againId, id, 'a next while the invocation runs hands out the same invocation again');
  assert.match(decodeLog(r.LogResult), /^START RequestId/);
  // After the answer, a second response for the same request id was refused (the next invocation tells).
  const next = JSON.parse(Buffer.from((await s.client.send(new InvokeCommand({ FunctionName: 'probe', Payload: '{}' }))).Payload!).toString());
  assert.equal(next.previous, '400 {"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}');
});

test('a response over 6,291,556 bytes: the runtime gets 413 RequestEntityTooLarge, the caller Function.ResponseSizeTooLarge', async () => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: 'probe', Payload: '{"big":7}' }));
  assert.equal(r.FunctionError, 'Unhandled');
  assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), {
    errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    errorType: 'Function.ResponseSizeTooLarge',
  });
  // The runtime was told why (the next invocation tells).
  const next = JSON.parse(Buffer.from((await s.client.send(new InvokeCommand({ FunctionName: 'probe', Payload: '{}' }))).Payload!).toString());
  assert.equal(next.previous, '413 {"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}');
});
