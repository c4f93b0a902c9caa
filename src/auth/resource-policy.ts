// A function's resource-based policy (AddPermission's statements) evaluated for a caller of another account.
//
// Lambda stores only Allow statements. A statement applies when its Principal names the caller (`*`, the caller's
// account as `arn:aws:iam::<id>:root` or a bare id, or the caller's own ARN) and it has no Condition: the condition
// keys AddPermission writes (AWS:SourceAccount, AWS:SourceArn, aws:PrincipalOrgID, lambda:FunctionUrlAuthType,
// lambda:EventSourceToken) are absent from a direct call, and IAM does not match a condition on an absent key.
// Service principals (`s3.amazonaws.com`) never match a signed caller. Action and Resource match as in policy.ts.
import { evaluate, type Policy, type Statement } from './policy.js';

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

/** The action a function URL request is authorised as. */
export const INVOKE_FUNCTION_URL = 'lambda:InvokeFunctionUrl';

/**
 * A statement's Condition as a function URL request meets it: the request carries `lambda:FunctionUrlAuthType` (the
 * URL's AuthType) and no other key, so only `StringEquals` on that key can hold; any other condition cannot.
 */
function urlConditionHolds(condition: unknown, authType: string): boolean {
  if (condition === undefined) return true;
  if (condition === null || typeof condition !== 'object') return false;
  return Object.entries(condition as Record<string, unknown>).every(([op, keys]) => {
    if (op !== 'StringEquals' || keys === null || typeof keys !== 'object') return false;
    return Object.entries(keys as Record<string, unknown>).every(([k, v]) => k === 'lambda:FunctionUrlAuthType' && (v === authType || (Array.isArray(v) && v.includes(authType))));
  });
}

/** Whether a statement's Principal is everyone (`*`, or `{"AWS": "*"}`): what an anonymous (AuthType NONE) request needs. */
function namesEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  const aws = principal !== null && typeof principal === 'object' ? (principal as { AWS?: unknown }).AWS : undefined;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

/**
 * Whether a function URL request may invoke: `lambda:InvokeFunctionUrl` on `resource` (the function's ARN, with the
 * alias when the URL is an alias's), from the policy of the URL's qualifier.
 * - AuthType NONE: a statement must allow everyone (`*`), as on AWS, where a NONE URL without such a permission
 *   answers 403 (oracle test_lambda_permission_url_invocation).
 * - AuthType AWS_IAM: the signed caller. In the function's account its identity policy or the resource policy may
 *   allow (a key without a policy, local mode's and the root's, is allowed everything); from another account both
 *   must. An explicit deny in the identity policy refuses.
 */
export function functionUrlAllows(opts: {
  authType: 'NONE' | 'AWS_IAM';
  statements: Record<string, unknown>[];
  resource: string;
  functionAccount: string;
  caller?: Caller & { policy?: Policy };
}): boolean {
  const { authType, statements, resource, caller } = opts;
  const applicable = statements.filter(
    (st) => st.Effect === 'Allow' && urlConditionHolds(st.Condition, authType) && (authType === 'NONE' ? namesEveryone(st.Principal) : caller !== undefined && namesCaller(st.Principal, caller)),
  ) as unknown as Statement[];
  const byResource = applicable.length > 0 && evaluate({ Statement: applicable }, INVOKE_FUNCTION_URL, resource) === 'allow';
  if (authType === 'NONE') return byResource;
  if (!caller) return false;
  const identity = caller.policy ? evaluate(caller.policy, INVOKE_FUNCTION_URL, resource) : 'allow';
  if (identity === 'explicit-deny') return false;
  if (caller.accountId === opts.functionAccount) return identity === 'allow' || byResource;
  return identity === 'allow' && byResource;
}
