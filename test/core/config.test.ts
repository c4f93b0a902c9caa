// Settings: flags beat environment beats defaults, and every problem is reported at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, resolveConfig, envName, ConfigError } from '../../src/config/index.js';

test('defaults: 127.0.0.1:3001 with data in ./.alonzo, us-east-1, account 000000000000', () => {
  const c = resolveConfig({}, {});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 3001);
  assert.equal(c.dataDir, '.alonzo');
  assert.equal(c.region, 'us-east-1');
  assert.equal(c.accountId, '000000000000');
  assert.equal(c.asyncTimeScale, 1);
});

test('environment variables override defaults and flags override both', () => {
  const env = { ALONZO_PORT: '4000', ALONZO_HOST: '0.0.0.0', ALONZO_AUTH: 'sigv4', ALONZO_DATA_DIR: '/tmp/x', ALONZO_ASYNC_TIME_SCALE: '0.001' };
  const c = resolveConfig({ port: 5000 }, env);
  assert.equal(c.port, 5000);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.dataDir, '/tmp/x');
  assert.equal(c.asyncTimeScale, 0.001);
  assert.equal(c.auth, 'sigv4');
  assert.equal(envName('dataDir'), 'ALONZO_DATA_DIR');
  assert.equal(envName('rootSecretAccessKey'), 'ALONZO_ROOT_SECRET_ACCESS_KEY');
});

test('auth: local by default on loopback; beyond loopback only sigv4, and the refusal says how to make a key', () => {
  assert.equal(resolveConfig({}, {}).auth, 'local');
  for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1']) assert.equal(resolveConfig({ host }, {}).auth, 'local', host);
  for (const host of ['0.0.0.0', '192.168.1.10', '::']) {
    assert.throws(
      () => resolveConfig({ host }, {}),
      (e: unknown) => e instanceof ConfigError && /beyond loopback/.test(e.message) && /alonzo keys create/.test(e.message) && /ALONZO_ROOT_ACCESS_KEY_ID/.test(e.message),
      host,
    );
    assert.throws(() => resolveConfig({ host, auth: 'local' }, {}), ConfigError);
    assert.equal(resolveConfig({ host, auth: 'sigv4' }, {}).auth, 'sigv4');
  }
  assert.throws(() => resolveConfig({ auth: 'none' }, {}), (e: unknown) => e instanceof ConfigError && /auth must be one of local, sigv4/.test(e.message));
  assert.throws(() => resolveConfig({}, { ALONZO_ROOT_ACCESS_KEY_ID: 'ADMIN' }), (e: unknown) => e instanceof ConfigError && /give both or neither/.test(e.message));
  const c = resolveConfig({}, { ALONZO_ROOT_ACCESS_KEY_ID: 'ADMIN', ALONZO_ROOT_SECRET_ACCESS_KEY: 's3cret', ALONZO_ALLOWED_HOSTS: 'alonzo.internal,ci' });
  assert.equal(c.rootAccessKeyId, 'ADMIN');
  assert.equal(c.allowedHosts, 'alonzo.internal,ci');
});

test('every problem is reported together, and unknown keys are refused', () => {
  assert.throws(
    () => resolveConfig({ port: 'abc', bogus: 1, region: 'mars' } as never, {}),
    (e: unknown) => e instanceof ConfigError && /port/.test(e.message) && /bogus/.test(e.message) && /region/.test(e.message),
  );
  assert.equal(Object.isFrozen(DEFAULTS), false);
});
