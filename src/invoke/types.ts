// The invoke engine's port, as the API sees it.

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeRequest {
  functionName: string;
  /** As given (version number, alias, $LATEST) or undefined for $LATEST. */
  qualifier?: string;
  invocationType: InvocationType;
  payload: Buffer;
  logTail: boolean;
  /** The decoded ClientContext JSON text. */
  clientContext?: string;
  requestId: string;
  traceId?: string;
}

export interface InvokeResult {
  status: 200 | 202 | 204;
  payload: Buffer;
  functionError?: 'Unhandled' | 'Handled';
  /** base64 of the log's last 4 KB, when LogType Tail was asked for. */
  logResult?: string;
  executedVersion?: string;
}

export interface Invoker {
  invoke(req: InvokeRequest): Promise<InvokeResult>;
  /** Drops warm environments of a function (all versions when version is omitted), e.g. after an update or delete. */
  evict(functionName: string, version?: string): void;
  close(): Promise<void>;
}
