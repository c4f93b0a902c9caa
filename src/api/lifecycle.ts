// The write side shared by the function operations: the per-function update lock and the Pending→Active / InProgress→Successful steps.
import { err } from '../core/errors.js';
import { functionArn } from '../core/names.js';
import { newRevisionId } from '../core/ids.js';
import type { VersionRecord } from '../store/types.js';
import type { Services } from './context.js';

/** Functions with a create or update under way: a second update meanwhile gets AWS's 409. */
export const updating = (s: Services): Set<string> => s.updating;

/** Runs `work` holding the function's update lock, or throws the 409 AWS gives for a concurrent update. */
export async function withUpdateLock<T>(s: Services, name: string, work: () => Promise<T>): Promise<T> {
  const set = updating(s);
  if (set.has(name)) {
    throw err('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(s.account, name)}`);
  }
  set.add(name);
  try {
    return await work();
  } finally {
    set.delete(name);
  }
}

/**
 * Completes a write as AWS does a moment later: State Active / LastUpdateStatus Successful, with a new RevisionId.
 * The code is already unpacked when the write answers, so nothing is left to wait for here.
 */
export async function settle(s: Services, rec: VersionRecord): Promise<void> {
  const cur = await s.store.getVersion(rec.functionName, rec.version);
  if (!cur || cur.revisionId !== rec.revisionId) return;
  await s.store.putVersion({ ...cur, state: 'Active', lastUpdateStatus: 'Successful', revisionId: newRevisionId() }, rec.revisionId);
}

export const preconditionFailed = (api = 'GetFunction/GetAlias') =>
  err('PreconditionFailedException', `The Revision Id provided does not match the latest Revision Id. Call the ${api} API to retrieve the latest Revision Id`);
