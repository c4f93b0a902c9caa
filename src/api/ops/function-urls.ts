// Create/Get/Update/DeleteFunctionUrlConfig (…/2021-10-31/functions/{fn}/url, ?Qualifier=) and ListFunctionUrlConfigs (…/urls).
//
// Shapes, messages and the order of the checks follow reference/aws-oracle/api-function-urls.snapshot.json: a URL
// belongs to the unqualified function or to an alias, never to a version or `$LATEST` (the Qualifier pattern refuses
// them before anything is looked up); a missing function or alias is "Function does not exist" for Create, Update and
// List, but "The resource you requested does not exist." for Get and Delete. Create answers InvokeMode only when it
// was sent and no LastModifiedTime; Update answers InvokeMode only once one was ever set; Get and List always
// (BUFFERED by default). The endpoint that serves the URLs is src/url/.
import { err } from '../../core/errors.js';
import { functionArn, parseFunctionName, type FunctionRef } from '../../core/names.js';
import { functionUrl, newUrlId } from '../../core/function-url.js';
import { bool, int, nullAt, obj, parseJsonBody, str, stringList, validations } from '../body.js';
import type { FunctionUrlRecord } from '../../store/types.js';
import type { ApiRequest, Operation, Services } from '../context.js';

const QUALIFIER_PATTERN = '((?!^\\d+$)^[0-9a-zA-Z-_]+$)';
const QUALIFIER_RE = /^(?!\d+$)[0-9a-zA-Z_-]+$/;
const AUTH_TYPES = ['NONE', 'AWS_IAM'] as const;
const INVOKE_MODES = ['BUFFERED', 'RESPONSE_STREAM'] as const;
const LIST_MAX = 50;

const NO_FUNCTION = 'Function does not exist';
const NO_SUCH = 'The resource you requested does not exist.';

const problem = (value: unknown, field: string, constraint: string): string => `Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`;
const listText = (v: string[]): string => `[${v.join(', ')}]`;

function qualifierProblem(q: string): string | undefined {
  if (q.length < 1) return problem(q, 'qualifier', 'Member must have length greater than or equal to 1');
  if (q.length > 128) return problem(q, 'qualifier', 'Member must have length less than or equal to 128');
  if (!QUALIFIER_RE.test(q)) return problem(q, 'qualifier', `Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`);
  return undefined;
}

/**
 * The function and qualifier a request names, with the model's checks in member order (FunctionName, Qualifier, then
 * the body's `more`) reported together; then the name/qualifier agreement. The qualifier may come inside the name
 * (`fn:alias`) too: it is held to the same pattern (AWS's answer for `fn:1` is not recorded).
 */
function target(s: Services, req: ApiRequest, more: string[] = []): FunctionRef {
  const name = req.params.fn;
  const bare = parseFunctionName(name, s.account, 'strict');
  const param = req.query.get('Qualifier') ?? undefined;
  const failed = [param !== undefined ? qualifierProblem(param) : undefined, ...more].filter((x): x is string => x !== undefined);
  if (bare.qualifier !== undefined && param === undefined) {
    const p = qualifierProblem(bare.qualifier);
    if (p) failed.unshift(p);
  }
  if (failed.length) throw validations(failed);
  return parseFunctionName(name, s.account, 'strict', param);
}

/** The function, and the alias when qualified; `missing` words the 404 (it differs per operation). */
async function exists(s: Services, ref: FunctionRef, missing: string): Promise<void> {
  if (!(await s.store.getFunction(ref.name))) throw err('ResourceNotFoundException', missing);
  if (ref.qualifier !== undefined && !(await s.store.getAlias(ref.name, ref.qualifier))) throw err('ResourceNotFoundException', missing);
}

interface Settings {
  authType?: FunctionUrlRecord['authType'];
  cors?: Record<string, unknown>;
  invokeMode?: FunctionUrlRecord['invokeMode'];
}

