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
  const env = { ALONZO_PORT: '4000', ALONZO_HOST: '0.0.0.0', ALONZO_DATA_DIR: '/tmp/x', ALONZO_ASYNC_TIME_SCALE: '0.001' };
  const c = resolveConfig({ port: 5000 }, env);
  assert.equal(c.port, 5000);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.dataDir, '/tmp/x');
  assert.equal(c.asyncTimeScale, 0.001);
  assert.equal(envName('dataDir'), 'ALONZO_DATA_DIR');
});

test('every problem is reported together, and unknown keys are refused', () => {
  assert.throws(
    () => resolveConfig({ port: 'abc', bogus: 1, region: 'mars' } as never, {}),
    (e: unknown) => e instanceof ConfigError && /port/.test(e.message) && /bogus/.test(e.message) && /region/.test(e.message),
  );
  assert.equal(Object.isFrozen(DEFAULTS), false);
});
