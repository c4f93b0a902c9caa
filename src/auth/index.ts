// The gate every API request passes before its operation runs: Host allowlist, signature (local or sigv4 mode), then the key's policy.
//
// Modes: `local` (the loopback default) accepts any well-formed SigV4 signature whatever its key — LocalStack's
// convention, so `test`/`test` and a developer's real profile both work — except for Alonzo's own keys, which are
// verified; a 12-digit access key id selects that account. `sigv4` verifies every signature against Alonzo's keys.
// Both refuse unsigned requests, foreign Host headers and requests from web pages.
import { SignatureV4 } from '@smithy/signature-v4';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { err } from '../core/errors.js';
import { HostPolicy } from './hosts.js';
import { Keyring, newAccessKeyId, ADMIN_POLICY, type AccessKey, type SharedKeys } from './keys.js';
import { evaluate, type Policy } from './policy.js';
import { checkClock, hasSignature, parseClaim, verifySignature, MESSAGES, NodeSha256, type SignableRequest } from './sigv4.js';
import { actionOf, resourceOf } from './actions.js';
import { FunctionCredentialIssuer, FUNCTION_ROLE_POLICY, TOKEN_PREFIX } from './function-credentials.js';

export type AuthMode = 'local' | 'sigv4';
export const AUTH_MODES: readonly AuthMode[] = ['local', 'sigv4'];

/** Who made a request, as the structured log and the AccessDenied message name them. */
export interface Principal {
  accessKeyId: string;
  accountId: string;
  arn: string;
  /** Undefined: not restricted (local mode, a key that is not Alonzo's). */
  policy?: Policy;
}

export interface AuthOptions {
  mode: AuthMode;
  host: string;
  allowedHosts: string;
  region: string;
  accountId: string;
  dataDir: string;
  root?: { accessKeyId: string; secretAccessKey: string };
  now?: () => number;
  /** Cluster mode: the keys and the function-credentials secret all nodes share (src/cluster/keys.ts). */
  shared?: { keys: SharedKeys; credentialSecret: Buffer };
}

/** The session token a request carries (header, or the presigned query's), if any. */
function securityToken(req: SignableRequest): string | undefined {
  const h = req.headers['x-amz-security-token'];
  if (typeof h === 'string') return h;
  return req.rawQuery.includes('X-Amz-Security-Token') ? (new URLSearchParams(req.rawQuery).get('X-Amz-Security-Token') ?? undefined) : undefined;
}

const principalOf = (k: AccessKey): Principal => ({
  accessKeyId: k.accessKeyId,
  accountId: k.accountId,
  arn: k.userName === 'root' ? `arn:aws:iam::${k.accountId}:root` : `arn:aws:iam::${k.accountId}:user/${k.userName}`,
  policy: k.policy,
});

/** Whether a socket's peer is this machine: 127/8, ::1, or 127/8 written as IPv6. */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Presigned Code.Location URLs are signed by a key only this process knows, allowed nothing but the download. */
const CODE_URL_TTL_S = 600;

export class Authenticator {
  readonly mode: AuthMode;
  readonly keys: Keyring;
  private readonly hosts: HostPolicy;
  private readonly now: () => number;
  private readonly codeKey: AccessKey;
  private readonly codeSigner: SignatureV4;
  /** Mints and verifies the credentials functions get in their environment. */
  readonly functionCredentials: FunctionCredentialIssuer;

  constructor(private readonly o: AuthOptions) {
    this.mode = o.mode;
    this.now = o.now ?? Date.now;
    this.hosts = new HostPolicy(o.host, o.allowedHosts);
    const root = o.root && { ...o.root, accountId: o.accountId, userName: 'root', policy: ADMIN_POLICY, created: new Date().toISOString() };
    // In a cluster the download key is derived from the shared secret, so a Code.Location one node signed works on any.
    const derived = o.shared && createHmac('sha256', o.shared.credentialSecret).update('code-download-key').digest();
    this.codeKey = {
      accessKeyId: derived ? `ALZK${derived.subarray(0, 8).toString('hex').toUpperCase()}` : newAccessKeyId(),
      secretAccessKey: derived ? derived.subarray(8).toString('base64') : randomBytes(30).toString('base64'),
      accountId: o.accountId,
      userName: 'alonzo-code-download',
      policy: { Statement: [{ Effect: 'Allow', Action: 'alonzo:GetCodeZip', Resource: '*' }] },
      created: new Date().toISOString(),
    };
    this.keys = new Keyring(o.dataDir, [...(root ? [root] : []), this.codeKey], o.shared?.keys);
    this.functionCredentials = new FunctionCredentialIssuer(o.shared?.credentialSecret ?? o.dataDir, this.now);
    this.codeSigner = new SignatureV4({ service: 'lambda', region: o.region, credentials: this.codeKey, sha256: NodeSha256, applyChecksum: false });
  }

  /** Whether a Host header names this server (loopback names, --host, --allowed-hosts): the path form of function URLs checks it too. */
  servesHost(host: string | undefined): boolean {
    return typeof host === 'string' && this.hosts.allows(host);
  }

  /** First of all, before the route is even matched: the Host must name this server, and the request be signed. */
  admit(headers: SignableRequest['headers'], rawQuery: string): void {
    const host = headers.host;
    if (typeof host !== 'string' || !this.hosts.allows(host)) {
      throw err('AccessDeniedException', `Host '${String(host ?? '').slice(0, 256)}' is not served here. Alonzo answers requests addressed to a loopback name, its --host, or a name given with --allowed-hosts.`);
    }
    if (!hasSignature(headers, rawQuery)) throw err('MissingAuthenticationTokenException', MESSAGES.missing);
    if (HostPolicy.fromWebPage(headers)) {
      throw err('AccessDeniedException', 'Requests from web pages are refused: the Lambda API grants no cross-origin access. Call it with an AWS SDK or CLI.');
    }
  }

