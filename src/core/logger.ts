// The one structured logger: JSON lines to stderr with scoped fields; no stray console.* in the server.
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface Logger {
  error(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  debug(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/**
 * A writer that hands `write` the lines of one event-loop turn at once: one write(2) per turn instead of one per line
 * (the server logs every request, `api:request`, and a line each was ~40 µs of a warm invoke's ~300). Lines keep their
 * order; what is still held when the process exits (process.exit, a fatal error) is written synchronously then.
 */
export function linesPerTurn(write: (text: string) => void): (line: string) => void {
  let held: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (held.length === 0) return;
    const text = held.join('');
    held = [];
    write(text);
  };
  unflushed.add(flush);
  return (line) => {
    held.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
/** Every linesPerTurn writer, flushed by one 'exit' listener (not one listener per server a test process starts). */
const unflushed = new Set<() => void>();
process.once('exit', () => unflushed.forEach((f) => f()));

export function createLogger(level: LogLevel, scope: Record<string, unknown> = {}, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const max = ORDER[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, event: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] > max) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...scope, ...fields })}\n`);
  };
  return {
    error: (e, f) => emit('error', e, f),
    warn: (e, f) => emit('warn', e, f),
    info: (e, f) => emit('info', e, f),
    debug: (e, f) => emit('debug', e, f),
    child: (fields) => createLogger(level, { ...scope, ...fields }, write),
  };
}
