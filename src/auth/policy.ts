// IAM identity policies, the part Alonzo needs: Allow/Deny statements over Action and Resource patterns; explicit Deny wins, default deny.
//
// IAM matches actions case-insensitively and resources (ARNs) case-sensitively; in both, `*` matches any run of
// characters (colons and slashes included) and `?` exactly one. Conditions, NotAction, NotResource and Principal are
// refused when a key is created rather than silently ignored: a policy must not mean less than it says.

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

export interface Policy {
  Version?: string;
  Statement: Statement[];
}

export class PolicyError extends Error {}

const list = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** Validates a policy document (an object or its JSON text) and returns it with Statement as an array. */
export function parsePolicy(doc: unknown): Policy {
  let v = doc;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (e) {
      throw new PolicyError(`the policy is not JSON (${(e as Error).message})`);
    }
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PolicyError('the policy must be a JSON object with a Statement');
  const o = v as Record<string, unknown>;
  const raw = Array.isArray(o.Statement) ? o.Statement : o.Statement !== undefined ? [o.Statement] : undefined;
  if (!raw || raw.length === 0) throw new PolicyError('the policy has no Statement');
  const statements = raw.map((s, i): Statement => {
    if (s === null || typeof s !== 'object') throw new PolicyError(`Statement ${i} is not an object`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (!['Sid', 'Effect', 'Action', 'Resource'].includes(k)) throw new PolicyError(`Statement ${i}: ${k} is not supported (only Sid, Effect, Action, Resource)`);
    }
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw new PolicyError(`Statement ${i}: Effect must be Allow or Deny`);
    const action = list(st.Action);
    const resource = list(st.Resource);
    if (!action) throw new PolicyError(`Statement ${i}: Action must be a string or a list of strings`);
    if (!resource) throw new PolicyError(`Statement ${i}: Resource must be a string or a list of strings`);
    return { ...(typeof st.Sid === 'string' ? { Sid: st.Sid } : {}), Effect: st.Effect, Action: action, Resource: resource };
  });
  return { ...(typeof o.Version === 'string' ? { Version: o.Version } : {}), Statement: statements };
}

const compiled = new Map<string, RegExp>();

/** An IAM wildcard pattern as a regular expression (cached: a policy's patterns are few and reused on every request). */
function pattern(p: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}${p}`;
  let re = compiled.get(key);
  if (!re) {
    const body = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
    compiled.set(key, re);
  }
  return re;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * IAM's evaluation for one identity policy: an explicit Deny wins, then an Allow, else deny. The resource may be given
 * as a function, called only if a statement needs it (finding CreateFunction's means parsing a body of up to 70 MB).
 */
export function evaluate(policy: Policy, action: string, resource: string | (() => string)): Decision {
  let allowed = false;
  let arn: string | undefined;
  const resourceArn = () => (arn ??= typeof resource === 'string' ? resource : resource());
  for (const st of policy.Statement) {
    const actions = typeof st.Action === 'string' ? [st.Action] : st.Action;
    const resources = typeof st.Resource === 'string' ? [st.Resource] : st.Resource;
    if (!actions.some((a) => pattern(a, true).test(action))) continue;
    if (!resources.includes('*') && !resources.some((r) => pattern(r, false).test(resourceArn()))) continue;
    if (st.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
