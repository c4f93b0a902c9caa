// Requests to function URLs the way their users send them: curl, with a URL's own host (curl resolves `*.localhost` to
// loopback) or any Host header; the answer's status, headers (repeated ones kept) and body bytes.
import { execFile } from 'node:child_process';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand, type CreateFunctionUrlConfigCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';

export interface CurlResponse {
  status: number;
  /** Lower-cased names; every value of a repeated header. */
  headers: Map<string, string[]>;
  header(name: string): string | undefined;
  body: Buffer;
  text: string;
  json(): any;
}

export interface CurlRequest {
  method?: string;
  headers?: [string, string][] | Record<string, string>;
  body?: string | Buffer;
}

export function curl(url: string, req: CurlRequest = {}): Promise<CurlResponse> {
  const args = ['-s', '-S', '-i', '--max-time', '60', '-X', req.method ?? (req.body !== undefined ? 'POST' : 'GET')];
  const headers = Array.isArray(req.headers) ? req.headers : Object.entries(req.headers ?? {});
  for (const [k, v] of headers) args.push('-H', `${k}: ${v}`);
  if (req.body !== undefined) args.push('--data-binary', '@-');
  args.push('--path-as-is', url);
  return new Promise((resolve, reject) => {
    const child = execFile('curl', args, { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${url}: ${err.message} ${stderr.toString()}`));
      // An interim `100 Continue` (curl sends Expect for large bodies) comes first: the answer is the last header block.
      let rest = stdout;
      let split = rest.indexOf('\r\n\r\n');
      while (/^HTTP\/[\d.]+ 1\d\d/.test(rest.subarray(0, 16).toString('latin1'))) {
        rest = rest.subarray(split + 4);
        split = rest.indexOf('\r\n\r\n');
      }
      const head = rest.subarray(0, split).toString('latin1').split('\r\n');
      const body = rest.subarray(split + 4);
      const status = Number(head[0].split(' ')[1]);
      const map = new Map<string, string[]>();
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim().toLowerCase();
        map.set(k, [...(map.get(k) ?? []), line.slice(i + 1).trim()]);
      }
      resolve({ status, headers: map, header: (n) => map.get(n.toLowerCase())?.join(', '), body, text: body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')) });
    });
    child.stdin!.end(req.body ?? '');
  });
}

/** The statement a NONE URL needs on AWS: anyone may InvokeFunctionUrl, under the AuthType condition. */
export async function allowPublic(client: LambdaClient, fn: string, qualifier?: string, sid = 'url-public'): Promise<void> {
  await client.send(new AddPermissionCommand({ FunctionName: fn, Qualifier: qualifier, StatementId: sid, Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
}

/** Creates a URL config; its FunctionUrl. */
export async function createUrl(client: LambdaClient, input: CreateFunctionUrlConfigCommandInput): Promise<string> {
  return (await client.send(new CreateFunctionUrlConfigCommand(input))).FunctionUrl!;
}

/** `/_alonzo/url/<id>/` on the API's own address: the path form of a URL. */
export function pathForm(base: string, functionUrl: string): string {
  const id = new URL(functionUrl).hostname.split('.')[0];
  return `${base}/_alonzo/url/${id}/`;
}

/** Returns the event as the response body, with a JSON content type (the echo of AWS's fixtures). */
export const ECHO_EVENT_JS = `exports.handler = async (event, context) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ event, requestId: context.awsRequestId }),
});
`;
