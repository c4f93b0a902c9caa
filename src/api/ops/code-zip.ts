// GetFunction's Code.Location: serves a stored zip by its SHA-256 (hex), as AWS's presigned S3 URL would.
import { readFile } from 'node:fs/promises';
import { err } from '../../core/errors.js';
import type { Operation } from '../context.js';

export const getCodeZip: Operation = async (s, req) => {
  const m = /^([0-9a-f]{64})\.zip$/.exec(req.params.sha);
  if (!m) throw err('ResourceNotFoundException', 'The resource you requested does not exist.');
  try {
    const zip = await readFile(s.code.zipPath(m[1]));
    return { status: 200, raw: zip, headers: { 'Content-Type': 'application/zip' } };
  } catch {
    throw err('ResourceNotFoundException', 'The resource you requested does not exist.');
  }
};
