// Each API operation's IAM action (`lambda:InvokeFunction`, `lambda:CreateFunction`, …) and the resource ARN a policy is matched against.
//
// Lambda's IAM names equal the operation names except Invoke (`lambda:InvokeFunction`) and the list form of
// GetProvisionedConcurrencyConfig; Alonzo's own routes (`/_alonzo/…`) are `alonzo:<Operation>`. The resource is the
// function's ARN in the caller's account, qualified when the request names a version or alias (as IAM evaluates
// Invoke on `function:name:alias`), the ARN in the path for TagResource / UntagResource / ListTags, and `*` for the
// account-wide operations.

const ACCOUNT_WIDE = new Set(['ListFunctions', 'GetAccountSettings', 'CreateEventSourceMapping', 'ListEventSourceMappings']);
/** Their resource is the mapping's ARN (`{uuid}` in the path). */
const MAPPING = new Set(['GetEventSourceMapping', 'UpdateEventSourceMapping', 'DeleteEventSourceMapping']);
/** Their resource is a layer's ARN (with the version when the path has one): `{layer}` is a name or a layer ARN. */
const LAYER = new Set([
  'PublishLayerVersion',
  'ListLayerVersions',
  'GetLayerVersion',
  'DeleteLayerVersion',
  'AddLayerVersionPermission',
  'GetLayerVersionPolicy',
  'RemoveLayerVersionPermission',
]);
/** Their resource is the ARN in the path as given (a function's, or any other taggable resource's). */
const TAGGING = new Set(['TagResource', 'UntagResource', 'ListTags']);
const INTERNAL = new Set(['ListFailedEvents', 'RedriveFailedEvents', 'GetCodeZip', 'GetLogs', 'GetEventCounts']);

export function actionOf(operation: string, query: URLSearchParams): string {
  if (INTERNAL.has(operation)) return `alonzo:${operation}`;
  // InvokeWithResponseStream is authorised as lambda:InvokeFunction, as on AWS.
  if (operation === 'Invoke' || operation === 'InvokeWithResponseStream') return 'lambda:InvokeFunction';
  if (operation === 'ListLayers' && query.get('find') === 'LayerVersion') return 'lambda:GetLayerVersion';
  if (operation === 'GetProvisionedConcurrencyConfig' && query.get('List') !== null) return 'lambda:ListProvisionedConcurrencyConfigs';
  return `lambda:${operation}`;
}

const FULL_ARN = /^arn:[^:]*:lambda:[^:]*:\d{12}:function:[^:]+(:[^:]+)?$/;
const PARTIAL_ARN = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/;

/**
 * The ARN a policy's Resource is matched against. Never throws: a malformed name still gets an ARN (the operation
 * rejects the name itself afterwards, with AWS's validation message, if the caller may call it at all).
 */
export function resourceOf(operation: string, req: { params: Record<string, string>; query: URLSearchParams; body: Buffer }, region: string, accountId: string): string {
  if (operation === 'ListLayers') return req.query.get('find') === 'LayerVersion' ? (req.query.get('Arn') ?? '*') : '*';
  if (ACCOUNT_WIDE.has(operation)) return '*';
  if (MAPPING.has(operation)) return `arn:aws:lambda:${region}:${accountId}:event-source-mapping:${req.params.uuid ?? ''}`;
  if (LAYER.has(operation)) {
    const raw = req.params.layer ?? '';
    const base = raw.startsWith('arn:') ? raw : `arn:aws:lambda:${region}:${accountId}:layer:${raw}`;
    return req.params.version === undefined ? base : `${base}:${req.params.version}`;
  }
  if (operation === 'GetCodeZip') return `arn:aws:alonzo:${region}:${accountId}:code/${req.params.sha ?? ''}`;
  let raw = req.params.fn;
  if (operation === 'GetEventCounts') {
    // One function's counts, or every function's of the account.
    const name = req.query.get('FunctionName');
    if (name === null) return '*';
    raw = name;
  }
  if (operation === 'CreateFunction') {
    try {
      const v = JSON.parse(req.body.toString('utf8')) as { FunctionName?: unknown };
      raw = typeof v?.FunctionName === 'string' ? v.FunctionName : '';
    } catch {
      raw = '';
    }
  }
  raw ??= '';
  if (TAGGING.has(operation) && raw.startsWith('arn:')) return raw;
  const qualifierParam = req.query.get('Qualifier');
  if (FULL_ARN.test(raw)) return raw.split(':').length === 7 && qualifierParam ? `${raw}:${qualifierParam}` : raw;
  const partial = PARTIAL_ARN.exec(raw);
  const [acct, name, nameQualifier] = partial ? [partial[1], partial[2], partial[3]] : [accountId, ...(raw.split(':', 2) as [string, string | undefined])];
  const qualifier = nameQualifier ?? qualifierParam ?? undefined;
  return `arn:aws:lambda:${region}:${acct}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
}

const NAMED_ACCOUNT = /^(?:arn:[^:]*:lambda:([^:]*):)?(\d{12}):function:/;

/**
 * The account a FunctionName names (full or partial ARN), if any and if in this region (a name from another region
 * gets the operation's own 404). Plain names are the caller's.
 */
export function accountNamed(raw: string | undefined, region: string): string | undefined {
  const m = raw === undefined ? null : NAMED_ACCOUNT.exec(raw);
  if (!m || (m[1] !== undefined && m[1] !== region)) return undefined;
  return m[2];
}
