// DeleteFunction: DELETE /2015-03-31/functions/{fn}[?Qualifier=N] → 204; a version qualifier deletes only that version.
import { err } from '../../core/errors.js';
import { isVersionNumber, LATEST } from '../../core/names.js';
import { refOf, loadFunction } from '../resolve.js';
import type { Operation } from '../context.js';

export const deleteFunction: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  if (ref.qualifier === LATEST) throw err('InvalidParameterValueException', '$LATEST version cannot be deleted without deleting the function.');
  const fn = await loadFunction(s, { ...ref, qualifier: undefined });
  if (ref.qualifier === undefined) {
    await s.store.deleteFunction(fn.name);
    s.invoker.evict(fn.name);
    return { status: 204 };
  }
  if (isVersionNumber(ref.qualifier)) {
    const aliases = await s.store.listAliases(fn.name, { limit: 10000, functionVersion: ref.qualifier });
    if (aliases.items.length) {
      throw err('ResourceConflictException', `Unable to delete version because the following aliases reference it: [${aliases.items.map((a) => a.name).join(', ')}]`);
    }
    // Deleting a version that does not exist is a no-op on AWS.
    await s.store.deleteVersion(fn.name, ref.qualifier);
    s.invoker.evict(fn.name, ref.qualifier);
    return { status: 204 };
  }
  throw err('InvalidParameterValueException', 'Deletion of aliases is not supported by this operation. Use DeleteAlias.');
};
