// Alonzo's own read of a function's recent logs (GET /_alonzo/functions/{fn}/logs), used by `alonzo logs` and the dashboard.
import { refOf, loadFunction } from '../resolve.js';
import type { Operation } from '../context.js';
import { logKey } from '../../runtime/log-sink.js';

export const getLogs: Operation = async (s, req) => {
  const fn = await loadFunction(s, refOf(s, req, 'manage'));
  const bytes = Number(req.query.get('bytes') ?? 65536);
  const other = s.account.accountId === s.config.accountId ? undefined : s.account.accountId;
  return { status: 200, raw: await s.logs.read(logKey(other, fn.name), Number.isFinite(bytes) ? bytes : 65536), headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
};
