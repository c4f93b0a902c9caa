// One invocation's log: the function's output framed by START / END / REPORT lines, bounded in memory.

/** Past this many bytes of output, an invocation's log keeps only its newest part (a function printing 100 MB must not hold 100 MB). */
export const MAX_INVOCATION_LOG = 1 << 20;
/** LogType Tail returns the last 4 KB. */
export const TAIL_BYTES = 4096;

/** The platform's start and report records are INFO: shown at TRACE, DEBUG and INFO, not at WARN or above. */
const platformShown = (systemLevel: string): boolean => ['TRACE', 'DEBUG', 'INFO'].includes(systemLevel.toUpperCase());

export class InvocationLog {
  /** Init output (on a cold start) and the START line: always kept. */
  private readonly head: Buffer;
  /** The function's output and END/REPORT, of which the newest MAX_INVOCATION_LOG bytes are kept. */
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  /**
   * `json`: the function's LoggingConfig has the JSON format, whose platform records are JSON objects
   * (`platform.start`, `platform.report`, as Lambda writes them) shown when its SystemLogLevel lets INFO through.
   */
  constructor(
    readonly requestId: string,
    readonly version: string,
    prefix?: Buffer,
    private readonly json?: { systemLevel: string },
  ) {
    const start = !json
      ? Buffer.from(`START RequestId: ${requestId} Version: ${version}\n`)
      : platformShown(json.systemLevel)
        ? Buffer.from(`${JSON.stringify({ time: new Date().toISOString(), type: 'platform.start', record: { requestId, version } })}\n`)
        : Buffer.alloc(0);
    this.head = prefix && prefix.length ? Buffer.concat([prefix, start]) : start;
  }

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Drop the oldest bytes, cutting into a chunk when needed: however the output was split into writes (one 5 MB
    // console.log or eighty 64 KiB pipe reads), exactly the newest part is kept.
    while (this.size > MAX_INVOCATION_LOG) {
      const excess = this.size - MAX_INVOCATION_LOG;
      const first = this.chunks[0];
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  finish(report: { durationMs: number; memoryMb: number; maxMemoryUsedMb: number; initDurationMs?: number; status?: string }): void {
    const billed = Math.max(1, Math.ceil(report.durationMs));
    if (this.json) {
      if (!platformShown(this.json.systemLevel)) return;
      const metrics: Record<string, number> = {
        durationMs: Number(report.durationMs.toFixed(2)),
        billedDurationMs: billed,
        memorySizeMB: report.memoryMb,
        maxMemoryUsedMB: report.maxMemoryUsedMb,
      };
      if (report.initDurationMs !== undefined) metrics.initDurationMs = Number(report.initDurationMs.toFixed(2));
      const record = { requestId: this.requestId, metrics, status: report.status ?? 'success' };
      this.add(Buffer.from(`${JSON.stringify({ time: new Date().toISOString(), type: 'platform.report', record })}\n`));
      return;
    }
    let line = `END RequestId: ${this.requestId}\nREPORT RequestId: ${this.requestId}\tDuration: ${report.durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${report.memoryMb} MB\tMax Memory Used: ${report.maxMemoryUsedMb} MB\t`;
    if (report.initDurationMs !== undefined) line += `Init Duration: ${report.initDurationMs.toFixed(2)} ms\t`;
    if (report.status) line += `Status: ${report.status}\t`;
    this.add(Buffer.from(`${line}\n`));
  }

  text(): Buffer {
    const parts = [this.head];
    if (this.dropped) parts.push(Buffer.from(`[alonzo: ${this.dropped} bytes of this invocation's output were dropped here]\n`));
    return Buffer.concat([...parts, ...this.chunks]);
  }

  /** base64 of the last 4 KB, as X-Amz-Log-Result carries it. */
  tail(): string {
    const all = this.text();
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('base64');
  }
}
