// Header names of the Lambda wire protocol, in one table.
export const H = {
  requestId: 'x-amzn-RequestId',
  errorType: 'x-amzn-ErrorType',
  invocationType: 'x-amz-invocation-type',
  logType: 'x-amz-log-type',
  clientContext: 'x-amz-client-context',
  functionError: 'X-Amz-Function-Error',
  logResult: 'X-Amz-Log-Result',
  executedVersion: 'X-Amz-Executed-Version',
  retryAfter: 'Retry-After',
  traceId: 'x-amzn-trace-id',
} as const;
