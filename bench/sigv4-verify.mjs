// Measures what SigV4 verification adds per request (src/auth/sigv4.ts): parse, clock check and signature, in-process.
// Run after `npm run build`: node bench/sigv4-verify.mjs
import { parseClaim, checkClock, verifySignature } from '../dist/src/auth/sigv4.js';
import { signRequest } from '../dist/test/helpers/sign.js';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'bench-secret' };
const path = '/2015-03-31/functions/my-fn%3Aprod/invocations';

/** A request signed as SDK v3 signs an Invoke (x-amz-content-sha256 sent), as the server receives it. */
async function signedInvoke(bytes) {
  const body = Buffer.alloc(bytes, 'a');
  const signed = await signRequest(`http://127.0.0.1:3001${path}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/octet-stream' } }, { credentials: creds });
  const headers = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
  headers.host = '127.0.0.1:3001';
  return { method: 'POST', rawPath: path, rawQuery: '', headers, body };
}

for (const [bytes, label, n] of [[1024, '1 KB', 20_000], [1 << 20, '1 MB', 300]]) {
  const req = await signedInvoke(bytes);
  const run = async (count) => {
    for (let i = 0; i < count; i++) {
      const claim = parseClaim(req);
      checkClock(claim, Date.now());
      await verifySignature(claim, req, creds.secretAccessKey);
    }
  };
  await run(Math.min(n, 2000));
  const t0 = process.hrtime.bigint();
  await run(n);
  console.log(`${label} body: ${(Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(1)} µs per verification`);
}
