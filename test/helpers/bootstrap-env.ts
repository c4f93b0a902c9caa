// One in-environment bootstrap (Node or Python) spawned on a function fixture, spoken to over the fd-3 channel: the harness of the bootstrap tests.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { FUNCTION_FIXTURES } from './paths.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/runtime/channel.js';

export const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
const WAIT_MS = 10_000;

const live = new Set<ChildProcess>();

/** Kills every environment still running (register with `after`). */
export function killLiveEnvs(): void {
  for (const child of live) child.kill('SIGKILL');
}

export interface Step {
  /** log frames before the frame that ended the step, concatenated */
  logs: string;
  frame: Frame;
  body: string;
}

export interface InvokeOptions {
  id?: string;
  deadlineMs?: number;
  arn?: string;
  clientContext?: string | null;
  identity?: string | null;
  traceId?: string | null;
}

export class BootstrapEnv {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly channel: Duplex;
  private readonly queue: Frame[] = [];
  private waiter: (() => void) | null = null;
  private seq = 0;

  /** Starts `command bootstrap` with a fixture as its task root, in a clean, Lambda-shaped environment plus `env`. */
  constructor(command: string, bootstrap: string, fixture: string, handler: string, env: Record<string, string>) {
    const root = join(FUNCTION_FIXTURES, fixture);
    this.child = spawn(command, [bootstrap], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Nothing of the test process leaks in.
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LAMBDA_TASK_ROOT: root,
        _HANDLER: handler,
        AWS_LAMBDA_FUNCTION_NAME: 'fn',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn',
        AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/21/[$LATEST]0123456789abcdef',
        AWS_REGION: 'us-east-1',
        ALONZO_CHANNEL_FD: '3',
        ...env,
      },
    });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      });
    });
    this.child.stdout!.resume();
    this.child.stderr!.resume();
    this.channel = this.child.stdio[3] as Duplex;
    const decoder = new FrameDecoder();
    this.channel.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) this.queue.push({ header: f.header, body: Buffer.from(f.body) });
      this.waiter?.();
    });
    this.channel.on('error', () => {});
  }

  /** The next frame, in order. */
  async next(): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      const gotOne = new Promise<void>((resolve) => (this.waiter = resolve));
      const exit = this.exited.then(() => 'exit' as const);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
      const r = await Promise.race([gotOne, exit, timeout]);
      clearTimeout(timer);
      this.waiter = null;
      if (r === 'exit' && this.queue.length === 0) {
        // Frames written just before exit may still be in flight.
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (this.queue.length === 0) throw new Error('environment exited');
      }
    }
    return this.queue.shift()!;
  }

  /** Log frames up to and including the next non-log frame. */
  async step(): Promise<Step> {
    let logs = '';
    for (;;) {
      const frame = await this.next();
      if (frame.header.t === 'log') logs += frame.body.toString();
      else return { logs, frame, body: frame.body.toString() };
    }
  }

  async ready(): Promise<Step> {
    const s = await this.step();
    assert.equal(s.frame.header.t, 'ready', `expected ready, got ${JSON.stringify(s.frame.header)}: ${s.body}`);
    return s;
  }

  send(event: string, opts: InvokeOptions = {}): string {
    const id = opts.id ?? `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
    const header = {
      t: 'invoke',
      id,
      deadlineMs: opts.deadlineMs ?? Date.now() + 3000,
      arn: opts.arn ?? ARN,
      clientContext: opts.clientContext ?? null,
      identity: opts.identity ?? null,
      traceId: opts.traceId ?? null,
    };
    this.channel.write(encodeFrame(header, Buffer.from(event)));
    return id;
  }

  async invoke(event: string, opts: InvokeOptions = {}): Promise<Step & { id: string }> {
    const id = this.send(event, opts);
    return { ...(await this.step()), id };
  }

  close(): void {
    this.channel.end();
  }

  /** An environment whose init must fail: the init_error step, its payload and the exit code. */
  async initFailure(): Promise<Step & { payload: any; code: number | null }> {
    const s = await this.step();
    assert.equal(s.frame.header.t, 'init_error', `expected init_error, got ${JSON.stringify(s.frame.header)}: ${s.body}`);
    const { code } = await this.exited;
    return { ...s, payload: JSON.parse(s.body), code };
  }
}
