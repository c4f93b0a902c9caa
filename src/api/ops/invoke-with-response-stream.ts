// InvokeWithResponseStream (POST /2021-11-15/functions/{fn}/response-streaming-invocations): validated as Invoke is,
// then the function's bytes go to the client as PayloadChunk events while it writes them, and an InvokeComplete event
// ends the stream with the outcome (ErrorCode, ErrorDetails, LogResult).
import type { ServerResponse } from 'node:http';
import { validation } from '../../core/errors.js';
import { parseFunctionName } from '../../core/names.js';
import { H } from '../headers.js';
import { eventEncoder, EVENT_STREAM_CONTENT_TYPE } from '../eventstream.js';
import { header, readClientContext, readPayload, SYNC_LIMIT, tooLarge } from './invoke.js';
import type { ApiReply, ApiRequest, Operation, Services } from '../context.js';
import type { StreamedInvocation } from '../../invoke/types.js';

const TYPES = ['RequestResponse', 'DryRun'];

export const invokeWithResponseStream: Operation = async (s: Services, req: ApiRequest): Promise<ApiReply> => {
  if (req.body.length > SYNC_LIMIT) throw tooLarge(SYNC_LIMIT, 'InvokeWithResponseStream');
  const ref = parseFunctionName(req.params.fn, s.account, 'invoke', req.query.get('Qualifier') ?? undefined);
  const type = header(req, H.invocationType) ?? 'RequestResponse';
  if (!TYPES.includes(type)) throw validation(type, 'invocationType', 'Member must satisfy enum value set: [RequestResponse, DryRun]');
  const logType = header(req, H.logType) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') throw validation(logType, 'logType', 'Member must satisfy enum value set: [None, Tail]');
  const clientContext = readClientContext(header(req, H.clientContext));
  const payload = readPayload(req.body);
  const common = { functionName: ref.name, qualifier: ref.qualifier, payload, requestId: req.requestId, traceId: header(req, H.traceId) };
  if (type === 'DryRun') {
    const r = await s.invoker.invoke({ ...common, invocationType: 'DryRun', logTail: false });
    return { status: r.status, headers: {} };
  }
  // The codec is loaded before anything runs, so that a function's first bytes never wait for it.
  const encode = await eventEncoder();
  const inv = await s.invoker.invokeStream({ ...common, logTail: logType === 'Tail', clientContext });
  return {
    status: 200,
    headers: { 'Content-Type': EVENT_STREAM_CONTENT_TYPE, [H.executedVersion]: inv.executedVersion },
    stream: (res) => relay(inv, res, encode),
  };
};

/**
 * Writes the invocation to the client as it happens: one PayloadChunk per piece the function wrote, then
 * InvokeComplete. The client's pace holds the function back (the body is paused while the socket is full); a client
 * that goes away drops the rest, and the invocation ends as it would have (or at its timeout).
 */
function relay(inv: StreamedInvocation, res: ServerResponse, encode: (eventType: string, contentType: string, payload: Uint8Array) => Buffer): void {
  const { body } = inv;
  res.on('close', () => {
    if (!res.writableFinished) body.destroy();
  });
  res.on('drain', () => body.resume());
  body.on('data', (chunk: Buffer) => {
    if (!res.write(encode('PayloadChunk', 'application/octet-stream', chunk))) body.pause();
  });
  body.on('error', () => res.destroy());
  body.on('end', () => {
    void inv.done.then(
      (c) => {
        const complete: Record<string, string> = {};
        if (c.functionError) {
          complete.ErrorCode = c.functionError;
          complete.ErrorDetails = c.errorPayload?.toString('utf8') ?? '';
        }
        complete.LogResult = c.logResult ?? '';
        res.end(encode('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(complete))));
      },
      () => res.destroy(),
    );
  });
}
