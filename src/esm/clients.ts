// The AWS SDK clients the pollers read sources with, one per service and region, found as the SDKs find them.
//
// Where the services are: the SDK's own configuration, as users already set it — AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_SQS (…_KINESIS, …_DYNAMODB_STREAMS), AWS_PROFILE and ~/.aws/config's `endpoint_url`, the credential
// chain (environment, profiles, SSO, instance roles). Config `destinationEndpoint`, when set, still wins for SQS, as it
// does for destinations (one stand-in for everything). The SDK modules are imported on first use: a server with no
// mapping never loads them.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { S3Client } from '@aws-sdk/client-s3';

export interface SourceClientOptions {
  /** An explicit endpoint for every service (config `destinationEndpoint`); empty: the SDK's configuration decides. */
  endpoint?: string;
  /** S3's own (config `s3Endpoint`), before `endpoint`. */
  s3Endpoint?: string;
}

export interface SourceClients {
  sqs(region: string): Promise<SQSClient>;
  kinesis(region: string): Promise<KinesisClient>;
  dynamodbStreams(region: string): Promise<DynamoDBStreamsClient>;
  /** For S3 on-failure destinations. */
  s3(region: string): Promise<S3Client>;
  close(): void;
}

export function sourceClients(opts: SourceClientOptions = {}): SourceClients {
  const endpoint = opts.endpoint || undefined;
  const clients = new Map<string, Promise<{ destroy(): void }>>();
  function once<T extends { destroy(): void }>(key: string, make: () => Promise<T>): Promise<T> {
    let c = clients.get(key);
    if (!c) clients.set(key, (c = make()));
    return c as Promise<T>;
  }
  // Long polls hold a request for up to 20 s: the socket timeout must outlast them.
  const requestHandler = { connectionTimeout: 3000, requestTimeout: 30_000 };
  // Kinesis and DynamoDB Streams only go to the endpoint setting when it is set: it names a stand-in for every service.
  const options = (region: string) => ({ region, ...(endpoint ? { endpoint } : {}), requestHandler, maxAttempts: 3 });
  // The Kinesis client speaks HTTP/2 unless told otherwise (for SubscribeToShard, which the pollers do not use); the
  // stand-ins (moto_server, ElasticMQ…) speak HTTP/1.1, which AWS's endpoints accept for every call made here.
  const http1 = (region: string) => import('@smithy/node-http-handler').then((h) => ({ ...options(region), requestHandler: new h.NodeHttpHandler(requestHandler) }));
  return {
    sqs: (region) => once(`sqs ${region}`, () => import('@aws-sdk/client-sqs').then((m) => new m.SQSClient(options(region)))),
    kinesis: (region) => once(`kinesis ${region}`, async () => new (await import('@aws-sdk/client-kinesis')).KinesisClient(await http1(region))),
    s3: (region) =>
      once(`s3 ${region}`, async () => {
        const s3Endpoint = opts.s3Endpoint || endpoint;
        // Path-style for a stand-in (named here, or through the SDK's variables): `bucket.127.0.0.1` resolves nowhere.
        const standIn = Boolean(s3Endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
        return new (await import('@aws-sdk/client-s3')).S3Client({ ...options(region), ...(s3Endpoint ? { endpoint: s3Endpoint } : {}), forcePathStyle: standIn });
      }),
    dynamodbStreams: (region) => once(`ddbs ${region}`, () => import('@aws-sdk/client-dynamodb-streams').then((m) => new m.DynamoDBStreamsClient(options(region)))),
    close() {
      for (const c of clients.values()) void c.then((x) => x.destroy(), () => undefined);
      clients.clear();
    },
  };
}