/**
 * AuthType, Cors and InvokeMode with the model's constraints, as problems for one ValidationException (AWS's exact
 * wording for the Cors members' constraints is not recorded; it follows the service's usual form). Types that do not
 * parse fail at once, as AWS's parser does.
 */
function readSettings(body: Record<string, unknown>, requireAuth: boolean): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const settings: Settings = {};
  const auth = str(body, 'AuthType');
  if (auth === undefined) {
    if (requireAuth) problems.push(nullAt('authType'));
  } else if (!(AUTH_TYPES as readonly string[]).includes(auth)) problems.push(problem(auth, 'authType', `Member must satisfy enum value set: ${listText([...AUTH_TYPES])}`));
  else settings.authType = auth as Settings['authType'];
  const cors = obj(body, 'Cors');
  if (cors !== undefined) {
    const out: Record<string, unknown> = {};
    const credentials = bool(cors, 'AllowCredentials');
    if (credentials !== undefined) out.AllowCredentials = credentials;
    const lists: [string, string, number, number, number][] = [
      // member, field, most items, shortest item, longest item
      ['AllowHeaders', 'allowHeaders', 100, 0, 1024],
      ['AllowMethods', 'allowMethods', 6, 0, 6],
      ['AllowOrigins', 'allowOrigins', 100, 1, 253],
      ['ExposeHeaders', 'exposeHeaders', 100, 0, 1024],
    ];
    for (const [member, field, most, shortest, longest] of lists) {
      const v = stringList(cors, member);
      if (v === undefined) continue;
      out[member] = v;
      if (v.length > most) problems.push(problem(listText(v), `cors.${field}`, `Member must have length less than or equal to ${most}`));
      for (const item of v) {
        if (item.length < shortest) problems.push(problem(item, `cors.${field}.member`, `Member must have length greater than or equal to ${shortest}`));
        if (item.length > longest) problems.push(problem(item, `cors.${field}.member`, `Member must have length less than or equal to ${longest}`));
      }
    }
    const maxAge = int(cors, 'MaxAge');
    if (maxAge !== undefined) {
      out.MaxAge = maxAge;
      if (maxAge < 0) problems.push(problem(maxAge, 'cors.maxAge', 'Member must have value greater than or equal to 0'));
      if (maxAge > 86400) problems.push(problem(maxAge, 'cors.maxAge', 'Member must have value less than or equal to 86400'));
    }
    settings.cors = out;
  }
  const mode = str(body, 'InvokeMode');
  if (mode !== undefined) {
    if (!(INVOKE_MODES as readonly string[]).includes(mode)) problems.push(problem(mode, 'invokeMode', `Member must satisfy enum value set: ${listText([...INVOKE_MODES])}`));
    else settings.invokeMode = mode as Settings['invokeMode'];
  }
  return { settings, problems };
}

/** The server's port, for the FunctionUrl (the URL is served on the API's own port). */
function portOf(s: Services): string {
  try {
    return new URL(s.baseUrl()).port;
  } catch {
    return '';
  }
}

/** The answer's members in AWS's order; `lastModified` and `invokeMode` per operation (see the file's header). */
function shape(s: Services, u: FunctionUrlRecord, opts: { lastModified: boolean; invokeMode: 'always' | 'when-set' | 'never' }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    FunctionUrl: functionUrl(u.urlId, s.account.region, portOf(s)),
    FunctionArn: functionArn(s.account, u.functionName, u.qualifier === '' ? undefined : u.qualifier),
    AuthType: u.authType,
  };
  if (u.cors !== null) out.Cors = u.cors;
  out.CreationTime = u.creationTime;
  if (opts.lastModified) out.LastModifiedTime = u.lastModifiedTime;
  if (opts.invokeMode === 'always') out.InvokeMode = u.invokeMode ?? 'BUFFERED';
  else if (opts.invokeMode === 'when-set' && u.invokeMode !== null) out.InvokeMode = u.invokeMode;
  return out;
}

