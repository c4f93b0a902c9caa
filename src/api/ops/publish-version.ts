// PublishVersion: POST /2015-03-31/functions/{fn}/versions → 201 FunctionConfiguration of the new (or unchanged) version.
import { err, validation } from '../../core/errors.js';
import { LATEST } from '../../core/names.js';
import { lambdaTimestamp, newRevisionId } from '../../core/ids.js';
import { parseJsonBody, str } from '../body.js';
import { renderConfiguration } from '../shapes.js';
import { preconditionFailed, withUpdateLock } from '../lifecycle.js';
import { refOf, loadFunction, notFound } from '../resolve.js';
import type { Operation, Services } from '../context.js';
import type { VersionRecord } from '../../store/types.js';

/**
 * Published versions remember the RevisionId $LATEST was given when they were taken from it. Every change to $LATEST
 * gives it a new RevisionId, so "$LATEST still has that RevisionId" means nothing changed since that publish.
 */
type Published = VersionRecord & { settings: VersionRecord['settings'] & { publishedFrom?: string } };

export async function publishLatest(s: Services, name: string, opts: { description?: string; codeSha256?: string; revisionId?: string }): Promise<VersionRecord> {
  const latest = await s.store.getVersion(name, LATEST);
  if (!latest) throw notFound(s, name);
  if (opts.revisionId !== undefined && opts.revisionId !== latest.revisionId) throw preconditionFailed();
  if (opts.codeSha256 !== undefined && opts.codeSha256 !== latest.codeSha256) {
    throw err('InvalidParameterValueException', `CodeSHA256 (${opts.codeSha256}) is different from current CodeSHA256 in $LATEST (${latest.codeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
  }
  const versions = await s.store.listVersions(name, { limit: 10000 });
  const newest = versions.items.filter((v) => v.version !== LATEST).pop() as Published | undefined;
  // Publishing with nothing changed since the last publish returns that version, ignoring the new Description
  // (oracle test_version_lifecycle, test_publish_version_on_create).
  if (newest && newest.settings.publishedFrom === latest.revisionId) return newest;
  // Publishing changes $LATEST's RevisionId too (oracle test_function_revisions_version_and_alias).
  const latestRevision = newRevisionId();
  const { publishedFrom: _ignored, ...base } = latest.settings as Published['settings'];
  const rec: Omit<VersionRecord, 'version'> = {
    functionName: name,
    settings: { ...base, Description: opts.description ?? latest.settings.Description, publishedFrom: latestRevision } as VersionRecord['settings'],
    codeSha256: latest.codeSha256,
    codeSize: latest.codeSize,
    state: 'Active',
    lastUpdateStatus: 'Successful',
    revisionId: newRevisionId(),
    lastModified: lambdaTimestamp(),
  };
  // One transaction: the new version and $LATEST's new RevisionId are written together or not at all.
  let version: string;
  try {
    version = await s.store.publishVersion(rec, { from: latest.revisionId, to: latestRevision });
  } catch (e) {
    if ((e as Error).message.includes('changed while publishing')) throw preconditionFailed();
    throw e;
  }
  return { ...rec, version };
}

export const publishVersion: Operation = async (s, req) => {
  const ref = refOf(s, req, 'strict');
  const body = parseJsonBody(req.body);
  const fn = await loadFunction(s, ref);
  const opts = { description: str(body, 'Description'), codeSha256: str(body, 'CodeSha256'), revisionId: str(body, 'RevisionId') };
  if (opts.description !== undefined && opts.description.length > 256) throw validation(opts.description, 'description', 'Member must have length less than or equal to 256');
  const published = await withUpdateLock(s, fn.name, () => publishLatest(s, fn.name, opts));
  return { status: 201, json: renderConfiguration(s.account, published, { arnQualifier: published.version }) };
};
