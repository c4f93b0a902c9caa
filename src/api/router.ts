// The Lambda REST routes: method + AWS's dated path (both trailing-slash forms, percent-decoded segments) → operation.
import { readCappedBody as readBody } from '../core/http-body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { err, ServiceError } from '../core/errors.js';
import { newRequestId } from '../core/ids.js';
import { sendThrown, sendJson, sendEmpty, sendRaw, sendStream } from './respond.js';
import { accountFor } from './cross-account.js';
import { servicesFor, type ApiReply, type Operation, type Services } from './context.js';
import type { Principal } from '../auth/index.js';
import { createFunction } from './ops/create-function.js';
import { getFunction, getFunctionConfiguration } from './ops/get-function.js';
import { listFunctions, listVersionsByFunction } from './ops/list-functions.js';
import { deleteFunction } from './ops/delete-function.js';
import { updateFunctionCode, updateFunctionConfiguration } from './ops/update-function.js';
import { publishVersion } from './ops/publish-version.js';
import { createAlias, deleteAlias, getAlias, listAliases, updateAlias } from './ops/aliases.js';
import { getAccountSettings } from './ops/account-settings.js';
import { invoke, invokeAsync, tooLarge, SYNC_LIMIT, ASYNC_API_LIMIT } from './ops/invoke.js';
import { invokeWithResponseStream } from './ops/invoke-with-response-stream.js';
import { getCodeZip } from './ops/code-zip.js';
import { getLogs } from './ops/logs.js';
import { putProvisionedConcurrencyConfig, getProvisionedConcurrency, deleteProvisionedConcurrencyConfig } from './ops/provisioned-concurrency.js';
import { putFunctionConcurrency, getFunctionConcurrency, deleteFunctionConcurrency } from './ops/concurrency.js';
import { putFunctionEventInvokeConfig, updateFunctionEventInvokeConfig, getFunctionEventInvokeConfig, deleteFunctionEventInvokeConfig, listFunctionEventInvokeConfigs } from './ops/event-invoke-config.js';
import { getEventCounts, listFailedEvents, redriveFailedEvents } from './ops/failed-events.js';
import { addPermission, getPolicy, removePermission } from './ops/permissions.js';
import { tagResource, untagResource, listTags } from './ops/tags.js';
import { getFunctionRecursionConfig, putFunctionRecursionConfig } from './ops/recursion-config.js';
import {
  addLayerVersionPermission,
  deleteLayerVersion,
  getLayerVersion,
  getLayerVersionPolicy,
  listLayers,
  listLayerVersions,
  publishLayerVersion,
  removeLayerVersionPermission,
} from './ops/layers.js';
import { createEventSourceMapping, deleteEventSourceMapping, getEventSourceMapping, listEventSourceMappings, updateEventSourceMapping } from './ops/event-source-mappings.js';
import { createFunctionUrlConfig, getFunctionUrlConfig, updateFunctionUrlConfig, deleteFunctionUrlConfig, listFunctionUrlConfigs } from './ops/function-urls.js';

interface Route {
  method: string;
  /** Path segments; `{name}` captures one (percent-decoded) segment. */
  segments: string[];
  name: string;
  op: Operation;
  /** Largest body accepted, in bytes; past it the request gets 413 without being read further. */
  bodyLimit: number;
  tooLarge?: (size: number) => ServiceError;
}

const MANAGEMENT_LIMIT = 70_167_211;
const manageTooLarge = (name: string) => () => err('RequestEntityTooLargeException', `Request must be smaller than ${MANAGEMENT_LIMIT} bytes for the ${name} operation`);

