// What an API operation receives: the services (as small interfaces) and the parsed request.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Store } from '../store/types.js';
import type { CodeStore } from '../code/index.js';
import type { CodeSource } from '../code/s3.js';
import type { Interpreter } from '../runtime/interpreters.js';
import type { Account } from '../core/names.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import type { Invoker } from '../invoke/types.js';
import type { LogStore } from '../runtime/log-sink.js';
import type { AsyncInvokePorts } from '../queue/types.js';
import type { Authenticator, Principal } from '../auth/index.js';
import type { IncomingMessage } from 'node:http';

export interface Services {
  store: Store;
  code: CodeStore;
  /** Where `Code.S3Bucket` / `S3Key` packages are fetched from (code/s3.ts). */
  codeSource: CodeSource;
  /** The interpreter serving each runtime on this node (runtime/interpreters.ts): GetFunction shows a mismatch. */
  runtimes?: Map<string, Interpreter>;
  account: Account;
  config: Config;
  log: Logger;
  invoker: Invoker;
  logs: LogStore;
  /** The async queue (failed events, redrive) and the EventInvokeConfig store. */
  asyncInvoke: AsyncInvokePorts;
  /** Host allowlist, SigV4 verification and policies (auth/index.ts); also presigns Code.Location URLs. */
  auth: Authenticator;
  /** The event source mappings' pollers (esm/): whether a source exists, and a nudge after a change. */
  esm?: EsmPort;
  /** Base URL the server is reachable at (for GetFunction's Code.Location). */
  baseUrl(): string;
  /**
   * Other AWS JSON APIs on this endpoint (`POST /` with an X-Amz-Target; the CloudWatch Logs API of src/observe/):
   * a handler when the request is one of theirs. It answers the request, errors included, in its own protocol.
   */
  targetApi?: (req: IncomingMessage, path: string) => TargetHandler | undefined;
}

/** What the mapping operations need from the pollers (esm/manager.ts). */
export interface EsmPort {
  /** AWS's message when the source (queue, stream) does not exist or cannot be read; undefined when it can. */
  checkSource(eventSourceArn: string): Promise<string | undefined>;
  /** A mapping was created, changed or deleted: act on it now rather than at the next scan. */
  changed(): void;
}

/** Answers a whole request; says which operation and who called, for the access log. */
export type TargetHandler = (req: IncomingMessage, res: ServerResponse, ctx: { requestId: string; path: string; rawQuery: string }) => Promise<{ operation: string; principal?: Principal }>;

export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  requestId: string;
  /** The caller's ARN (what AWS's AccessDenied messages name), when it was authenticated. */
  callerArn?: string;
}

export interface ApiReply {
  status: number;
  /** A JSON body, serialised by the router. */
  json?: unknown;
  /** A raw body (Invoke payloads), sent as is. */
  raw?: Buffer;
  headers?: Record<string, string>;
  /** A body written as it is produced (InvokeWithResponseStream): called once the status and headers are out. */
  stream?: (res: ServerResponse) => void;
}

export type Operation = (s: Services, req: ApiRequest) => Promise<ApiReply> | ApiReply;

const scoped = new WeakMap<Services, Map<string, Services>>();

/**
 * The services as one account sees them: its store rows, EventInvokeConfigs, engine view (ARNs, environments) and
 * in-flight updates. The server's own account gets `s` itself, so the single-account path is unchanged; the others'
 * are built once and kept.
 */
export function servicesFor(s: Services, accountId: string): Services {
  if (accountId === s.account.accountId) return s;
  let byAccount = scoped.get(s);
  if (!byAccount) scoped.set(s, (byAccount = new Map()));
  let v = byAccount.get(accountId);
  if (!v) {
    v = {
      ...s,
      account: { region: s.account.region, accountId },
      store: s.store.forAccount(accountId),
      invoker: s.invoker.forAccount(accountId),
      asyncInvoke: { ...s.asyncInvoke, configs: s.asyncInvoke.configs.forAccount(accountId) },
    };
    byAccount.set(accountId, v);
  }
  return v;
}
