// Where finished invocations' logs are kept for later reading (`alonzo logs`, the dashboard): one bounded file per function.
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A function's log file is cut to its newer half past this size. */
const MAX_FILE = 8 << 20;

export class LogSink {
  private chains = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  private file(functionName: string): string {
    return join(this.dir, `${functionName}.log`);
  }

  /** Appends in order per function, off the invoke path. */
  append(functionName: string, text: Buffer): void {
    const prev = this.chains.get(functionName) ?? mkdir(this.dir, { recursive: true }).then(() => undefined);
    const next = prev.then(async () => {
      const f = this.file(functionName);
      await appendFile(f, text);
      const st = await stat(f);
      if (st.size > MAX_FILE) {
        const all = await readFile(f);
        const cut = all.indexOf('\nSTART RequestId', all.length / 2);
        await writeFile(f, all.subarray(cut === -1 ? all.length / 2 : cut + 1));
      }
    }).catch(() => undefined);
    this.chains.set(functionName, next);
    void next.then(() => {
      if (this.chains.get(functionName) === next) this.chains.delete(functionName);
    });
  }

  async read(functionName: string, maxBytes = 64 << 10): Promise<Buffer> {
    await this.chains.get(functionName);
    try {
      const all = await readFile(this.file(functionName));
      return all.subarray(Math.max(0, all.length - maxBytes));
    } catch {
      return Buffer.alloc(0);
    }
  }

  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}