const table: [string, string, string, Operation, number?, ((n: number) => ServiceError)?][] = [
  ['POST', '/2015-03-31/functions/{fn}/invocations', 'Invoke', invoke, SYNC_LIMIT, () => tooLarge(SYNC_LIMIT, 'InvokeFunction')],
  ['POST', '/2021-11-15/functions/{fn}/response-streaming-invocations', 'InvokeWithResponseStream', invokeWithResponseStream, SYNC_LIMIT, () => tooLarge(SYNC_LIMIT, 'InvokeWithResponseStream')],
  ['POST', '/2014-11-13/functions/{fn}/invoke-async', 'InvokeAsync', invokeAsync, ASYNC_API_LIMIT, () => tooLarge(ASYNC_API_LIMIT, 'InvokeAsync')],
  ['POST', '/2015-03-31/functions', 'CreateFunction', createFunction],
  ['GET', '/2015-03-31/functions', 'ListFunctions', listFunctions],
  ['GET', '/2015-03-31/functions/{fn}', 'GetFunction', getFunction],
  ['DELETE', '/2015-03-31/functions/{fn}', 'DeleteFunction', deleteFunction],
  ['GET', '/2015-03-31/functions/{fn}/configuration', 'GetFunctionConfiguration', getFunctionConfiguration],
  ['PUT', '/2015-03-31/functions/{fn}/configuration', 'UpdateFunctionConfiguration', updateFunctionConfiguration],
  ['PUT', '/2015-03-31/functions/{fn}/code', 'UpdateFunctionCode', updateFunctionCode],
  ['POST', '/2015-03-31/functions/{fn}/versions', 'PublishVersion', publishVersion],
  ['GET', '/2015-03-31/functions/{fn}/versions', 'ListVersionsByFunction', listVersionsByFunction],
  ['POST', '/2015-03-31/functions/{fn}/aliases', 'CreateAlias', createAlias],
  ['GET', '/2015-03-31/functions/{fn}/aliases', 'ListAliases', listAliases],
  ['GET', '/2015-03-31/functions/{fn}/aliases/{alias}', 'GetAlias', getAlias],
  ['PUT', '/2015-03-31/functions/{fn}/aliases/{alias}', 'UpdateAlias', updateAlias],
  ['DELETE', '/2015-03-31/functions/{fn}/aliases/{alias}', 'DeleteAlias', deleteAlias],
  ['GET', '/2016-08-19/account-settings', 'GetAccountSettings', getAccountSettings],
  ['PUT', '/2017-10-31/functions/{fn}/concurrency', 'PutFunctionConcurrency', putFunctionConcurrency],
  ['GET', '/2019-09-30/functions/{fn}/concurrency', 'GetFunctionConcurrency', getFunctionConcurrency],
  ['DELETE', '/2017-10-31/functions/{fn}/concurrency', 'DeleteFunctionConcurrency', deleteFunctionConcurrency],
  ['PUT', '/2019-09-30/functions/{fn}/provisioned-concurrency', 'PutProvisionedConcurrencyConfig', putProvisionedConcurrencyConfig],
  // GetProvisionedConcurrencyConfig (?Qualifier=) and ListProvisionedConcurrencyConfigs (?List=ALL) share this path.
  ['GET', '/2019-09-30/functions/{fn}/provisioned-concurrency', 'GetProvisionedConcurrencyConfig', getProvisionedConcurrency],
  ['DELETE', '/2019-09-30/functions/{fn}/provisioned-concurrency', 'DeleteProvisionedConcurrencyConfig', deleteProvisionedConcurrencyConfig],
  ['PUT', '/2019-09-25/functions/{fn}/event-invoke-config', 'PutFunctionEventInvokeConfig', putFunctionEventInvokeConfig],
  ['POST', '/2019-09-25/functions/{fn}/event-invoke-config', 'UpdateFunctionEventInvokeConfig', updateFunctionEventInvokeConfig],
  ['GET', '/2019-09-25/functions/{fn}/event-invoke-config', 'GetFunctionEventInvokeConfig', getFunctionEventInvokeConfig],
  ['DELETE', '/2019-09-25/functions/{fn}/event-invoke-config', 'DeleteFunctionEventInvokeConfig', deleteFunctionEventInvokeConfig],
  ['GET', '/2019-09-25/functions/{fn}/event-invoke-config/list', 'ListFunctionEventInvokeConfigs', listFunctionEventInvokeConfigs],
  ['POST', '/2015-03-31/functions/{fn}/policy', 'AddPermission', addPermission],
  ['GET', '/2015-03-31/functions/{fn}/policy', 'GetPolicy', getPolicy],
  ['DELETE', '/2015-03-31/functions/{fn}/policy/{sid}', 'RemovePermission', removePermission],
  // The tag operations' `{fn}` is a resource ARN: named so, the auth layer and cross-account routing read it as a FunctionName.
  ['POST', '/2017-03-31/tags/{fn}', 'TagResource', tagResource],
  ['DELETE', '/2017-03-31/tags/{fn}', 'UntagResource', untagResource],
  ['GET', '/2017-03-31/tags/{fn}', 'ListTags', listTags],
  ['GET', '/2024-08-31/functions/{fn}/recursion-config', 'GetFunctionRecursionConfig', getFunctionRecursionConfig],
  ['PUT', '/2024-08-31/functions/{fn}/recursion-config', 'PutFunctionRecursionConfig', putFunctionRecursionConfig],
  // ListLayers and GetLayerVersionByArn (?find=LayerVersion&Arn=…) share this path; the operation tells them apart.
  ['GET', '/2018-10-31/layers', 'ListLayers', listLayers],
  ['POST', '/2018-10-31/layers/{layer}/versions', 'PublishLayerVersion', publishLayerVersion],
  ['GET', '/2018-10-31/layers/{layer}/versions', 'ListLayerVersions', listLayerVersions],
  ['GET', '/2018-10-31/layers/{layer}/versions/{version}', 'GetLayerVersion', getLayerVersion],
  ['DELETE', '/2018-10-31/layers/{layer}/versions/{version}', 'DeleteLayerVersion', deleteLayerVersion],
  ['POST', '/2018-10-31/layers/{layer}/versions/{version}/policy', 'AddLayerVersionPermission', addLayerVersionPermission],
  ['GET', '/2018-10-31/layers/{layer}/versions/{version}/policy', 'GetLayerVersionPolicy', getLayerVersionPolicy],
  ['DELETE', '/2018-10-31/layers/{layer}/versions/{version}/policy/{sid}', 'RemoveLayerVersionPermission', removeLayerVersionPermission],
  ['POST', '/2021-10-31/functions/{fn}/url', 'CreateFunctionUrlConfig', createFunctionUrlConfig],
  ['GET', '/2021-10-31/functions/{fn}/url', 'GetFunctionUrlConfig', getFunctionUrlConfig],
  ['PUT', '/2021-10-31/functions/{fn}/url', 'UpdateFunctionUrlConfig', updateFunctionUrlConfig],
  ['DELETE', '/2021-10-31/functions/{fn}/url', 'DeleteFunctionUrlConfig', deleteFunctionUrlConfig],
  ['GET', '/2021-10-31/functions/{fn}/urls', 'ListFunctionUrlConfigs', listFunctionUrlConfigs],
  ['POST', '/2015-03-31/event-source-mappings', 'CreateEventSourceMapping', createEventSourceMapping],
  ['GET', '/2015-03-31/event-source-mappings', 'ListEventSourceMappings', listEventSourceMappings],
  ['GET', '/2015-03-31/event-source-mappings/{uuid}', 'GetEventSourceMapping', getEventSourceMapping],
  ['PUT', '/2015-03-31/event-source-mappings/{uuid}', 'UpdateEventSourceMapping', updateEventSourceMapping],
  ['DELETE', '/2015-03-31/event-source-mappings/{uuid}', 'DeleteEventSourceMapping', deleteEventSourceMapping],
  ['GET', '/_alonzo/events', 'GetEventCounts', getEventCounts],
  ['GET', '/_alonzo/functions/{fn}/failed-events', 'ListFailedEvents', listFailedEvents],
  ['POST', '/_alonzo/functions/{fn}/failed-events/redrive', 'RedriveFailedEvents', redriveFailedEvents],
  ['GET', '/_alonzo/code/{sha}', 'GetCodeZip', getCodeZip],
  ['GET', '/_alonzo/functions/{fn}/logs', 'GetLogs', getLogs],
];

