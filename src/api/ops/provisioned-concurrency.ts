// Put/Get/Delete/ListProvisionedConcurrencyConfigs: /2019-09-30/functions/{fn}/provisioned-concurrency[?Qualifier=|?List=ALL].
import { err, validation } from '../../core/errors.js';
import { functionArn, isVersionNumber, LATEST } from '../../core/names.js';
import { lambdaTimestamp } from '../../core/ids.js';
import { parseJsonBody, int } from '../body.js';
import { refOf, loadFunction, notFound } from '../resolve.js';
import type { ApiRequest, Operation, Services } from '../context.js';
import type { ProvisionedConfig } from '../../store/types.js';

/** The version a qualifier provisions: itself, or the alias's version. */
async function target(s: Services, req: ApiRequest): Promise<{ fnName: string; qualifier: string; version: string }> {
  const ref = refOf(s, req, 'manage');
  if (ref.qualifier === undefined) throw validation('null', 'qualifier', 'Member must not be null');
  const fn = await loadFunction(s, ref, ref.qualifier);
  if (ref.qualifier === LATEST) throw err('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
  let version = ref.qualifier;
  if (!isVersionNumber(version)) {
    const alias = await s.store.getAlias(fn.name, ref.qualifier);
    if (!alias) throw notFound(s, fn.name, ref.qualifier);
    if (alias.functionVersion === LATEST) throw err('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    version = alias.functionVersion;
  } else if (!(await s.store.getVersion(fn.name, version))) {
    throw notFound(s, fn.name, version);
  }
  return { fnName: fn.name, qualifier: ref.qualifier, version };
}

function render(s: Services, cfg: ProvisionedConfig, version: string, withArn: boolean): Record<string, unknown> {
  const st = s.invoker.provisionedStatus(cfg.functionName, version, cfg.requested);
  const out: Record<string, unknown> = {};
  if (withArn) out.FunctionArn = functionArn(s.account, cfg.functionName, cfg.qualifier);
  Object.assign(out, {
    RequestedProvisionedConcurrentExecutions: cfg.requested,
    AvailableProvisionedConcurrentExecutions: st.available,
    AllocatedProvisionedConcurrentExecutions: st.allocated,
    Status: st.status,
  });
  if (st.reason) out.StatusReason = st.reason;
  out.LastModified = cfg.lastModified;
  return out;
}

const configNotFound = () => err('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');

export const putProvisionedConcurrencyConfig: Operation = async (s, req) => {
  const body = parseJsonBody(req.body);
  const n = int(body, 'ProvisionedConcurrentExecutions');
  if (n === undefined) throw validation('null', 'provisionedConcurrentExecutions', 'Member must not be null');
  if (n < 1) throw validation(n, 'provisionedConcurrentExecutions', 'Member must have value greater than or equal to 1');
  const t = await target(s, req);
  const fn = await s.store.getFunction(t.fnName);
  const others = (await s.store.listProvisioned(t.fnName)).filter((c) => c.qualifier !== t.qualifier);
  if (fn?.reservedConcurrency !== null && fn?.reservedConcurrency !== undefined && others.reduce((a, c) => a + c.requested, n) > fn.reservedConcurrency) {
    throw err('InvalidParameterValueException', 'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function');
  }
  const cfg: ProvisionedConfig = { functionName: t.fnName, qualifier: t.qualifier, requested: n, lastModified: lambdaTimestamp() };
  await s.store.putProvisioned(cfg);
  await s.invoker.provision(t.fnName, t.qualifier, t.version, n);
  return {
    status: 202,
    json: { RequestedProvisionedConcurrentExecutions: n, AllocatedProvisionedConcurrentExecutions: 0, Status: 'IN_PROGRESS', LastModified: cfg.lastModified },
  };
};

export const getProvisionedConcurrency: Operation = async (s, req) => {
  if (req.query.get('List') !== null) return listProvisionedConcurrencyConfigs(s, req);
  const t = await target(s, req);
  const cfg = await s.store.getProvisioned(t.fnName, t.qualifier);
  if (!cfg) throw configNotFound();
  return { status: 200, json: render(s, cfg, t.version, false) };
};

async function listProvisionedConcurrencyConfigs(s: Services, req: ApiRequest) {
  const fn = await loadFunction(s, refOf(s, req, 'manage'));
  const configs = await s.store.listProvisioned(fn.name);
  const out = [];
  for (const c of configs) {
    const alias = isVersionNumber(c.qualifier) ? undefined : await s.store.getAlias(fn.name, c.qualifier);
    out.push(render(s, c, alias?.functionVersion ?? c.qualifier, true));
  }
  return { status: 200, json: { ProvisionedConcurrencyConfigs: out } };
}

export const deleteProvisionedConcurrencyConfig: Operation = async (s, req) => {
  const t = await target(s, req);
  if (!(await s.store.deleteProvisioned(t.fnName, t.qualifier))) throw configNotFound();
  await s.invoker.provision(t.fnName, t.qualifier, t.version, 0);
  return { status: 204 };
};
