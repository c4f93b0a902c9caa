// PutFunctionConcurrency (PUT /2017-10-31/…/concurrency), GetFunctionConcurrency (GET /2019-09-30/…), DeleteFunctionConcurrency (DELETE /2017-10-31/…).
import { err, validation } from '../../core/errors.js';
import { parseJsonBody, int } from '../body.js';
import { refOf, loadFunction } from '../resolve.js';
import type { ApiRequest, Operation, Services } from '../context.js';

/** AWS keeps at least this many concurrent executions unreserved. */
export const MIN_UNRESERVED = 100;

async function unqualifiedFunction(s: Services, req: ApiRequest) {
  const ref = refOf(s, req, 'manage');
  const fn = await loadFunction(s, ref, '$LATEST');
  if (ref.qualifier !== undefined) {
    throw err('InvalidParameterValueException', 'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.');
  }
  return fn;
}

export const putFunctionConcurrency: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const fn = await unqualifiedFunction(s, req);
  const n = int(body, 'ReservedConcurrentExecutions');
  if (n === undefined) throw validation('null', 'reservedConcurrentExecutions', 'Member must not be null');
  if (n < 0) throw validation(n, 'reservedConcurrentExecutions', 'Member must have value greater than or equal to 0');
  const use = await s.store.accountUsage();
  const reservedElsewhere = use.reservedConcurrency - (fn.reservedConcurrency ?? 0);
  if (s.config.accountConcurrency - reservedElsewhere - n < MIN_UNRESERVED) {
    throw err('InvalidParameterValueException', `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`);
  }
  await s.store.updateFunction(fn.name, { reservedConcurrency: n });
  return { status: 200, json: { ReservedConcurrentExecutions: n } };
};

export const getFunctionConcurrency: Operation = async (s, req) => {
  const fn = await unqualifiedFunction(s, req);
  return { status: 200, json: fn.reservedConcurrency === null ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency } };
};

export const deleteFunctionConcurrency: Operation = async (s, req) => {
  const fn = await unqualifiedFunction(s, req);
  await s.store.updateFunction(fn.name, { reservedConcurrency: null });
  return { status: 204 };
};
