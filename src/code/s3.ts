// Function and layer code from S3: `Code.S3Bucket` / `S3Key` / `S3ObjectVersion` (CreateFunction, UpdateFunctionCode)
// and `Content.S3*` (PublishLayerVersion), fetched once with GetObject and then stored like an uploaded zip.
//
// Where S3 is: config `s3Endpoint` (`--s3-endpoint`, ALONZO_S3_ENDPOINT: MinIO, moto_server, LocalStack), addressed
// path-style as those want; empty means the AWS SDK's own resolution (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else
// real S3 for the server's region). The request is signed with the server's credentials from its environment (the
// SDK's default chain), not the caller's: whoever may call CreateFunction can make Alonzo read what those credentials
// can read (docs/SECURITY.md). The SDK is imported on first use, as the destination sender's.
import type { S3Client } from '@aws-sdk/client-s3';
import { err } from '../core/errors.js';
import { describeAwsError } from '../core/aws-errors.js';

export interface S3Location {
  bucket: string;
  key: string;
  version?: string;
}

/** The port the API reads S3 code through; the composition root builds it. */
export interface CodeSource {
  /** The object's bytes, at most `limit` of them; AWS's InvalidParameterValueException when it cannot be read. */
  get(where: S3Location, limit: number): Promise<Buffer>;
  close(): void;
}

export interface S3SourceOptions {
  /** Empty or undefined: the SDK's own endpoint resolution. */
  endpoint?: string;
  region: string;
}

/** AWS's wording for an object Lambda could not get. */
const getObjectError = (code: string, message: string) => err('InvalidParameterValueException', `Error occurred while GetObject. S3 Error Code: ${code}. S3 Error Message: ${message}`);

/** S3's own message for the common codes (what AWS's Lambda quotes), when the stand-in sends none. */
const S3_MESSAGES: Record<string, string> = {
  NoSuchKey: 'The specified key does not exist.',
  NoSuchBucket: 'The specified bucket does not exist',
  AccessDenied: 'Access Denied',
  NoSuchVersion: 'The specified version does not exist.',
};

export function s3CodeSource(opts: S3SourceOptions): CodeSource {
  let module: Promise<typeof import('@aws-sdk/client-s3')> | undefined;
  let client: S3Client | undefined;
  return {
    async get(where, limit) {
      const s3 = await (module ??= import('@aws-sdk/client-s3'));
      client ??= new s3.S3Client({
        region: opts.region,
        endpoint: opts.endpoint || undefined,
        forcePathStyle: Boolean(opts.endpoint),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: 3000, requestTimeout: 60_000 },
      });
      let r;
      try {
        r = await client.send(new s3.GetObjectCommand({ Bucket: where.bucket, Key: where.key, VersionId: where.version }));
      } catch (e) {
        const name = (e as { name?: string }).name;
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (name && status && name !== 'Error') {
          // S3 answered: its code and message, as AWS's Lambda quotes them. A HEAD-less 404 without a code is a key.
          const code = name === 'NotFound' ? 'NoSuchKey' : name;
          const message = S3_MESSAGES[code] ?? ((e as Error).message || code);
          throw getObjectError(code, message);
        }
        // S3 did not answer (no endpoint, no credentials): said plainly, with what to set.
        throw err(
          'InvalidParameterValueException',
          `Error occurred while GetObject. Alonzo could not reach S3${opts.endpoint ? ` at ${opts.endpoint}` : ''}: ${describeAwsError(e)}. Set --s3-endpoint (ALONZO_S3_ENDPOINT) and the server's AWS credentials.`,
        );
      }
      const declared = r.ContentLength ?? 0;
      if (declared > limit) throw err('InvalidParameterValueException', `Unzipped size must be smaller than ${limit} bytes`);
      // Read with a cap, whatever the length header said: an endless body stops at the limit.
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of r.Body as AsyncIterable<Uint8Array>) {
        size += c.length;
        if (size > limit) {
          (r.Body as { destroy?: () => void }).destroy?.();
          throw err('InvalidParameterValueException', `Unzipped size must be smaller than ${limit} bytes`);
        }
        chunks.push(Buffer.from(c));
      }
      return Buffer.concat(chunks);
    },
    close() {
      client?.destroy();
    },
  };
}