  /**
   * The gate of operators' reads outside the Lambda API (`/metrics`, src/observe/): the Host allowlist and no web page,
   * as for the API; then, in local mode, a peer on loopback needs nothing more (the trust local mode gives the API).
   * Otherwise an Alonzo key whose policy allows `action`: as `Authorization: Bearer <AccessKeyId>:<SecretAccessKey>`
   * (what a Prometheus scrape can send) or a SigV4 signature.
   */
  async admitOperator(req: SignableRequest & { remoteAddress: string | undefined }, action: string): Promise<Principal | undefined> {
    const host = req.headers.host;
    if (typeof host !== 'string' || !this.hosts.allows(host)) throw err('AccessDeniedException', `Host '${String(host ?? '').slice(0, 256)}' is not served here.`);
    if (HostPolicy.fromWebPage(req.headers)) throw err('AccessDeniedException', 'Requests from web pages are refused.');
    const auth = req.headers.authorization;
    let p: Principal | undefined;
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
      const [id, secret] = auth.slice(7).trim().split(':', 2);
      p = this.verifyKey(id ?? '', secret ?? '');
      if (!p) throw err('UnrecognizedClientException', 'The access key id or secret in the Bearer token is not one of Alonzo\'s keys.');
    } else if (hasSignature(req.headers, req.rawQuery)) {
      p = await this.authenticate(req);
    } else if (this.mode === 'local' && isLoopbackPeer(req.remoteAddress)) {
      return undefined;
    } else throw err('MissingAuthenticationTokenException', 'Give an Alonzo key: Authorization: Bearer <AccessKeyId>:<SecretAccessKey>, or a SigV4 signature.');
    this.authorizeAction(p, action, () => '*');
    return p;
  }

  /** The principal of one of Alonzo's keys given with its secret (a Bearer token, the dashboard's login), if they match. */
  verifyKey(accessKeyId: string, secret: string): Principal | undefined {
    const key = accessKeyId ? this.keys.find(accessKeyId) : undefined;
    if (!key || key === this.codeKey) return undefined;
    const a = Buffer.from(secret);
    const b = Buffer.from(key.secretAccessKey);
    return a.length === b.length && timingSafeEqual(a, b) ? principalOf(key) : undefined;
  }

  /** Checks the signature (once the body is read: it is part of what was signed) and says who signed. */
  async authenticate(req: SignableRequest, service = 'lambda'): Promise<Principal> {
    const claim = parseClaim(req);
    // Alonzo's own session tokens (a function's credentials) are verified in both modes; in local mode any other
    // token is a real AWS one and goes the LocalStack way below.
    const token = securityToken(req);
    if (token?.startsWith(TOKEN_PREFIX)) {
      const session = this.functionCredentials.verify(claim.accessKeyId, token);
      this.checkScope(claim, service);
      checkClock(claim, this.now());
      await verifySignature(claim, req, session.secretAccessKey);
      const role = session.roleArn.slice(session.roleArn.lastIndexOf('/') + 1);
      return { accessKeyId: claim.accessKeyId, accountId: session.accountId, arn: `arn:aws:sts::${session.accountId}:assumed-role/${role}/${session.functionName}`, policy: FUNCTION_ROLE_POLICY };
    }
    const key = this.keys.find(claim.accessKeyId);
    if (!key) {
      if (this.mode === 'sigv4') throw err('UnrecognizedClientException', MESSAGES.unknownKey);
      const accountId = /^\d{12}$/.test(claim.accessKeyId) ? claim.accessKeyId : this.o.accountId;
      return { accessKeyId: claim.accessKeyId, accountId, arn: `arn:aws:iam::${accountId}:root` };
    }
    this.checkScope(claim, service);
    checkClock(claim, this.now());
    await verifySignature(claim, req, key.secretAccessKey);
    return principalOf(key);
  }

  private checkScope(claim: { service: string; region: string }, service: string): void {
    if (this.mode !== 'sigv4') return;
    // AWS's wording, trailing space included.
    if (claim.service !== service) throw err('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'. `);
    if (claim.region !== this.o.region) throw err('InvalidSignatureException', `Credential should be scoped to a valid region, not '${claim.region.slice(0, 64)}'. `);
  }

  /** The key's policy for this operation on its resource; AWS's AccessDenied message when it does not allow it. */
  authorize(p: Principal, operation: string, req: { params: Record<string, string>; query: URLSearchParams; body: Buffer }): void {
    this.authorizeAction(p, actionOf(operation, req.query), () => resourceOf(operation, req, this.o.region, p.accountId));
  }

  /** The same check for an action named outright (`logs:FilterLogEvents` on a log group's ARN: src/observe/). */
  authorizeAction(p: Principal, action: string, resource: () => string): void {
    if (!p.policy) return;
    const decision = evaluate(p.policy, action, resource);
    if (decision === 'allow') return;
    const why = decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
    throw err('AccessDeniedException', `User: ${p.arn} is not authorized to perform: ${action} on resource: ${resource()} ${why}`);
  }

  /** A presigned URL for a package download (GetFunction's Code.Location), valid 10 minutes as AWS's is. */
  async presignCodeUrl(base: string, path: string): Promise<string> {
    const u = new URL(base);
    const signed = await this.codeSigner.presign(
      { method: 'GET', protocol: u.protocol, hostname: u.hostname, port: u.port ? Number(u.port) : undefined, path, query: {}, headers: { host: u.host } },
      { expiresIn: CODE_URL_TTL_S, signingDate: new Date(this.now()) },
    );
    const q = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    return `${base}${path}?${q}`;
  }
}
