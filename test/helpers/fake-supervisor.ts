// A supervisor with no processes, for unit tests of the environment's state machine: the test plays the runtime
// (frames on the channel, output, exits) and sets what the supervisor measures (memory, the kernel's OOM kills).
import { Duplex, PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { encodeFrame } from '../../src/runtime/channel.js';
import type { LaunchSpec, Supervised, Supervisor } from '../../src/runtime/supervisor/types.js';

/** The server's end of the channel: what the server writes is kept; what the "runtime" sends is pushed in. */
class FakeChannel extends Duplex {
  readonly written: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    this.emit('written', chunk);
    cb();
  }
  override _read(): void {}
}

export class FakeProcess implements Supervised {
  readonly pid = 4242;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly channel: Socket;
  readonly memoryPollMs = 5;
  memory = 30;
  oom = false;
  killed = 0;
  disposed = 0;
  private exitCb?: (code: number | null, signal: NodeJS.Signals | null) => void;
  private ended = false;

  constructor(readonly spec: LaunchSpec) {
    this.channel = new FakeChannel() as unknown as Socket;
  }

  get sandboxDir(): string {
    return this.spec.sandboxDir;
  }

  get sent(): Buffer[] {
    return (this.channel as unknown as FakeChannel).written;
  }

  /** The runtime sends a frame. */
  frame(header: object, body?: Buffer | string): void {
    this.rawBytes(encodeFrame(header, body === undefined ? undefined : Buffer.from(body)));
  }

  /** The runtime sends any bytes at all. */
  rawBytes(bytes: Buffer): void {
    (this.channel as unknown as FakeChannel).push(bytes);
  }

  /** The runtime process ends. */
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.ended = true;
    setImmediate(() => this.exitCb?.(code, signal));
  }

  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitCb = cb;
  }

  kill(): void {
    this.killed++;
    this.exit(null, 'SIGKILL');
  }

  memoryMb(): number {
    return this.memory;
  }

  outOfMemory(): boolean {
    return this.oom;
  }

  owns(): boolean {
    return true;
  }

  dispose(): void {
    this.disposed++;
  }
}

export class FakeSupervisor implements Supervisor {
  readonly mode = 'sandbox' as const;
  readonly taskRoot = '/var/task';
  readonly runtimeRoot = '/var/runtime';
  readonly missing: string[] = [];
  readonly launched: FakeProcess[] = [];
  released: string[] = [];

  launch(spec: LaunchSpec): FakeProcess {
    const p = new FakeProcess(spec);
    this.launched.push(p);
    return p;
  }

  releaseSandbox(dir: string): void {
    this.released.push(dir);
  }

  close(): void {}
}
