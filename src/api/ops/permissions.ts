// AddPermission (POST …/policy), GetPolicy (GET …/policy), RemovePermission (DELETE …/policy/{sid}): a function's resource-based policy, per qualifier.
//
// Stored and shown as AWS shows them (reference/aws-oracle/api-permissions.snapshot.json); evaluated for callers of
// another account by api/cross-account.ts (docs/SECURITY.md §5).
import { err, validation } from '../../core/errors.js';
import { functionArn, isVersionNumber, LATEST, type FunctionRef } from '../../core/names.js';
import { newRevisionId } from '../../core/ids.js';
import { parseJsonBody, str, notNull } from '../body.js';
import { refOf } from '../resolve.js';
import type { Operation, Services } from '../context.js';

const SID_PATTERN = '([a-zA-Z0-9-_]+)';
const ACTION_PATTERN = '(lambda:[*]|lambda:[a-zA-Z]+|[*])';
const ALIAS_RE = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;
const NO_SUCH = 'The resource you requested does not exist.';
const URL_AUTH_TYPES = ['NONE', 'AWS_IAM'];

/** The Principal member as AWS writes it: `*`, a service, or an account (expanded to its root ARN) / IAM ARN. */
function principalOf(raw: string): unknown {
  if (raw === '*') return '*';
  if (/^\d{12}$/.test(raw)) return { AWS: `arn:aws:iam::${raw}:root` };
  if (/^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:[^\s]+$/.test(raw)) return { AWS: raw };
  if (/^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$/.test(raw) || /^[a-z0-9][a-z0-9.-]*\.amazon\.com$/.test(raw)) return { Service: raw };
  throw err('InvalidParameterValueException', 'The provided principal was invalid. Please check the principal and try again.');
}

/**
 * Checks that the function (and the version or alias the qualifier names) exists, with AWS's message for each miss;
 * `missingFunction` words the message for a function that does not exist (it differs per operation).
 */
async function checkTarget(s: Services, ref: FunctionRef, missingFunction: () => Error): Promise<void> {
  const fn = await s.store.getFunction(ref.name);
  if (!fn) throw missingFunction();
  const q = ref.qualifier;
  if (q === undefined) return;
  if (isVersionNumber(q)) {
    if (!(await s.store.getVersion(fn.name, q))) throw err('ResourceNotFoundException', `Function not found: ${functionArn(s.account, ref.name, q)}`);
  } else if (ALIAS_RE.test(q)) {
    if (!(await s.store.getAlias(fn.name, q))) throw err('ResourceNotFoundException', `Cannot find alias arn: ${functionArn(s.account, ref.name, q)}`);
  } else {
    throw err('ResourceNotFoundException', `Function not found: ${functionArn(s.account, ref.name, q)}`);
  }
}

const staleRevision = () =>
  err('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');

export const addPermission: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const sid = str(body, 'StatementId');
  const action = str(body, 'Action');
  const principal = str(body, 'Principal');
  if (sid === undefined) throw notNull('statementId');
  if (sid.length > 100) throw validation(sid, 'statementId', 'Member must have length less than or equal to 100');
  if (!new RegExp(`^(?:${SID_PATTERN})$`).test(sid)) throw validation(sid, 'statementId', `Member must satisfy regular expression pattern: ${SID_PATTERN}`);
  if (action === undefined) throw notNull('action');
  if (!new RegExp(`^(?:${ACTION_PATTERN})$`).test(action)) throw validation(action, 'action', `Member must satisfy regular expression pattern: ${ACTION_PATTERN}`);
  if (principal === undefined) throw notNull('principal');
  const ref = refOf(s, req, 'strict');
  if (ref.qualifier === LATEST) throw err('InvalidParameterValueException', 'We currently do not support adding policies for $LATEST.');
  const statement: Record<string, unknown> = {
    Sid: sid,
    Effect: 'Allow',
    Principal: principalOf(principal),
    Action: action,
    Resource: functionArn(s.account, ref.name, ref.qualifier),
  };
  const equals: Record<string, string> = {};
  const sourceAccount = str(body, 'SourceAccount');
  if (sourceAccount !== undefined) equals['AWS:SourceAccount'] = sourceAccount;
  const urlAuth = str(body, 'FunctionUrlAuthType');
  if (urlAuth !== undefined) {
    // The model's enum, checked as AWS checks it; the statement's condition is what a function URL request meets
    // (auth/resource-policy.ts: functionUrlAllows).
    if (!URL_AUTH_TYPES.includes(urlAuth)) throw validation(urlAuth, 'functionUrlAuthType', `Member must satisfy enum value set: [${URL_AUTH_TYPES.join(', ')}]`);
    equals['lambda:FunctionUrlAuthType'] = urlAuth;
  }
  const org = str(body, 'PrincipalOrgID');
  if (org !== undefined) equals['aws:PrincipalOrgID'] = org;
  const token = str(body, 'EventSourceToken');
  if (token !== undefined) equals['lambda:EventSourceToken'] = token;
  const sourceArn = str(body, 'SourceArn');
  const condition: Record<string, unknown> = {};
  if (Object.keys(equals).length) condition.StringEquals = equals;
  if (sourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': sourceArn };
  if (Object.keys(condition).length) statement.Condition = condition;
  await checkTarget(s, ref, () => err('ResourceNotFoundException', `Function not found: ${functionArn(s.account, ref.name)}`));
  const qualifier = ref.qualifier ?? '';
  const current = await s.store.getPolicy(ref.name, qualifier);
  const revision = str(body, 'RevisionId');
  if (revision !== undefined && revision !== current?.revisionId) throw staleRevision();
  if (current?.statements.some((st) => st.Sid === sid)) {
    throw err('ResourceConflictException', `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
  }
  const next = { functionName: ref.name, qualifier, statements: [...(current?.statements ?? []), statement], revisionId: newRevisionId() };
  if (!(await s.store.putPolicy(next, current?.revisionId))) throw staleRevision();
  return { status: 201, json: { Statement: JSON.stringify(statement) } };
};

export const getPolicy: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const fn = await s.store.getFunction(ref.name);
  if (!fn) throw err('ResourceNotFoundException', NO_SUCH);
  const policy = await s.store.getPolicy(ref.name, ref.qualifier === LATEST ? '' : (ref.qualifier ?? ''));
  if (!policy) throw err('ResourceNotFoundException', NO_SUCH);
  return { status: 200, json: { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: policy.statements }), RevisionId: policy.revisionId } };
};

export const removePermission: Operation = async (s, req) => {
  const ref = refOf(s, req, 'strict');
  const sid = req.params.sid;
  await checkTarget(s, ref, () => err('ResourceNotFoundException', `No policy found for: ${functionArn(s.account, ref.name)}`));
  const current = await s.store.getPolicy(ref.name, ref.qualifier ?? '');
  if (!current) throw err('ResourceNotFoundException', 'No policy is associated with the given resource.');
  const revision = req.query.get('RevisionId');
  if (revision !== null && revision !== current.revisionId) throw staleRevision();
  if (!current.statements.some((st) => st.Sid === sid)) throw err('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`);
  const next = { ...current, statements: current.statements.filter((st) => st.Sid !== sid), revisionId: newRevisionId() };
  if (!(await s.store.putPolicy(next, current.revisionId))) throw staleRevision();
  return { status: 204 };
};
