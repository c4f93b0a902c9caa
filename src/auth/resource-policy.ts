// A function's resource-based policy (AddPermission's statements) evaluated for a caller of another account.
//
// Lambda stores only Allow statements. A statement applies when its Principal names the caller (`*`, the caller's
// account as `arn:aws:iam::<id>:root` or a bare id, or the caller's own ARN) and it has no Condition: the condition
// keys AddPermission writes (AWS:SourceAccount, AWS:SourceArn, aws:PrincipalOrgID, lambda:FunctionUrlAuthType,
// lambda:EventSourceToken) are absent from a direct call, and IAM does not match a condition on an absent key.
// Service principals (`s3.amazonaws.com`) never match a signed caller. Action and Resource match as in policy.ts.
import { evaluate, type Statement } from './policy.js';

export interface Caller {
  accountId: string;
  arn: string;
}

function namesCaller(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  const aws = (principal as { AWS?: unknown }).AWS;
  const ids = typeof aws === 'string' ? [aws] : Array.isArray(aws) ? aws : [];
  return ids.some((id) => id === '*' || id === caller.accountId || id === `arn:aws:iam::${caller.accountId}:root` || id === caller.arn);
}

/** Whether the statements allow `caller` to perform `action` on `resource` (a function ARN, qualified or not). */
export function resourcePolicyAllows(statements: Record<string, unknown>[], caller: Caller, action: string, resource: string): boolean {
  const applicable = statements.filter((st) => st.Effect === 'Allow' && st.Condition === undefined && namesCaller(st.Principal, caller)) as unknown as Statement[];
  return applicable.length > 0 && evaluate({ Statement: applicable }, action, resource) === 'allow';
}
