// Which account's functions a request works on: the caller's, or another's named by ARN when that function's resource-based policy allows the caller.
import { err } from '../core/errors.js';
import { LATEST } from '../core/names.js';
import { accountNamed, actionOf, resourceOf } from '../auth/actions.js';
import { resourcePolicyAllows } from '../auth/resource-policy.js';
import type { Principal } from '../auth/index.js';
import type { Services } from './context.js';

interface Req {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
}

/**
 * The caller's account, unless the request names a function of another account by ARN; then that account, once the
 * function's policy (the qualifier's, as AWS keeps one per version and alias) allows the caller this action. The
 * caller's identity policy has already been evaluated on the same ARN (the router's authorize), as IAM requires both
 * across accounts. Refused: AWS's AccessDenied, the same whether or not the function exists (nothing is disclosed).
 */
export async function accountFor(s: Services, p: Principal, operation: string, req: Req): Promise<string> {
  const named = accountNamed(req.params.fn, s.account.region);
  if (named === undefined || named === p.accountId) return p.accountId;
  const action = actionOf(operation, req.query);
  const resource = resourceOf(operation, req, s.account.region, named);
  const [, , , , , , name, qualifier] = resource.split(':');
  const policy = await s.store.forAccount(named).getPolicy(name ?? '', qualifier === undefined || qualifier === LATEST ? '' : qualifier);
  if (!policy || !resourcePolicyAllows(policy.statements, p, action, resource)) {
    throw err('AccessDeniedException', `User: ${p.arn} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`);
  }
  return named;
}
