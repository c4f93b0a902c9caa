// The invocation record AWS sends to destinations, and the message a dead-letter queue gets, in AWS's exact shapes.
//
// Shapes from aws-oracle async-destinations.snapshot.json (test_assess_lambda_destination_invocation, test_retries,
// test_maxeventage, test_dead_letter_queue).
import type { AsyncEvent, AttemptResponse, FailureCondition } from './types.js';

export type RecordCondition = 'Success' | Exclude<FailureCondition, 'FunctionNotFound'>;

export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: RecordCondition | 'FunctionNotFound'; approximateInvokeCount: number };
  requestPayload: unknown;
  /** Absent when the event never reached the function (throttled until it expired). */
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload?: unknown;
}

/** A payload as the record carries it: the JSON value when it is JSON (Invoke payloads always are), else the text. */
export function jsonValue(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function destinationRecord(
  ev: AsyncEvent,
  functionArn: string,
  condition: DestinationRecord['requestContext']['condition'],
  approximateInvokeCount: number,
  response: AttemptResponse | undefined,
  now: Date = new Date(),
): DestinationRecord {
  const record: DestinationRecord = {
    version: '1.0',
    timestamp: now.toISOString(),
    requestContext: { requestId: ev.requestId, functionArn, condition, approximateInvokeCount },
    requestPayload: jsonValue(ev.payload),
  };
  if (response) {
    record.responseContext = { statusCode: 200, executedVersion: response.executedVersion };
    if (response.functionError) record.responseContext.functionError = response.functionError;
    record.responsePayload = jsonValue(response.payload);
  }
  return record;
}

/** What SQS/SNS receive from a dead-letter queue: the original event as the body, the error as attributes. */
export function deadLetterMessage(ev: AsyncEvent, response: AttemptResponse | undefined, reason: string): unknown {
  const answer = response ? jsonValue(response.payload) : undefined;
  const errorMessage =
    answer && typeof answer === 'object' && typeof (answer as { errorMessage?: unknown }).errorMessage === 'string'
      ? (answer as { errorMessage: string }).errorMessage
      : reason;
  const attributes: Record<string, { DataType: string; StringValue: string }> = { RequestID: { DataType: 'String', StringValue: ev.requestId } };
  // The status of the function's answer; an event that never reached the function has none.
  if (response) attributes.ErrorCode = { DataType: 'Number', StringValue: '200' };
  attributes.ErrorMessage = { DataType: 'String', StringValue: errorMessage };
  return { Body: ev.payload.toString('utf8'), MessageAttributes: attributes };
}
