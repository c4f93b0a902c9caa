// Shared pieces of the management-API conformance tests: AWS's recorded key sets, error assertions and raw HTTP.
//
// The key sets are copied from reference/aws-oracle/*.snapshot.json (what boto3 got back from real AWS), so a
// test compares Alonzo's response with AWS's field by field instead of with Alonzo's own idea of the shape.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateFunctionCommand, GetFunctionCommand, type LambdaClient, type CreateFunctionCommandInput } from '@aws-sdk/client-lambda';
import { zipOf, ROLE } from './alonzo.js';
import { signedFetch } from './sign.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const arnOf = (name: string, qualifier?: string): string =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** FunctionConfiguration.LastModified as AWS writes it: `2024-01-01T00:00:00.000+0000`. */
export const LAST_MODIFIED_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

/** ListFunctions / ListVersionsByFunction entries (oracle `list_all`, `list_versions_result`): no state fields. */
const LISTED = [
  'Architectures', 'CodeSha256', 'CodeSize', 'Description', 'EphemeralStorage', 'FunctionArn', 'FunctionName', 'Handler',
  'LastModified', 'LoggingConfig', 'MemorySize', 'PackageType', 'RevisionId', 'Role', 'Runtime', 'SnapStart', 'Timeout',
  'TracingConfig', 'Version',
];

/** The FunctionConfiguration key sets AWS returns at each point of a function's life. */
export const KEYS = {
  listed: LISTED,
  /** CreateFunction (201), and a version published by UpdateFunctionCode(Publish) while it is still Pending. */
  created: [...LISTED, 'RuntimeVersionConfig', 'State', 'StateReason', 'StateReasonCode'],
  /** GetFunction(.Configuration), GetFunctionConfiguration, PublishVersion once the function is Active. */
  active: [...LISTED, 'RuntimeVersionConfig', 'State', 'LastUpdateStatus'],
  /** UpdateFunctionCode / UpdateFunctionConfiguration responses (200). */
  updating: [...LISTED, 'RuntimeVersionConfig', 'State', 'LastUpdateStatus', 'LastUpdateStatusReason', 'LastUpdateStatusReasonCode'],
  alias: ['AliasArn', 'Description', 'FunctionVersion', 'Name', 'RevisionId'],
} as const;

/** Asserts the exact key set of a response (SDK `$metadata` aside), adding the optional ones given. */
export function assertKeys(obj: object, keys: readonly string[], ...extra: string[]): void {
  const got = Object.keys(obj).filter((k) => k !== '$metadata' && (obj as Record<string, unknown>)[k] !== undefined).sort();
  assert.deepEqual(got, [...keys, ...extra].sort());
}

/** The fixed parts every FunctionConfiguration carries, as AWS records them. */
export function assertDefaults(c: Record<string, unknown>, name: string): void {
  assert.equal(c.FunctionName, name);
  assert.equal(c.PackageType, 'Zip');
  assert.deepEqual(c.EphemeralStorage, { Size: 512 });
  assert.deepEqual(c.SnapStart, { ApplyOn: 'None', OptimizationStatus: 'Off' });
  assert.deepEqual(c.TracingConfig, { Mode: 'PassThrough' });
  assert.deepEqual(c.LoggingConfig, { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` });
  assert.match(String(c.LastModified), LAST_MODIFIED_RE);
  assert.match(String(c.RevisionId), UUID_RE);
  if (c.RuntimeVersionConfig !== undefined) {
    assert.match(String((c.RuntimeVersionConfig as { RuntimeVersionArn: string }).RuntimeVersionArn), /^arn:aws:lambda:us-east-1::runtime:/);
  }
}

export const sha256b64 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');

export interface AwsErrorLike {
  name: string;
  message: string;
  Type?: string;
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };
  /** TooManyRequestsException's members. */
  Reason?: string;
  retryAfterSeconds?: string;
}

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function rejection(p: Promise<unknown>): Promise<AwsErrorLike> {
  try {
    await p;
  } catch (e) {
    return e as AwsErrorLike;
  }
  return assert.fail('expected the call to fail');
}

/** Asserts a service error as SDK v3 surfaces it: code (`name`), HTTP status, message, one attempt, a request id. */
export async function assertAwsError(p: Promise<unknown>, want: { name: string; status: number; message: string; typed?: boolean }): Promise<AwsErrorLike> {
  const e = await rejection(p);
  assert.equal(e.name, want.name, `error code (message was: ${e.message})`);
  assert.equal(e.$metadata.httpStatusCode, want.status);
  assert.equal(e.message, want.message);
  assert.match(String(e.$metadata.requestId), UUID_RE);
  if (want.typed !== undefined) assert.equal(e.Type, want.typed ? 'User' : undefined);
  return e;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** A plain HTTP request (no SDK; signed with SigV4 unless `unsigned`) for what the SDK hides: body casing, paths, headers. */
export async function raw(base: string, method: string, path: string, body?: unknown, opts: { unsigned?: boolean } = {}): Promise<RawResponse> {
  const init: { method: string; body?: string; headers?: Record<string, string> } = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const r = opts.unsigned ? await fetch(base + path, init) : await signedFetch(base + path, init);
  const text = await r.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** Asserts an error's wire form: status, `x-amzn-ErrorType`, a lowercase-UUID request id, and the body exactly. */
export function assertWireError(r: RawResponse, status: number, code: string, body: Record<string, unknown>): void {
  assert.equal(r.status, status);
  assert.equal(r.headers.get('x-amzn-errortype'), code);
  assert.match(String(r.headers.get('x-amzn-requestid')), UUID_RE);
  assert.match(String(r.headers.get('content-type')), /^application\/json/);
  assert.deepEqual(r.json, body);
}

/** A role in `accountId`: a function's role must be of its own account (AWS: "Cross-account pass role is not allowed."). */
export const roleIn = (accountId: string): string => `arn:aws:iam::${accountId}:role/lambda-role`;

export const ECHO_JS = 'exports.handler = async (event) => event;\n';

/** Creates a Node function with the fewest fields AWS requires; `extra` overrides any of them. */
export async function createFunction(client: LambdaClient, name: string, extra: Partial<CreateFunctionCommandInput> = {}, code = ECHO_JS) {
  return client.send(new CreateFunctionCommand({
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Role: ROLE,
    Code: { ZipFile: await zipOf({ 'index.js': code }) },
    ...extra,
  }));
}

/** Polls GetFunction as `aws lambda wait function-updated-v2` does, until State Active and LastUpdateStatus Successful. */
export async function waitUpdated(client: LambdaClient, name: string, qualifier?: string) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier }));
    if (r.Configuration?.State === 'Active' && r.Configuration.LastUpdateStatus === 'Successful') return r;
    if (Date.now() > deadline) assert.fail(`${name} did not become Active/Successful: ${JSON.stringify(r.Configuration)}`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}
