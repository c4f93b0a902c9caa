// IAM policy evaluation, the operation → action/resource mapping, and the Host allowlist, as units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parsePolicy, PolicyError } from '../../src/auth/policy.js';
import { actionOf, resourceOf } from '../../src/auth/actions.js';
import { HostPolicy, hostName } from '../../src/auth/hosts.js';

const q = (s = '') => new URLSearchParams(s);
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:';

test('explicit Deny wins over Allow, Allow over the default deny; actions match case-insensitively, resources case-sensitively', () => {
  const p = parsePolicy({
    Statement: [
      { Effect: 'Allow', Action: 'lambda:*', Resource: '*' },
      { Effect: 'Deny', Action: ['lambda:Delete*', 'lambda:Update?unctionCode'], Resource: `${ARN}prod-*` },
    ],
  });
  assert.equal(evaluate(p, 'lambda:DeleteFunction', `${ARN}prod-api`), 'explicit-deny');
  assert.equal(evaluate(p, 'lambda:UpdateFunctionCode', `${ARN}prod-api`), 'explicit-deny');
  assert.equal(evaluate(p, 'lambda:DeleteFunction', `${ARN}dev-api`), 'allow');
  assert.equal(evaluate(p, 'lambda:DeleteFunction', `${ARN}PROD-api`), 'allow', 'ARNs are case-sensitive');
  assert.equal(evaluate(p, 'alonzo:GetLogs', `${ARN}dev-api`), 'implicit-deny');
  const lower = parsePolicy('{"Statement":{"Effect":"Allow","Action":"LAMBDA:getfunction","Resource":"arn:aws:lambda:*:*:function:a?c"}}');
  assert.equal(evaluate(lower, 'lambda:GetFunction', `${ARN}abc`), 'allow');
  assert.equal(evaluate(lower, 'lambda:GetFunction', `${ARN}abbc`), 'implicit-deny');
  assert.equal(evaluate(lower, 'lambda:GetFunctionConfiguration', `${ARN}abc`), 'implicit-deny');
  // `*` in a resource spans colons: `function:fn*` also covers the qualified `function:fn:prod`.
  const fn = parsePolicy({ Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `${ARN}fn*` }] });
  assert.equal(evaluate(fn, 'lambda:InvokeFunction', `${ARN}fn:prod`), 'allow');
  // A resource is worked out only when a statement needs it (CreateFunction's means parsing its body).
  let asked = 0;
  const arn = () => (asked++, `${ARN}x`);
  assert.equal(evaluate(parsePolicy({ Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }), 'lambda:CreateFunction', arn), 'allow');
  assert.equal(asked, 0);
  assert.equal(evaluate(p, 'lambda:DeleteFunction', arn), 'allow');
  assert.equal(asked, 1, 'asked once, however many statements need it');
  // Regex characters in a pattern are literal.
  const dots = parsePolicy({ Statement: [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: `${ARN}a.b` }] });
  assert.equal(evaluate(dots, 'lambda:GetFunction', `${ARN}axb`), 'implicit-deny');
});

test('a policy Alonzo cannot enforce fully is refused, with the reason', () => {
  for (const [doc, why] of [
    ['not json', /not JSON/],
    [{}, /no Statement/],
    [{ Statement: [] }, /no Statement/],
    [{ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }, /Effect must be Allow or Deny/],
    [{ Statement: [{ Effect: 'Allow', NotAction: 'lambda:Delete*', Resource: '*' }] }, /NotAction is not supported/],
    [{ Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*', Condition: { IpAddress: {} } }] }, /Condition is not supported/],
    [{ Statement: [{ Effect: 'Allow', Action: [], Resource: '*' }] }, /Action must be/],
    [{ Statement: [{ Effect: 'Allow', Action: 'lambda:*' }] }, /Resource must be/],
  ] as const) {
    assert.throws(() => parsePolicy(doc), (e: unknown) => e instanceof PolicyError && why.test(e.message), JSON.stringify(doc));
  }
});

test('each operation has its IAM action and resource ARN', () => {
  assert.equal(actionOf('Invoke', q()), 'lambda:InvokeFunction');
  assert.equal(actionOf('DeleteFunction', q()), 'lambda:DeleteFunction');
  assert.equal(actionOf('GetProvisionedConcurrencyConfig', q('List=ALL')), 'lambda:ListProvisionedConcurrencyConfigs');
  assert.equal(actionOf('GetLogs', q()), 'alonzo:GetLogs');
  const r = (op: string, fn: string | undefined, query = '', body = '') => resourceOf(op, { params: fn === undefined ? {} : { fn }, query: q(query), body: Buffer.from(body) }, 'us-east-1', '000000000000');
  assert.equal(r('ListFunctions', undefined), '*');
  assert.equal(r('GetAccountSettings', undefined), '*');
  assert.equal(r('GetFunction', 'my-fn'), `${ARN}my-fn`);
  assert.equal(r('Invoke', 'my-fn:prod'), `${ARN}my-fn:prod`);
  assert.equal(r('Invoke', 'my-fn', 'Qualifier=3'), `${ARN}my-fn:3`);
  assert.equal(r('Invoke', '111122223333:function:my-fn'), 'arn:aws:lambda:us-east-1:111122223333:function:my-fn');
  assert.equal(r('Invoke', `${ARN}my-fn:prod`), `${ARN}my-fn:prod`);
  assert.equal(r('Invoke', `${ARN}my-fn`, 'Qualifier=prod'), `${ARN}my-fn:prod`);
  assert.equal(r('CreateFunction', undefined, '', '{"FunctionName":"new-fn"}'), `${ARN}new-fn`);
  assert.equal(r('CreateFunction', undefined, '', 'not json'), `${ARN}`);
});

test('Host names: loopback with any port, the configured host and the allowed list; lookalikes are not', () => {
  assert.equal(hostName('LOCALHOST:3001'), 'localhost');
  assert.equal(hostName('[::1]:3001'), '[::1]');
  const h = new HostPolicy('192.168.1.20', 'alonzo.internal, Build-Box');
  for (const ok of ['127.0.0.1:1', '127.255.0.9', 'localhost', 'a.b.localhost:80', '[::1]:9', '192.168.1.20:3001', 'alonzo.internal', 'build-box:3001']) assert.equal(h.allows(ok), true, ok);
  for (const no of [undefined, '', 'evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', '192.168.1.21', 'alonzo.internal.evil', '[::2]']) assert.equal(h.allows(no), false, String(no));
  // A server listening on every interface is still only served under names it was given.
  assert.equal(new HostPolicy('0.0.0.0', '').allows('0.0.0.0:3001'), false);
  assert.equal(HostPolicy.fromWebPage({ host: 'localhost:3001' }), false);
  assert.equal(HostPolicy.fromWebPage({ host: 'localhost:3001', origin: 'http://localhost:3001' }), false);
  assert.equal(HostPolicy.fromWebPage({ host: 'localhost:3001', origin: 'http://localhost:8080' }), true);
  assert.equal(HostPolicy.fromWebPage({ host: 'localhost:3001', 'sec-fetch-site': 'same-site' }), true);
});
