// GetFunction's Code.Location: serves a stored zip by its SHA-256 (hex), as AWS's presigned S3 URL would.
import { err } from '../../core/errors.js';
import type { Operation } from '../context.js';

export const getCodeZip: Operation = async (s, req) => {
  const m = /^([0-9a-f]{64})\.zip$/.exec(req.params.sha);
  if (!m) throw err('ResourceNotFoundException', 'The resource you requested does not exist.');
  // From the blob store: in a cluster the zip may have been uploaded to another node.
  const zip = await s.code.zip(m[1]);
  if (!zip) throw err('ResourceNotFoundException', 'The resource you requested does not exist.');
  return { status: 200, raw: zip, headers: { 'Content-Type': 'application/zip' } };
};