/** ISO-8601 with microseconds and `Z`, the form AWS's CreationTime and LastModifiedTime take. */
const now = (): string => new Date().toISOString().replace('Z', '000Z');

export const createFunctionUrlConfig: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const { settings, problems } = readSettings(body, true);
  const ref = target(s, req, problems);
  await exists(s, ref, NO_FUNCTION);
  const at = now();
  const rec: FunctionUrlRecord = {
    functionName: ref.name,
    qualifier: ref.qualifier ?? '',
    urlId: newUrlId(),
    authType: settings.authType!,
    cors: settings.cors ?? null,
    invokeMode: settings.invokeMode ?? null,
    creationTime: at,
    lastModifiedTime: at,
  };
  if (!(await s.store.insertFunctionUrl(rec))) {
    // One exists, or the function went meanwhile.
    if (!(await s.store.getFunction(ref.name))) throw err('ResourceNotFoundException', NO_FUNCTION);
    throw err(
      'ResourceConflictException',
      `Failed to create function url config for [functionArn = ${functionArn(s.account, ref.name, ref.qualifier)}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
    );
  }
  return { status: 201, json: shape(s, rec, { lastModified: false, invokeMode: 'when-set' }) };
};

export const getFunctionUrlConfig: Operation = async (s, req) => {
  const ref = target(s, req);
  await exists(s, ref, NO_SUCH);
  const u = await s.store.getFunctionUrl(ref.name, ref.qualifier ?? '');
  if (!u) throw err('ResourceNotFoundException', NO_SUCH);
  return { status: 200, json: shape(s, u, { lastModified: true, invokeMode: 'always' }) };
};

export const updateFunctionUrlConfig: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const { settings, problems } = readSettings(body, false);
  const ref = target(s, req, problems);
  await exists(s, ref, NO_FUNCTION);
  const current = await s.store.getFunctionUrl(ref.name, ref.qualifier ?? '');
  if (!current) throw err('ResourceNotFoundException', NO_SUCH);
  const next: FunctionUrlRecord = {
    ...current,
    authType: settings.authType ?? current.authType,
    cors: settings.cors ?? current.cors,
    invokeMode: settings.invokeMode ?? current.invokeMode,
    lastModifiedTime: now(),
  };
  if (!(await s.store.replaceFunctionUrl(next))) throw err('ResourceNotFoundException', NO_SUCH);
  return { status: 200, json: shape(s, next, { lastModified: true, invokeMode: 'when-set' }) };
};

export const deleteFunctionUrlConfig: Operation = async (s, req) => {
  const ref = target(s, req);
  await exists(s, ref, NO_SUCH);
  if (!(await s.store.deleteFunctionUrl(ref.name, ref.qualifier ?? ''))) throw err('ResourceNotFoundException', NO_SUCH);
  return { status: 204 };
};

function listLimit(query: URLSearchParams): number {
  const raw = query.get('MaxItems');
  if (raw === null) return LIST_MAX;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw validations([problem(raw, 'maxItems', 'Member must have value greater than or equal to 1')]);
  if (n > LIST_MAX) throw validations([problem(raw, 'maxItems', `Member must have value less than or equal to ${LIST_MAX}`)]);
  return n;
}

export const listFunctionUrlConfigs: Operation = async (s, req) => {
  const ref = parseFunctionName(req.params.fn, s.account, 'strict');
  const limit = listLimit(req.query);
  if (!(await s.store.getFunction(ref.name))) throw err('ResourceNotFoundException', NO_FUNCTION);
  const p = await s.store.listFunctionUrls(ref.name, { marker: req.query.get('Marker') ?? undefined, limit });
  const json: Record<string, unknown> = { FunctionUrlConfigs: p.items.map((u) => shape(s, u, { lastModified: true, invokeMode: 'always' })) };
  if (p.nextMarker) json.NextMarker = p.nextMarker;
  return { status: 200, json };
};
