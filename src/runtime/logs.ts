// One invocation's log: the function's output framed by START / END / REPORT lines, bounded in memory.

/** Past this many bytes of output, an invocation's log keeps only its newest part (a function printing 100 MB must not hold 100 MB). */
export const MAX_INVOCATION_LOG = 1 << 20;
/** LogType Tail returns the last 4 KB. */
export const TAIL_BYTES = 4096;

export class InvocationLog {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(readonly requestId: string, readonly version: string, prefix?: Buffer) {
    if (prefix && prefix.length) this.add(prefix);
    this.add(Buffer.from(`START RequestId: ${requestId} Version: ${version}\n`));
  }

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > MAX_INVOCATION_LOG && this.chunks.length > 1) {
      const first = this.chunks.shift()!;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  finish(report: { durationMs: number; memoryMb: number; maxMemoryUsedMb: number; initDurationMs?: number; status?: string }): void {
    const billed = Math.max(1, Math.ceil(report.durationMs));
    let line = `END RequestId: ${this.requestId}\nREPORT RequestId: ${this.requestId}\tDuration: ${report.durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${report.memoryMb} MB\tMax Memory Used: ${report.maxMemoryUsedMb} MB\t`;
    if (report.initDurationMs !== undefined) line += `Init Duration: ${report.initDurationMs.toFixed(2)} ms\t`;
    if (report.status) line += `Status: ${report.status}\t`;
    this.add(Buffer.from(`${line}\n`));
  }

  text(): Buffer {
    const body = Buffer.concat(this.chunks);
    return this.dropped ? Buffer.concat([Buffer.from(`[alonzo: ${this.dropped} earlier bytes of this invocation's log were dropped]\n`), body]) : body;
  }

  /** base64 of the last 4 KB, as X-Amz-Log-Result carries it. */
  tail(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('base64');
  }
}
