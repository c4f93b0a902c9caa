// GET /metrics: the Prometheus exposition (metrics.ts), behind the operator gate (auth/index.ts admitOperator).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from '../core/errors.js';
import type { Authenticator } from '../auth/index.js';
import type { Metrics, MetricSources } from './metrics.js';

export const METRICS_PATH = '/metrics';
/** The IAM action a key needs to read /metrics (the admin policy's `alonzo:*` has it). */
export const METRICS_ACTION = 'alonzo:GetMetrics';
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

export function metricsHandler(auth: Authenticator, metrics: Metrics, sources: MetricSources) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume();
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
        return;
      }
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      await auth.admitOperator({ method: req.method, rawPath: q === -1 ? url : url.slice(0, q), rawQuery: q === -1 ? '' : url.slice(q + 1), headers: req.headers, body: Buffer.alloc(0), remoteAddress: req.socket.remoteAddress }, METRICS_ACTION);
      const text = await metrics.render(sources);
      res.writeHead(200, { 'Content-Type': TEXT_FORMAT, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    } catch (e) {
      const status = e instanceof ServiceError ? (e.code === 'AccessDeniedException' ? 403 : 401) : 500;
      const message = e instanceof ServiceError ? `${e.code}: ${e.message}` : 'Internal error';
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(status === 401 ? { 'WWW-Authenticate': 'Bearer realm="alonzo"' } : {}) });
      res.end(`${message}\n`);
    }
  };
}
