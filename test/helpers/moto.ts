// Starts moto's server (a local stand-in for AWS's SQS and SNS) as a child process on a free port, and builds the
// real SQS and SNS clients for it. A machine without `moto_server` fails the tests that need it: they never skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';

export interface Moto {
  endpoint: string;
  sqs: SQSClient;
  sns: SNSClient;
  close(): Promise<void>;
}

/** The access key moto is given; any works, but the SDK must find some. */
export const MOTO_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** moto_server on 127.0.0.1 and a free port; resolves once it listens. */
export async function startMoto(timeoutMs = 20_000): Promise<Moto> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`moto_server did not start listening within ${timeoutMs} ms. Its output:\n${output}`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Werkzeug prints " * Running on http://127.0.0.1:PORT" once it listens.
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'ENOENT'
          ? new Error('moto_server is not installed (not found on PATH), and these tests need it: install it with `pip install "moto[server]"`.')
          : e,
      ),
    );
    child.once('exit', (code, signal) => fail(new Error(`moto_server exited (${signal ?? code}) before it listened. Its output:\n${output}`)));
  });
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  // Keep draining its request log so a full pipe never blocks it.
  child.stdout!.resume();
  child.stderr!.resume();
  const config = { endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  return {
    endpoint,
    sqs,
    sns,
    async close() {
      sqs.destroy();
      sns.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Creates a queue in moto; returns its URL and its ARN (moto's account, as a user would copy it). */
export async function createQueue(m: Moto, name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await m.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await m.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Waits for the next message of a queue (with its message attributes), or throws after `timeoutMs`. */
export async function receiveOne(m: Moto, queueUrl: string, timeoutMs = 5000): Promise<Message> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await m.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    if (r.Messages?.length) return r.Messages[0];
  }
  throw new Error(`no message arrived in ${queueUrl} within ${timeoutMs} ms`);
}
