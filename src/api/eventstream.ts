// AWS's event-stream framing (`application/vnd.amazon.eventstream`), as InvokeWithResponseStream answers in it.
//
// Each message: total length and headers length (u32 BE), the CRC32 of those 8 bytes, the headers (name length u8,
// name, type 7 = string, value length u16, value), the payload, and the CRC32 of everything before it. The encoding is
// the AWS SDK's own codec (@smithy/core's event-streams: the one the SDK clients decode with), loaded on the first
// streamed invoke only: it costs ~30 ms to load, which a server that never streams should not pay at start-up.
import type { EventStreamCodec } from '@smithy/core/event-streams';

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

let codec: Promise<EventStreamCodec> | undefined;

function loadCodec(): Promise<EventStreamCodec> {
  codec ??= Promise.all([import('@smithy/core/event-streams'), import('@smithy/core/serde')]).then(([es, serde]) => new es.EventStreamCodec(serde.toUtf8, serde.fromUtf8));
  return codec;
}

/** Encodes one `event` message of the given type; resolves the codec once (await it before the first message). */
export async function eventEncoder(): Promise<(eventType: string, contentType: string, payload: Uint8Array) => Buffer> {
  const c = await loadCodec();
  return (eventType, contentType, payload) => {
    const out = c.encode({
      headers: {
        ':event-type': { type: 'string', value: eventType },
        ':content-type': { type: 'string', value: contentType },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: payload,
    });
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  };
}
