// Reading `Code.ZipFile` (base64 in the JSON body) from CreateFunction and UpdateFunctionCode.
import { err } from '../../core/errors.js';

export function readZipFile(code: Record<string, unknown>): Buffer {
  if (code.S3Bucket !== undefined || code.S3Key !== undefined || code.ImageUri !== undefined) {
    throw err('InvalidParameterValueException', 'Alonzo takes function code as Code.ZipFile only (S3 and container images are not supported).');
  }
  const zip = code.ZipFile;
  if (typeof zip !== 'string' || zip.length === 0) {
    throw err('InvalidParameterValueException', 'Please provide a source for function code.');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(zip)) throw err('InvalidRequestContentException', 'Could not parse request body into json: Could not decode ZipFile: Illegal base64 character');
  return Buffer.from(zip, 'base64');
}
