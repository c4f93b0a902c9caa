// Reading an HTTP request's body with a cap, for every server of Alonzo's (the API, function URLs, the CloudWatch Logs
// API, the dashboard): past the cap nothing more is kept, the rest is drained, and the caller answers its own "too large"
// (at once when Content-Length says so, else once the body has ended).
import type { IncomingMessage } from 'node:http';

/**
 * The body, or no body once past `limit` bytes (a Content-Length over it counts at once); `size` is how much came
 * (at least what Content-Length declared), for the caller's message.
 */
export function readCappedBody(req: IncomingMessage, limit: number): Promise<{ body?: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? -1);
    if (declared > limit) {
      // Said too large up front: answered at once, the body drained as it comes.
      req.resume();
      resolve({ size: declared });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? { size: Math.max(size, declared) } : { body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), size }));
    req.on('error', reject);
  });
}
