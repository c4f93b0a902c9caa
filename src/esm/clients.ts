// The AWS SDK clients the pollers read sources with, one per service and region, found as the SDKs find them.
//
// Where the services are: the SDK's own configuration, as users already set it — AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_SQS (…_KINESIS, …_DYNAMODB_STREAMS), AWS_PROFILE and ~/.aws/config's `endpoint_url`, the credential
// chain (environment, profiles, SSO, instance roles). Config `destinationEndpoint`, when set, still wins for SQS, as it
// does for destinations (one stand-in for everything). The SDK modules are imported on first use: a server with no
// mapping never loads them.
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface SourceClientOptions {
  /** An explicit endpoint for every service (config `destinationEndpoint`); empty: the SDK's configuration decides. */
  endpoint?: string;
}

export interface SourceClients {
  sqs(region: string): Promise<SQSClient>;
  close(): void;
}

export function sourceClients(opts: SourceClientOptions = {}): SourceClients {
  const endpoint = opts.endpoint || undefined;
  const sqsClients = new Map<string, Promise<SQSClient>>();
  // Long polls hold a request for up to 20 s: the socket timeout must outlast them.
  const requestHandler = { connectionTimeout: 3000, requestTimeout: 30_000 };
  return {
    sqs(region) {
      let c = sqsClients.get(region);
      if (!c) {
        c = import('@aws-sdk/client-sqs').then((m) => new m.SQSClient({ region, ...(endpoint ? { endpoint } : {}), requestHandler, maxAttempts: 3 }));
        sqsClients.set(region, c);
      }
      return c;
    },
    close() {
      for (const c of sqsClients.values()) void c.then((x) => x.destroy());
      sqsClients.clear();
    },
  };
}
