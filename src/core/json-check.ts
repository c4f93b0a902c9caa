// Checks that an Invoke payload is JSON, and words the failure as AWS's (Jackson-based) parser does.
import { isUtf8 } from 'node:buffer';

const SOURCE = '[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: ';
const EXPECTED = "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

function describeChar(code: number): string {
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `(CTRL-CHAR, code ${code})`;
  return `('${String.fromCharCode(code)}' (code ${code}))`;
}

/** Returns undefined for valid JSON, else Jackson's message (without the "Could not parse…" prefix). */
export function jsonProblem(buf: Buffer): string | undefined {
  let start = 0;
  while (start < buf.length && (buf[start] === 0x20 || buf[start] === 0x0a || buf[start] === 0x0d || buf[start] === 0x09)) start++;
  const first = buf[start];
  const startsValue = first === 0x7b || first === 0x5b || first === 0x22 || first === 0x2d || (first >= 0x30 && first <= 0x39) || first === 0x6e || first === 0x74 || first === 0x66;
  if (!startsValue) {
    // Jackson reads the first byte of a value as a character before decoding UTF-8.
    return `Unexpected character (${describeChar(first)}): ${EXPECTED}\n at ${SOURCE}${start + 1}]`;
  }
  if (!isUtf8(buf)) {
    let i = 0;
    while (i < buf.length && buf[i] < 0x80) i++;
    const b = buf[i];
    return `Invalid UTF-8 start byte 0x${b.toString(16)}\n at ${SOURCE}${i + 2}]`;
  }
  const text = buf.toString('utf8');
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    const token = /^[A-Za-z0-9_$]+/.exec(text.slice(start))?.[0];
    if (token && !['null', 'true', 'false'].includes(token) && !/^-?\d/.test(token)) {
      return `Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at ${SOURCE}${start + token.length + 1}]`;
    }
    return `Unexpected end-of-input or character: ${EXPECTED}\n at ${SOURCE}${text.length}]`;
  }
}
