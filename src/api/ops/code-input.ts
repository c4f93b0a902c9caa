// Reading a code package from a request: `ZipFile` (base64 in the JSON body) or an S3 object (`S3Bucket`, `S3Key`,
// `S3ObjectVersion`), for CreateFunction's `Code`, UpdateFunctionCode's body and PublishLayerVersion's `Content`.
import { err } from '../../core/errors.js';
import { MAX_UNZIPPED, MAX_ZIPPED } from '../../code/index.js';
import { validations } from '../body.js';
import type { Services } from '../context.js';

const BUCKET_PATTERN = '^[0-9A-Za-z\\.\\-_]*(?<!\\.)$';

/** A package read from a request: its bytes, and the largest zip it may be (an S3 object may exceed a direct upload's 50 MB). */
export interface CodeInput {
  zip: Buffer;
  maxZipped: number;
}

/** The `ZipFile`, or the S3 object the members name (fetched now), with AWS's errors for what is missing or wrong. */
export async function readCode(s: Services, code: Record<string, unknown>, owner: 'S3' | 'Content' = 'S3'): Promise<CodeInput> {
  if (code.ImageUri !== undefined) {
    throw err('InvalidParameterValueException', 'Alonzo runs Zip packages only; container images (ImageUri) are not supported.');
  }
  const bucket = code.S3Bucket;
  const key = code.S3Key;
  const version = code.S3ObjectVersion;
  if (bucket === undefined && key === undefined && version === undefined) return { zip: readZipFile(code), maxZipped: MAX_ZIPPED };
  if (code.ZipFile !== undefined) throw err('InvalidParameterValueException', 'Please do not provide other FunctionCode parameters when providing a ZipFile.');
  for (const [name, v] of [['S3Bucket', bucket], ['S3Key', key], ['S3ObjectVersion', version]] as const) {
    if (v !== undefined && typeof v !== 'string') throw err('InvalidRequestContentException', `Could not parse request body into json: ${name} must be a string`);
  }
  if (bucket === undefined || key === undefined) {
    throw err('InvalidParameterValueException', `Please provide a source for function code.`);
  }
  const failed: string[] = [];
  const field = owner === 'S3' ? 'code' : 'content';
  const b = bucket as string;
  if (b.length < 3 || b.length > 63) failed.push(`Value '${b}' at '${field}.s3Bucket' failed to satisfy constraint: Member must have length ${b.length < 3 ? 'greater than or equal to 3' : 'less than or equal to 63'}`);
  else if (!new RegExp(BUCKET_PATTERN).test(b)) failed.push(`Value '${b}' at '${field}.s3Bucket' failed to satisfy constraint: Member must satisfy regular expression pattern: ${BUCKET_PATTERN}`);
  const k = key as string;
  if (k.length < 1 || k.length > 1024) failed.push(`Value '${k}' at '${field}.s3Key' failed to satisfy constraint: Member must have length ${k.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 1024'}`);
  if (failed.length) throw validations(failed);
  const zip = await s.codeSource.get({ bucket: b, key: k, version: version as string | undefined }, MAX_UNZIPPED);
  return { zip, maxZipped: MAX_UNZIPPED };
}

export function readZipFile(code: Record<string, unknown>): Buffer {
  const zip = code.ZipFile;
  if (typeof zip !== 'string' || zip.length === 0) {
    throw err('InvalidParameterValueException', 'Please provide a source for function code.');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(zip)) throw err('InvalidRequestContentException', 'Could not parse request body into json: Could not decode ZipFile: Illegal base64 character');
  return Buffer.from(zip, 'base64');
}
