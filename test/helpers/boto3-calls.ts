// Conformance runs through boto3: a script's `call(key, method, **kwargs)` records each answer normalised as the aws-oracle snapshots are.
import assert from 'node:assert/strict';
import { runBoto3 } from './alonzo.js';

/**
 * Runs `body` (Python, after the prelude) and returns the recorded answers by key: successes and ClientErrors alike,
 * ResponseMetadata cut to the status, `LastModified` datetimes as 'datetime', and the `jsonMembers` (top-level members
 * AWS sends as JSON text, such as GetPolicy's `Policy`) parsed, as the snapshots show them.
 */
export async function boto3Calls(endpoint: string, body: string, opts: { jsonMembers?: string[] } = {}): Promise<Record<string, unknown>> {
  const script = `
import datetime
out = {}
JSON_MEMBERS = ${JSON.stringify(opts.jsonMembers ?? [])}
def fix(o, key=None):
    if key == 'LastModified':
        assert isinstance(o, datetime.datetime), repr(o)
        return 'datetime'
    if isinstance(o, dict):
        return {k: fix(v, k) for k, v in o.items()}
    if isinstance(o, list):
        return [fix(x) for x in o]
    return o
def norm(r):
    r = dict(r)
    r['ResponseMetadata'] = {'HTTPHeaders': {}, 'HTTPStatusCode': r['ResponseMetadata']['HTTPStatusCode']}
    for k in JSON_MEMBERS:
        if k in r:
            r[k] = json.loads(r[k])
    return fix(r)
def call(key, method, **kw):
    try:
        out[key] = norm(getattr(client, method)(**kw))
    except client.exceptions.ClientError as e:
        out[key] = norm(e.response)
${body}
print(json.dumps(out))
`;
  const r = await runBoto3(endpoint, script);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}
