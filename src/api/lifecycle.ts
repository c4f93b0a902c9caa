// The write side shared by the function operations: the per-function update lock and the Pending→Active / InProgress→Successful steps.
import { err } from '../core/errors.js';
import { functionArn } from '../core/names.js';
import { newRevisionId } from '../core/ids.js';
import type { VersionRecord } from '../store/types.js';
import type { Services } from './context.js';

/**
 * Runs `work` holding the function's update lock (the store's: in a cluster it holds across nodes), or throws the 409
 * AWS gives for a concurrent update.
 */
export async function withUpdateLock<T>(s: Services, name: string, work: () => Promise<T>): Promise<T> {
  const unlock = await s.store.tryLock(name);
  if (!unlock) {
    throw err('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(s.account, name)}`);
  }
  try {
    return await work();
  } finally {
    await unlock();
  }
}

/**
 * A create or update as it is stored and as it is answered.
 *
 * AWS answers a write with its transient state (State Pending on create, LastUpdateStatus InProgress on update) and
 * moves to Active / Successful a moment later under a new RevisionId (oracle test_function_revisions_basic). Alonzo has
 * nothing left to wait for once the code is unpacked, so it stores the settled record straight away and answers with
 * the transient view under a RevisionId of its own: the write is complete on disk before the answer goes out, and no
 * half-done state can outlive a stop or a crash.
 */
export function settledWrite(rec: VersionRecord): { stored: VersionRecord; answered: VersionRecord } {
  return {
    stored: { ...rec, state: 'Active', lastUpdateStatus: 'Successful', revisionId: newRevisionId() },
    answered: rec,
  };
}

export const preconditionFailed = (api = 'GetFunction/GetAlias') =>
  err('PreconditionFailedException', `The Revision Id provided does not match the latest Revision Id. Call the ${api} API to retrieve the latest Revision Id`);
