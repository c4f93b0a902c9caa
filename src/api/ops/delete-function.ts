// DeleteFunction: DELETE /2015-03-31/functions/{fn}[?Qualifier=N] → 204; a version qualifier deletes only that version.
import { err } from '../../core/errors.js';
import { isVersionNumber, LATEST } from '../../core/names.js';
import { refOf, loadFunction } from '../resolve.js';
import type { Operation } from '../context.js';

export const deleteFunction: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  // Both refusals come before the function is looked up: AWS answers them for functions that do not exist
  // (oracle test_ops_with_arn_qualifier_mismatch[delete_function]).
  if (ref.qualifier === LATEST) throw err('InvalidParameterValueException', '$LATEST version cannot be deleted without deleting the function.');
  if (ref.qualifier !== undefined && !isVersionNumber(ref.qualifier)) throw err('InvalidParameterValueException', 'Deletion of aliases is not currently supported.');
  const fn = await loadFunction(s, { ...ref, qualifier: undefined });
  if (ref.qualifier === undefined) {
    await s.store.deleteFunction(fn.name);
    s.invoker.evict(fn.name);
    return { status: 204 };
  }
  const version = ref.qualifier;
  // An alias routing part of its traffic to the version references it too.
  const aliases = await s.store.listAliases(fn.name, { limit: 10000 });
  const users = aliases.items.filter((a) => a.functionVersion === version || (a.routing !== null && version in a.routing)).map((a) => a.name);
  if (users.length) {
    throw err('ResourceConflictException', `Unable to delete version because the following aliases reference it: [${users.join(', ')}]`);
  }
  // Deleting a version that does not exist is a no-op on AWS (oracle test_delete_on_nonexisting_version).
  await s.store.deleteVersion(fn.name, version);
  s.invoker.evict(fn.name, version);
  return { status: 204 };
};
