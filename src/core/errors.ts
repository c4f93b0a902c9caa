// The one registry of Lambda service errors: AWS exception name, HTTP status, and the casing of the body's message member.
//
// AWS's body member is `Message` for some exceptions and `message` for others (reference/WIRE.md §2); clients read the
// code from the `x-amzn-ErrorType` header. docs/errors.md is checked against this table by test/core/errors-doc.test.ts.

export type MessageCasing = 'Message' | 'message';

export interface ErrorKind {
  status: number;
  casing: MessageCasing;
  /** Whether the body carries `"Type": "User"` (AWS sends it for modeled exceptions; ValidationException has none). */
  typed: boolean;
  description: string;
}

export const ERROR_KINDS = {
  ResourceNotFoundException: { status: 404, casing: 'Message', typed: true, description: 'The function, version, alias or configuration does not exist.' },
  ServiceException: { status: 500, casing: 'Message', typed: false, description: 'Alonzo failed internally; the request may be retried.' },
  InvalidParameterValueException: { status: 400, casing: 'message', typed: true, description: 'A parameter has a value Lambda rejects.' },
  InvalidRequestContentException: { status: 400, casing: 'message', typed: true, description: 'The request body is not valid JSON, or the Invoke payload is not.' },
  ValidationException: { status: 400, casing: 'message', typed: false, description: 'A parameter fails the API model\'s constraint (pattern, length, enum).' },
  RequestEntityTooLargeException: { status: 413, casing: 'message', typed: false, description: 'The request body is larger than the operation allows.' },
  ResourceConflictException: { status: 409, casing: 'message', typed: true, description: 'The resource already exists, or an update is in progress.' },
  PreconditionFailedException: { status: 412, casing: 'message', typed: true, description: 'The RevisionId given does not match the current one.' },
  TooManyRequestsException: { status: 429, casing: 'message', typed: true, description: 'The invoke was throttled; `Reason` says which limit.' },
  UnsupportedMediaTypeException: { status: 415, casing: 'message', typed: true, description: 'The content type is not supported by the operation.' },
  ResourceNotReadyException: { status: 502, casing: 'message', typed: true, description: 'The function is not ready to be invoked.' },
  AccessDeniedException: { status: 403, casing: 'Message', typed: false, description: 'The caller\'s policy does not allow the action, the resource belongs to another account, or the request came from a web page or a host name Alonzo does not serve.' },
  MissingAuthenticationTokenException: { status: 403, casing: 'message', typed: false, description: 'The request is not signed (no Authorization header, no presigned query).' },
  IncompleteSignatureException: { status: 403, casing: 'message', typed: false, description: 'The Authorization header or the presigned query is not a complete SigV4 signature.' },
  UnrecognizedClientException: { status: 403, casing: 'message', typed: false, description: 'The access key id is not one of Alonzo\'s keys (sigv4 mode), or a function\'s session token is forged or altered.' },
  ExpiredTokenException: { status: 403, casing: 'message', typed: false, description: 'A function\'s session token (AWS_SESSION_TOKEN) has expired.' },
  InvalidSignatureException: { status: 403, casing: 'message', typed: false, description: 'The signature does not match, or is dated more than 15 minutes away from the server\'s clock (or the presigned URL expired).' },
  ProvisionedConcurrencyConfigNotFoundException: { status: 404, casing: 'message', typed: true, description: 'The version or alias has no provisioned concurrency configuration.' },
  RecursiveInvocationException: { status: 400, casing: 'Message', typed: true, description: 'Recursive loop detection stopped the invocation: the function was invoked more than 16 times in one chain, and its recursion config is Terminate.' },
  UnknownOperationException: { status: 404, casing: 'message', typed: false, description: 'No Lambda operation has this method and path.' },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_KINDS;

/** A service error: rendered as HTTP status + `x-amzn-ErrorType` + JSON body by api/respond.ts. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }

  get status(): number {
    return ERROR_KINDS[this.code].status;
  }

  /** The JSON body exactly as AWS shapes it for this exception. */
  body(): Record<string, unknown> {
    const kind: ErrorKind = ERROR_KINDS[this.code];
    const out: Record<string, unknown> = {};
    if (kind.typed) out.Type = 'User';
    if (this.message !== '') out[kind.casing] = this.message;
    return Object.assign(out, this.extra);
  }
}

export const err = (code: ErrorCode, message: string, extra?: Record<string, unknown>, headers?: Record<string, string>) =>
  new ServiceError(code, message, extra, headers);

/** AWS's ValidationException text for one failed constraint. */
export function validation(value: unknown, field: string, constraint: string): ServiceError {
  return new ServiceError('ValidationException', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`);
}
