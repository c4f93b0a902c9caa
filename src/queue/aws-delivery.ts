// Sending a destination record or a dead-letter message to an Amazon SQS queue or an Amazon SNS topic through the AWS SDK.
//
// The SDK clients are imported on first use: a server whose functions never name an SQS or SNS target does not load
// them at all (loading both costs ≈ 0.25 s and ≈ 20 MB of RSS on a 2-core dev machine, measured with --expose-gc). The endpoint is configurable
// (config `destinationEndpoint`: a moto_server, LocalStack…); empty means the SDK's own endpoint for the region in the
// ARN, with the server's credentials from its environment. Each call is tried once here: retries belong to the queue,
// which keeps a send that failed and tries it again later with a growing backoff (see poller.ts).
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import { describeAwsError } from '../core/aws-errors.js';

export { describeAwsError };

/** What goes out: the body, and for a dead-letter queue the message attributes Lambda adds. */
export interface OutboundMessage {
  /** An SQS queue ARN or an SNS topic ARN. */
  target: string;
  body: string;
  attributes?: Record<string, { DataType: string; StringValue: string }>;
}

/** The port the poller sends through; the composition root picks the adapter. */
export interface DestinationSender {
  /** Resolves once the service accepted the message; rejects with an error whose message says why. */
  send(m: OutboundMessage): Promise<void>;
  /** Frees the clients' sockets. */
  close(): void;
}

export interface AwsTarget {
  service: 'sqs' | 'sns';
  region: string;
  accountId: string;
  /** The queue or topic name. */
  name: string;
  fifo: boolean;
}

// Queue names: up to 80 of [A-Za-z0-9_-] (+ `.fifo`); topic names up to 256.
const SQS_ARN = /^arn:(aws[a-zA-Z-]*):sqs:([a-z0-9-]+):(\d{12}):([a-zA-Z0-9_-]{1,80}(?:\.fifo)?)$/;
const SNS_ARN = /^arn:(aws[a-zA-Z-]*):sns:([a-z0-9-]+):(\d{12}):([a-zA-Z0-9_-]{1,256}(?:\.fifo)?)$/;

/** The queue or topic an ARN names, or undefined when it is not a well-formed SQS or SNS ARN. */
export function parseAwsTarget(arn: string): AwsTarget | undefined {
  const service = arn.split(':')[2];
  const m = (service === 'sqs' ? SQS_ARN : service === 'sns' ? SNS_ARN : undefined)?.exec(arn);
  if (!m) return undefined;
  return { service: service as 'sqs' | 'sns', region: m[2], accountId: m[3], name: m[4], fifo: m[4].endsWith('.fifo') };
}

export interface AwsSenderOptions {
  /** Empty or undefined: the SDK's endpoint for the region. */
  endpoint?: string;
  /** A connection that does not open in this long fails the send (an unreachable host must not hold a poller slot). */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** An SDK call that failed, worded with the call's name. */
class SendError extends Error {
  constructor(call: string, cause: unknown) {
    super(`${call} failed: ${describeAwsError(cause)}`, { cause });
  }
}

export function awsDestinationSender(opts: AwsSenderOptions = {}): DestinationSender {
  const endpoint = opts.endpoint || undefined;
  const requestHandler = { connectionTimeout: opts.connectionTimeoutMs ?? 3000, requestTimeout: opts.requestTimeoutMs ?? 10_000, throwOnRequestTimeout: true };
  const common = (region: string) => ({ region, endpoint, requestHandler, maxAttempts: 1 });
  let sqsModule: Promise<typeof import('@aws-sdk/client-sqs')> | undefined;
  let snsModule: Promise<typeof import('@aws-sdk/client-sns')> | undefined;
  const sqsClients = new Map<string, SQSClient>();
  const snsClients = new Map<string, SNSClient>();
  /** Queue URLs by ARN: GetQueueUrl once per queue, again after the queue was reported missing. */
  const queueUrls = new Map<string, string>();
  let closed = false;

  async function toSqs(t: AwsTarget, m: OutboundMessage): Promise<void> {
    const sqs = await (sqsModule ??= import('@aws-sdk/client-sqs'));
    if (closed) throw new Error('the destination sender is closed');
    let client = sqsClients.get(t.region);
    if (!client) sqsClients.set(t.region, (client = new sqs.SQSClient(common(t.region))));
    let url = queueUrls.get(m.target);
    if (url === undefined) {
      try {
        const r = await client.send(new sqs.GetQueueUrlCommand({ QueueName: t.name, QueueOwnerAWSAccountId: t.accountId }));
        if (!r.QueueUrl) throw new Error('the answer had no QueueUrl');
        url = r.QueueUrl;
      } catch (e) {
        throw new SendError('SQS GetQueueUrl', e);
      }
      queueUrls.set(m.target, url);
    }
    try {
      await client.send(new sqs.SendMessageCommand({ QueueUrl: url, MessageBody: m.body, MessageAttributes: m.attributes }));
    } catch (e) {
      // The queue may have been deleted (and perhaps created again under a new URL): look it up again next time.
      queueUrls.delete(m.target);
      throw new SendError('SQS SendMessage', e);
    }
  }

  async function toSns(t: AwsTarget, m: OutboundMessage): Promise<void> {
    const sns = await (snsModule ??= import('@aws-sdk/client-sns'));
    if (closed) throw new Error('the destination sender is closed');
    let client = snsClients.get(t.region);
    if (!client) snsClients.set(t.region, (client = new sns.SNSClient(common(t.region))));
    try {
      await client.send(new sns.PublishCommand({ TopicArn: m.target, Message: m.body, MessageAttributes: m.attributes }));
    } catch (e) {
      throw new SendError('SNS Publish', e);
    }
  }

  return {
    async send(m) {
      const t = parseAwsTarget(m.target);
      if (!t) throw new Error(`${m.target} is not an Amazon SQS queue ARN or an Amazon SNS topic ARN.`);
      return t.service === 'sqs' ? toSqs(t, m) : toSns(t, m);
    },
    close() {
      closed = true;
      for (const c of [...sqsClients.values(), ...snsClients.values()]) c.destroy();
      sqsClients.clear();
      snsClients.clear();
    },
  };
}
