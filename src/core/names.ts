// Function names in every form Lambda accepts (name, name:qualifier, partial ARN, full ARN) parsed and validated with AWS's messages.
import { err, validation, ServiceError } from './errors.js';

/** The two patterns AWS quotes: Create/Delete use the strict one, Get/Invoke allow dots and `$LATEST.PUBLISHED`. */
const PATTERN_STRICT = '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const PATTERN_LOOSE = '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';
const RE_STRICT = new RegExp(`^(?:${PATTERN_STRICT})$`);
const RE_LOOSE = new RegExp(`^(?:${PATTERN_LOOSE})$`);
const QUALIFIER_PATTERN = '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+';
const RE_QUALIFIER = new RegExp(`^(?:${QUALIFIER_PATTERN})$`);
/** Splits a name that already matched one of the patterns above. */
const RE_PARTS = /^(?:arn:(aws[a-zA-Z-]*)?:lambda:)?(?:((?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:(function):)?([a-zA-Z0-9\-_.]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?$/;

export const LATEST = '$LATEST';

export interface Account {
  region: string;
  accountId: string;
}

export interface FunctionRef {
  name: string;
  /** The qualifier from the name or the Qualifier parameter, if any. */
  qualifier?: string;
  /** Whether the qualifier came inside the name (`fn:1`, `…:function:fn:prod`). */
  qualifiedName: boolean;
}

/**
 * Which FunctionName shape the operation's model declares: decides the pattern and the length limit.
 * - `create` / `strict` (FunctionName: no dots, ≤ 140): CreateFunction, UpdateFunctionCode/Configuration, PublishVersion, the alias operations.
 * - `manage` / `invoke` (NamespacedFunctionName: dots and `$LATEST.PUBLISHED` allowed): Get/DeleteFunction, ListVersionsByFunction, Invoke.
 */
export type NameStyle = 'create' | 'strict' | 'manage' | 'invoke';

export function functionArn(account: Account, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${account.region}:${account.accountId}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}

/**
 * Parses a FunctionName (already percent-decoded) and an optional Qualifier parameter.
 * Throws the ValidationException / InvalidParameterValueException / ResourceNotFoundException AWS gives.
 */
export function parseFunctionName(raw: string, account: Account, style: NameStyle, qualifierParam?: string): FunctionRef {
  const maxLength = style === 'invoke' || style === 'manage' ? 170 : 140;
  if (raw.length < 1) throw validation(raw, 'functionName', 'Member must have length greater than or equal to 1');
  if (raw.length > maxLength) throw validation(raw, 'functionName', `Member must have length less than or equal to ${maxLength}`);
  const strict = style === 'create' || style === 'strict';
  if (!(strict ? RE_STRICT : RE_LOOSE).test(raw)) {
    throw validation(raw, 'functionName', `Member must satisfy regular expression pattern: ${strict ? PATTERN_STRICT : PATTERN_LOOSE}`);
  }
  const m = RE_PARTS.exec(raw);
  if (!m) throw validation(raw, 'functionName', `Member must satisfy regular expression pattern: ${PATTERN_LOOSE}`);
  const [, , region, accountId, , name, nameQualifier] = m;
  // `acct:name` without `function:` matches the pattern but is not a form Lambda resolves.
  if (accountId !== undefined && m[4] === undefined) {
    throw validation(raw, 'functionName', `Member must satisfy regular expression pattern: ${strict ? PATTERN_STRICT : PATTERN_LOOSE}`);
  }
  if (name.length > 64) {
    throw new ServiceError('InvalidParameterValueException', `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`);
  }
  if (region !== undefined && region !== account.region) {
    throw err('ResourceNotFoundException', `Functions from '${region}' are not reachable in this region ('${account.region}')`);
  }
  // AWS's 403 here carries no message: boto3 shows `Error.Message: null` (oracle test_function_arns).
  if (accountId !== undefined && accountId !== account.accountId) throw err('AccessDeniedException', '', { Message: null });
  if (qualifierParam !== undefined) validateQualifier(qualifierParam);
  if (nameQualifier !== undefined && qualifierParam !== undefined && nameQualifier !== qualifierParam) {
    throw err('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return { name, qualifier: nameQualifier ?? qualifierParam, qualifiedName: nameQualifier !== undefined };
}

export function validateQualifier(q: string): void {
  if (q.length < 1) throw validation(q, 'qualifier', 'Member must have length greater than or equal to 1');
  if (q.length > 128) throw validation(q, 'qualifier', 'Member must have length less than or equal to 128');
  if (!RE_QUALIFIER.test(q)) throw validation(q, 'qualifier', `Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`);
}

export const isVersionNumber = (q: string): boolean => /^[0-9]+$/.test(q);
