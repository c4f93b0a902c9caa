// Function-name forms and their errors, as AWS parses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFunctionName } from '../../src/core/names.js';
import { ServiceError } from '../../src/core/errors.js';

const acct = { region: 'us-east-1', accountId: '123456789012' };

test('every form names the same function', () => {
  for (const raw of ['my-fn', '123456789012:function:my-fn', 'arn:aws:lambda:us-east-1:123456789012:function:my-fn']) {
    assert.deepEqual(parseFunctionName(raw, acct, 'invoke'), { name: 'my-fn', qualifier: undefined, qualifiedName: false });
  }
  assert.deepEqual(parseFunctionName('my-fn:prod', acct, 'invoke'), { name: 'my-fn', qualifier: 'prod', qualifiedName: true });
  assert.deepEqual(parseFunctionName('arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST', acct, 'invoke', '$LATEST').qualifier, '$LATEST');
});

function code(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ServiceError) return [e.code, e.message];
    throw e;
  }
  assert.fail('no error');
}

test('errors: mismatch, other region, other account, bad pattern, too long', () => {
  assert.deepEqual(code(() => parseFunctionName('my-fn:1', acct, 'invoke', '2')), ['InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.']);
  assert.deepEqual(code(() => parseFunctionName('arn:aws:lambda:eu-west-1:123456789012:function:f', acct, 'invoke')), ['ResourceNotFoundException', "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"]);
  assert.equal(code(() => parseFunctionName('arn:aws:lambda:us-east-1:999999999999:function:f', acct, 'invoke'))[0], 'AccessDeniedException');
  const [c, m] = code(() => parseFunctionName('invalid:function:name', acct, 'create'));
  assert.equal(c, 'ValidationException');
  assert.match(m, /^1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: /);
  assert.deepEqual(code(() => parseFunctionName('a'.repeat(65), acct, 'create')), [
    'InvalidParameterValueException',
    `1 validation error detected: Value '${'a'.repeat(65)}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  ]);
});
