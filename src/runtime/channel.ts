// The framing codec of the private channel between the server and an environment's bootstrap (fd 3 in the child).
//
// A frame is [u32 BE header length][u32 BE body length][header: UTF-8 JSON object][body: raw bytes]. This sits on
// the invoke hot path, so encoding is one allocation per frame and decoding copies nothing when a frame arrives
// inside one chunk (the common case: a 64 KiB socket read holds any small frame); a frame split across chunks is
// assembled once into a buffer of its final size, never by repeated concatenation.

/** A decoded frame. `body` may be a view into the chunk that carried it: copy it if you keep it past the next push. */
export interface Frame {
  header: any;
  body: Buffer;
}

const PREFIX = 8;
const EMPTY_BODY = Buffer.alloc(0);
const NO_FRAMES: readonly Frame[] = Object.freeze([]);

/** Upper bound of one frame: far above Lambda's 6 MB payloads, low enough that a desynchronised stream fails fast. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** Encodes one frame into a single buffer (one write, so frames never interleave on the socket). */
export function encodeFrame(header: object, body?: Buffer): Buffer {
  const json = JSON.stringify(header);
  const hLen = Buffer.byteLength(json);
  const bLen = body === undefined ? 0 : body.length;
  const out = Buffer.allocUnsafe(PREFIX + hLen + bLen);
  out.writeUInt32BE(hLen, 0);
  out.writeUInt32BE(bLen, 4);
  out.write(json, PREFIX, hLen, 'utf8');
  if (bLen > 0) out.set(body!, PREFIX + hLen);
  return out;
}

/** Thrown for bytes that cannot be a frame; the channel is unusable after it (kill the environment). */
export class FrameError extends Error {
  override name = 'FrameError';
}

/** Incremental decoder: push socket chunks in arrival order, get back the frames they complete. */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  /** The incomplete frame being assembled: the 8-byte prefix until the size is known, then the whole frame. */
  private partial: Buffer | null = null;
  private filled = 0;
  private need = 0;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes held for a frame not yet complete (0 between frames). */
  get bufferedBytes(): number {
    return this.filled;
  }

  /** Returns the frames completed by `chunk`, in order; a shared empty array when there are none. */
  push(chunk: Buffer): readonly Frame[] {
    let out: Frame[] | null = null;
    let off = 0;
    const len = chunk.length;

    if (this.partial !== null) {
      if (this.need === 0) {
        // Still collecting the prefix.
        const take = Math.min(PREFIX - this.filled, len);
        chunk.copy(this.partial, this.filled, 0, take);
        this.filled += take;
        off = take;
        if (this.filled < PREFIX) return NO_FRAMES;
        const total = this.frameSize(this.partial, 0);
        if (total === PREFIX) {
          out = [this.parse(this.partial, 0, total)];
          this.reset();
        } else {
          const frame = Buffer.allocUnsafe(total);
          this.partial.copy(frame, 0, 0, PREFIX);
          this.partial = frame;
          this.need = total;
        }
      }
      if (this.partial !== null) {
        const take = Math.min(this.need - this.filled, len - off);
        chunk.copy(this.partial, this.filled, off, off + take);
        this.filled += take;
        off += take;
        if (this.filled < this.need) return out ?? NO_FRAMES;
        const frame = this.parse(this.partial, 0, this.need);
        this.reset();
        (out ??= []).push(frame);
      }
    }

    // Whole frames inside the chunk: views, no copies.
    while (len - off >= PREFIX) {
      const total = this.frameSize(chunk, off);
      if (len - off < total) break;
      (out ??= []).push(this.parse(chunk, off, total));
      off += total;
    }

    // Keep the tail of an incomplete frame.
    const rest = len - off;
    if (rest > 0) {
      if (rest >= PREFIX) {
        const total = this.frameSize(chunk, off);
        this.partial = Buffer.allocUnsafe(total);
        this.need = total;
      } else {
        this.partial = Buffer.allocUnsafe(PREFIX);
        this.need = 0;
      }
      chunk.copy(this.partial, 0, off, len);
      this.filled = rest;
    }
    return out ?? NO_FRAMES;
  }

  private frameSize(buf: Buffer, off: number): number {
    const total = PREFIX + buf.readUInt32BE(off) + buf.readUInt32BE(off + 4);
    if (total > this.maxFrameBytes) {
      throw new FrameError(`frame of ${total} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
    }
    return total;
  }

  private parse(buf: Buffer, off: number, total: number): Frame {
    const hEnd = off + PREFIX + buf.readUInt32BE(off);
    let header: any;
    try {
      header = JSON.parse(buf.toString('utf8', off + PREFIX, hEnd));
    } catch (err) {
      throw new FrameError(`frame header is not JSON: ${(err as Error).message}`);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) {
      throw new FrameError('frame header is not a JSON object');
    }
    const end = off + total;
    return { header, body: end > hEnd ? buf.subarray(hEnd, end) : EMPTY_BODY };
  }

  private reset(): void {
    this.partial = null;
    this.filled = 0;
    this.need = 0;
  }
}
