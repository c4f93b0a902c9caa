// The CloudWatch Logs errors Alonzo answers, and their one renderer: the JSON 1.1 protocol's `{"__type", "message"}`.
//
// CloudWatch Logs is not Lambda: every error is HTTP 400 with the exception name in the body's `__type` (clients read
// it there, or from x-amzn-ErrorType, which is sent too) and a lower-case `message`. docs/errors.md lists these in its
// own table, checked against this one by test/observe/logs-errors.test.ts.
import type { ServerResponse } from 'node:http';

export const LOGS_ERRORS = {
  ResourceNotFoundException: { status: 400, description: 'The log group or log stream does not exist (or belongs to another account).' },
  InvalidParameterException: { status: 400, description: 'A parameter is missing, out of range, or two exclusive ones were given.' },
  SerializationException: { status: 400, description: 'The request body is not a JSON object.' },
  UnknownOperationException: { status: 400, description: 'X-Amz-Target names a CloudWatch Logs operation Alonzo does not serve.' },
  AccessDeniedException: { status: 400, description: 'The caller\'s policy does not allow the `logs:` action on the log group.' },
  InvalidSignatureException: { status: 400, description: 'The signature does not match, or is scoped to another service or region.' },
  MissingAuthenticationTokenException: { status: 400, description: 'The request is not signed.' },
  UnrecognizedClientException: { status: 400, description: 'The access key id is not one of Alonzo\'s keys (sigv4 mode).' },
  ServiceUnavailableException: { status: 500, description: 'Alonzo failed internally; the request may be retried.' },
} as const;

export type LogsErrorCode = keyof typeof LOGS_ERRORS;

export class LogsError extends Error {
  constructor(
    readonly code: LogsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const logsErr = (code: LogsErrorCode, message: string) => new LogsError(code, message);

/** AWS's text for one failed model constraint (the same shape as Lambda's ValidationException message). */
export const invalidValue = (value: unknown, field: string, constraint: string) =>
  new LogsError('InvalidParameterException', `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);

export const JSON_11 = 'application/x-amz-json-1.1';

export function sendLogsJson(res: ServerResponse, requestId: string, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'x-amzn-RequestId': requestId, 'Content-Type': JSON_11, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendLogsError(res: ServerResponse, requestId: string, e: LogsError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(e.message === '' ? { __type: e.code } : { __type: e.code, message: e.message });
  res.writeHead(LOGS_ERRORS[e.code].status, { 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': e.code, 'Content-Type': JSON_11, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
