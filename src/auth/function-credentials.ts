// Credentials Alonzo mints for a function's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), verifiable without storing any.
//
// Like STS's, a set is an `ASIA…` key id, a secret and a session token. The token carries the account, the role, the
// function and the expiry, signed with HMAC-SHA256 under a server secret kept in <dataDir>/auth/function-credentials.key
// (0600, created once, so credentials outlive a restart); the key id and the secret are derived from the token under
// the same secret. So a request signed with them is verified from the token alone: nothing is stored per environment,
// and a forged, altered or foreign token (or a key id that is not its own) is refused.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { err } from '../core/errors.js';
import type { Policy } from './policy.js';

/** Lambda's own credentials last about as long; environments are retired well before (see FUNCTION_ENVIRONMENT_MAX_AGE_MS). */
export const FUNCTION_CREDENTIALS_TTL_MS = 12 * 3600_000;
/**
 * Environments older than this are not given another invocation (runtime/pool.ts): an invocation may run 15 minutes,
 * so its credentials stay valid for the whole of it with a margin.
 */
export const FUNCTION_ENVIRONMENT_MAX_AGE_MS = FUNCTION_CREDENTIALS_TTL_MS - 3600_000;

/** Marks Alonzo's tokens: in local mode any other session token is a real AWS one, accepted as LocalStack does. */
export const TOKEN_PREFIX = 'ALZ1.';

/**
 * What a function's credentials may do by default (there is no IAM role store yet): invoke and read functions. Its own
 * account's only, unless another account's resource-based policy allows it (api/cross-account.ts), as across accounts
 * on AWS; never create, change or delete anything.
 */
export const FUNCTION_ROLE_POLICY: Policy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction', 'lambda:InvokeAsync', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration'], Resource: 'arn:aws:lambda:*:*:function:*' }],
};

export interface FunctionCredentials {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_SESSION_TOKEN: string;
}

interface Claims {
  /** Account, role ARN, function name, expiry (epoch ms). */
  a: string;
  r: string;
  f: string;
  e: number;
  n: string;
}

export interface VerifiedSession {
  accountId: string;
  roleArn: string;
  functionName: string;
  secretAccessKey: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const INVALID = 'The security token included in the request is invalid.';

/** The server secret: 32 random bytes, made once per data dir (0600 in the 0700 auth folder). */
function serverSecret(dataDir: string): Buffer {
  const dir = join(dataDir, 'auth');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, 'function-credentials.key');
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('hex'));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new Error(`${path} is not a 32-byte hex key: delete it to have a new one made (credentials minted with the old one stop working)`);
  return key;
}

export class FunctionCredentialIssuer {
  private readonly key: Buffer;

  /** `source`: the data dir whose secret file to use, or the secret itself (cluster mode: the one all nodes share). */
  constructor(source: string | Buffer, private readonly now: () => number = Date.now) {
    this.key = typeof source === 'string' ? serverSecret(source) : source;
  }

  private mac(purpose: string, data: string): Buffer {
    return createHmac('sha256', this.key).update(`${purpose}\u0000${data}`).digest();
  }

  private keyIdOf(token: string): string {
    const h = this.mac('key-id', token);
    let id = 'ASIA';
    for (let i = 0; i < 16; i++) id += BASE32[h[i] & 31];
    return id;
  }

  private secretOf(token: string): string {
    return this.mac('secret', token).toString('base64').slice(0, 40);
  }

  /** A fresh set for one environment of `functionName`, valid FUNCTION_CREDENTIALS_TTL_MS. */
  mint(accountId: string, roleArn: string, functionName: string): FunctionCredentials {
    const claims: Claims = { a: accountId, r: roleArn, f: functionName, e: this.now() + FUNCTION_CREDENTIALS_TTL_MS, n: randomBytes(8).toString('hex') };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const token = `${TOKEN_PREFIX}${body}.${this.mac('token', body).toString('base64url')}`;
    return { AWS_ACCESS_KEY_ID: this.keyIdOf(token), AWS_SECRET_ACCESS_KEY: this.secretOf(token), AWS_SESSION_TOKEN: token };
  }

  /**
   * Checks a token Alonzo minted and the key id it came with: AWS's UnrecognizedClientException for anything forged
   * or altered, ExpiredTokenException once it has expired. The signature itself is checked by the caller with the
   * secret returned.
   */
  verify(accessKeyId: string, token: string): VerifiedSession {
    const [body, mac] = token.slice(TOKEN_PREFIX.length).split('.');
    const want = body === undefined ? undefined : this.mac('token', body);
    const got = Buffer.from(mac ?? '', 'base64url');
    if (!want || got.length !== want.length || !timingSafeEqual(got, want)) throw err('UnrecognizedClientException', INVALID);
    const id = Buffer.from(accessKeyId);
    const expected = Buffer.from(this.keyIdOf(token));
    if (id.length !== expected.length || !timingSafeEqual(id, expected)) throw err('UnrecognizedClientException', INVALID);
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
    if (this.now() >= claims.e) throw err('ExpiredTokenException', 'The security token included in the request is expired');
    return { accountId: claims.a, roleArn: claims.r, functionName: claims.f, secretAccessKey: this.secretOf(token) };
  }
}
