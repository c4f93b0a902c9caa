// GetFunctionRecursionConfig (GET) and PutFunctionRecursionConfig (PUT) on /2024-08-31/functions/{fn}/recursion-config.
//
// Stored in the function's record (`recursiveLoop`, null until put); AWS's default is Terminate (oracle
// api-logging-recursion.snapshot.json, TestLambdaRecursion).
import { validation } from '../../core/errors.js';
import { parseJsonBody, str, notNull } from '../body.js';
import { refOf, loadFunction } from '../resolve.js';
import type { RecursiveLoop } from '../../store/types.js';
import type { ApiRequest, Operation, Services } from '../context.js';

/** AWS's message lists the enum in this order, not the model's (oracle put_recursion_invalid_value_error). */
const RECURSIVE_LOOP: readonly RecursiveLoop[] = ['Terminate', 'Allow'];
const DEFAULT: RecursiveLoop = 'Terminate';

/**
 * The model's UnqualifiedFunctionName: the FunctionName pattern without a qualifier. The region part carries
 * `(eusc-)?` as the service's other FunctionName patterns do (core/names.ts); AWS's exact text here is not recorded.
 */
const UNQUALIFIED_PATTERN = '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)';

function unqualifiedRef(s: Services, req: ApiRequest) {
  const ref = refOf(s, req, 'strict');
  if (ref.qualifier !== undefined) throw validation(req.params.fn, 'functionName', `Member must satisfy regular expression pattern: ${UNQUALIFIED_PATTERN}`);
  return ref;
}

export const getFunctionRecursionConfig: Operation = async (s, req) => {
  const fn = await loadFunction(s, unqualifiedRef(s, req));
  return { status: 200, json: { RecursiveLoop: fn.recursiveLoop ?? DEFAULT } };
};

export const putFunctionRecursionConfig: Operation = async (s, req) => {
  const ref = unqualifiedRef(s, req);
  const body = parseJsonBody(req.body);
  const value = str(body, 'RecursiveLoop');
  if (value === undefined) throw notNull('recursiveLoop');
  if (!(RECURSIVE_LOOP as readonly string[]).includes(value)) {
    throw validation(value, 'recursiveLoop', `Member must satisfy enum value set: [${RECURSIVE_LOOP.join(', ')}]`);
  }
  const fn = await loadFunction(s, ref);
  await s.store.updateFunction(fn.name, { recursiveLoop: value as RecursiveLoop });
  return { status: 200, json: { RecursiveLoop: value } };
};
