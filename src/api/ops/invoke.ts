// Invoke (POST /2015-03-31/functions/{fn}/invocations) and the deprecated InvokeAsync: validate fully, then hand to the invoke engine.
import { err, validation } from '../../core/errors.js';
import { parseFunctionName } from '../../core/names.js';
import { jsonProblem } from '../../core/json-check.js';
import { H } from '../headers.js';
import type { ApiReply, ApiRequest, Operation, Services } from '../context.js';
import type { InvocationType } from '../../invoke/types.js';

/** AWS's payload limits: 6 MB for a synchronous invoke, 1 MB for an Event, 256 KB for the deprecated InvokeAsync. */
export const SYNC_LIMIT = 6_291_456;
export const EVENT_LIMIT = 1_048_576;
export const ASYNC_API_LIMIT = 262_144;
const CLIENT_CONTEXT_LIMIT = 3583;
const CLIENT_CONTEXT_MESSAGE = 'Client context must be a valid Base64-encoded JSON object.';
const TYPES: InvocationType[] = ['RequestResponse', 'Event', 'DryRun'];
const EMPTY = Buffer.from('{}');

/** AWS's 413 wording; the router answers it as soon as a body passes the limit, without reading the rest. */
export const tooLarge = (limit: number, operation: string) => err('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the ${operation} operation`);

export function header(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function readPayload(body: Buffer): Buffer {
  if (body.length === 0) return EMPTY;
  const problem = jsonProblem(body);
  if (problem) throw err('InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${problem}`);
  return body;
}

export function readClientContext(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const bad = () => err('InvalidRequestContentException', CLIENT_CONTEXT_MESSAGE);
  // AWS documents the 3,583-byte cap but no wording of its own for it; the one ClientContext message it is known to send is used.
  if (raw.length > CLIENT_CONTEXT_LIMIT) throw bad();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) throw bad();
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad();
  } catch {
    throw bad();
  }
  return text;
}

export const invoke: Operation = async (s: Services, req: ApiRequest): Promise<ApiReply> => {
  if (req.body.length > SYNC_LIMIT) throw tooLarge(SYNC_LIMIT, 'InvokeFunction');
  const ref = parseFunctionName(req.params.fn, s.account, 'invoke', req.query.get('Qualifier') ?? undefined);
  const type = (header(req, H.invocationType) ?? 'RequestResponse') as InvocationType;
  if (!TYPES.includes(type)) throw validation(type, 'invocationType', 'Member must satisfy enum value set: [Event, RequestResponse, DryRun]');
  const logType = header(req, H.logType) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') throw validation(logType, 'logType', 'Member must satisfy enum value set: [None, Tail]');
  if (type === 'Event' && req.body.length > EVENT_LIMIT) {
    throw err('RequestEntityTooLargeException', `${req.body.length} byte payload is too large for the Event invocation type (limit ${EVENT_LIMIT} bytes)`);
  }
  const clientContext = readClientContext(header(req, H.clientContext));
  const payload = readPayload(req.body);
  const result = await s.invoker.invoke({
    functionName: ref.name,
    qualifier: ref.qualifier,
    invocationType: type,
    payload,
    logTail: logType === 'Tail' && type === 'RequestResponse',
    clientContext: type === 'RequestResponse' ? clientContext : undefined,
    requestId: req.requestId,
    traceId: header(req, H.traceId),
  });
  const headers: Record<string, string> = {};
  if (result.functionError) headers[H.functionError] = result.functionError;
  if (result.logResult !== undefined) headers[H.logResult] = result.logResult;
  if (result.executedVersion !== undefined) headers[H.executedVersion] = result.executedVersion;
  if (result.status !== 200) return { status: result.status, headers };
  return { status: 200, raw: result.payload, headers };
};

/** InvokeAsync: 256 KB, answers 202 `{"Status": 202}`. */
export const invokeAsync: Operation = async (s, req) => {
  if (req.body.length > ASYNC_API_LIMIT) throw tooLarge(ASYNC_API_LIMIT, 'InvokeAsync');
  const ref = parseFunctionName(req.params.fn, s.account, 'invoke');
  const payload = readPayload(req.body);
  await s.invoker.invoke({ functionName: ref.name, qualifier: ref.qualifier, invocationType: 'Event', payload, logTail: false, requestId: req.requestId });
  return { status: 202, json: { Status: 202 } };
};