export const routes: Route[] = table.map(([method, path, name, op, bodyLimit, tooLarge]) => ({
  method,
  segments: path.split('/').slice(1),
  name,
  op,
  bodyLimit: bodyLimit ?? MANAGEMENT_LIMIT,
  tooLarge: tooLarge ?? (bodyLimit ? undefined : manageTooLarge(name)),
}));

function match(method: string, path: string): { route: Route; params: Record<string, string> } | { methodMismatch: true } | undefined {
  let parts = path.split('/').slice(1);
  // Clients differ on a trailing slash (CLI v2 sends `/2015-03-31/functions/`): accept both.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts = parts.slice(0, -1);
  let pathMatched = false;
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i];
      if (seg.startsWith('{')) {
        try {
          params[seg.slice(1, -1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else ok = seg === parts[i];
    }
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? { methodMismatch: true } : undefined;
}

export function createHandler(s: Services) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    let operation = '-';
    let principal: Principal | undefined;
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const rawQuery = q === -1 ? '' : url.slice(q + 1);
      // Another AWS JSON API on this endpoint (CloudWatch Logs): it checks, answers and renders its own errors.
      const other = s.targetApi?.(req, path);
      if (other) {
        ({ operation, principal } = await other(req, res, { requestId, path, rawQuery }));
        return;
      }
      // Before anything else, and before the body is read: a foreign Host, an unsigned request or a web page's.
      s.auth.admit(req.headers, rawQuery);
      const query = new URLSearchParams(rawQuery);
      const m = match(req.method ?? 'GET', path);
      if (!m || 'methodMismatch' in m) {
        req.resume();
        throw err('UnknownOperationException', '');
      }
      operation = m.route.name;
      const { body, size } = await readBody(req, m.route.bodyLimit);
      if (body === undefined) throw (m.route.tooLarge ?? manageTooLarge(m.route.name))(size);
      // The body is part of what was signed; nothing has changed yet, and nothing will unless the signature holds.
      principal = await s.auth.authenticate({ method: req.method ?? 'GET', rawPath: path, rawQuery, headers: req.headers, body });
      s.auth.authorize(principal, operation, { params: m.params, query, body });
      // Each account sees its own functions (the server's own account gets `s` itself, api/context.ts); another
      // account's only by ARN, as its resource-based policy allows.
      const account = await accountFor(s, principal, operation, { params: m.params, query, body });
      const reply: ApiReply = await m.route.op(servicesFor(s, account), { method: req.method ?? 'GET', params: m.params, query, headers: req.headers, body, requestId, callerArn: principal.arn });
      if (reply.stream !== undefined) sendStream(res, requestId, reply.status, reply.headers ?? {}, reply.stream);
      else if (reply.raw !== undefined) sendRaw(res, requestId, reply.status, reply.raw, reply.headers);
      else if (reply.json !== undefined) sendJson(res, requestId, reply.status, reply.json, reply.headers);
      else sendEmpty(res, requestId, reply.status, reply.headers);
    } catch (e) {
      sendThrown(res, requestId, e, (error) => s.log.error('api:internal-error', { requestId, error }));
    } finally {
      // Every request's principal, refused ones included. Measured: ~40 µs of server CPU per warm invoke (a synchronous
      // write to stderr); `--log-level warn` leaves it out.
      s.log.info('api:request', { requestId, operation, status: res.statusCode, accessKeyId: principal?.accessKeyId, accountId: principal?.accountId });
    }
  };
}
