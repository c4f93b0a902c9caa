// The load generator every target gets: N keep-alive HTTP/1.1 connections, one request in flight on each, latency to the µs.
//
// Raw sockets rather than an HTTP client library: on 2 shared cores the generator's own cost per request decides how
// much CPU is left to the target, and a prebuilt request plus a minimal response parser costs a fraction of what
// undici or node:http do per request. The same code drives every target, so whatever it costs, it costs all of them.
import net from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
// `npm run bench` builds first: the hasher is the server's own (node:crypto behind the signer's interface).
import { NodeSha256 } from '../../dist/src/auth/sigv4.js';

/**
 * The key Alonzo is started with (ALONZO_ROOT_* in run.mjs) and every request is signed with. A load replays one
 * request signed once before it starts (SigV4 allows that within its 15 minutes), so signing costs the generator
 * nothing per request while the server still verifies every one: the benchmark measures verification, not signing.
 */
export const BENCH_CREDENTIALS = { accessKeyId: 'ALZKBENCHROOT0000001', secretAccessKey: 'bench-secret-not-for-anything-else-000000' };

const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials: BENCH_CREDENTIALS, sha256: NodeSha256 });

/** The request head (method line and headers, Host and SigV4's included) for `body`, signed now. */
async function signedHead({ method, host, port, path, body, headers, extra = '' }) {
  const q = path.indexOf('?');
  const query = Object.fromEntries(new URLSearchParams(q === -1 ? '' : path.slice(q + 1)));
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: host,
    port,
    path: q === -1 ? path : path.slice(0, q),
    query,
    headers: { host: `${host}:${port}`, 'content-type': 'application/json', ...headers },
    body,
  });
  let head = `${method} ${path} HTTP/1.1\r\n${extra}Content-Length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(signed.headers)) head += `${k}: ${v}\r\n`;
  return head;
}

const HIST_US = 1_000_000; // 1 µs buckets up to 1 s; slower answers are kept individually.
const DRAIN_MS = 10_000;

/** Only loopback: the benchmark never sends traffic anywhere else. */
function assertLoopback(host) {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== '::1') throw new Error(`refusing to send load to ${host}: loopback only`);
}

class Histogram {
  constructor() {
    this.buckets = new Uint32Array(HIST_US);
    this.over = [];
    this.count = 0;
  }
  record(us) {
    const b = Math.round(us);
    if (b < HIST_US) this.buckets[b]++;
    else this.over.push(b);
    this.count++;
  }
  /** The value (µs) at quantile q (0–1). */
  quantile(q) {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HIST_US; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i;
    }
    this.over.sort((a, b) => a - b);
    return this.over[rank - seen - 1];
  }
}

/**
 * Runs one load: `connections` clients each send `POST path` with `body`, back to back (or `gapMs` apart), for
 * `durationMs` (or until `maxRequests` were sent). Returns the rate of expected answers, latency quantiles and what
 * went wrong. `onAnswer(status, head, atMs)` sees every answer's status and header text as it arrives (atMs on
 * performance.now()'s clock), for a caller that needs, say, each answer's request id.
 */
export async function runLoad({ host = '127.0.0.1', port, path, body, headers = {}, connections, durationMs, maxRequests = Infinity, expectStatus = 200, gapMs = 0, onAnswer = null }) {
  assertLoopback(host);
  const payload = Buffer.from(body);
  const head = await signedHead({ method: 'POST', host, port, path, body: payload, headers });
  const request = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);

  const hist = new Histogram();
  const statuses = new Map();
  let ok = 0;
  let errors = 0;
  let sent = 0;
  let lastAnswer = 0;
  let stopIssuing = false;
  const start = performance.now();
  const sockets = new Set();

  await new Promise((finish) => {
    let open = 0;
    const maybeFinish = () => {
      if (stopIssuing && open === 0) finish();
    };

    const client = () => {
      open++;
      const sock = net.connect({ host, port });
      sockets.add(sock);
      sock.setNoDelay(true);
      let buf = null;
      let t0 = 0;
      let inFlight = false;
      let headerEnd = -1;
      let head = '';
      let status = 0;
      let bodyLen = -1;
      let chunked = false;
      let closeAfter = false;
      let done = false;

      const end = (reconnect) => {
        if (done) return;
        done = true;
        sockets.delete(sock);
        sock.destroy();
        open--;
        if (reconnect && !stopIssuing) client();
        else maybeFinish();
      };
      const send = () => {
        if (stopIssuing || sent >= maxRequests || performance.now() - start >= durationMs) {
          stopIssuing = true;
          return end(false);
        }
        sent++;
        inFlight = true;
        t0 = performance.now();
        sock.write(request);
      };
      const answered = () => {
        const now = performance.now();
        inFlight = false;
        hist.record((now - t0) * 1000);
        lastAnswer = now;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === expectStatus) ok++;
        else errors++;
        headerEnd = -1;
        if (onAnswer) onAnswer(status, head, now);
        if (closeAfter) return end(true);
        if (gapMs > 0) setTimeout(send, gapMs);
        else send();
      };

      sock.on('connect', send);
      sock.on('data', (chunk) => {
        buf = buf === null || buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (;;) {
          if (headerEnd === -1) {
            const i = buf.indexOf('\r\n\r\n', 0, 'latin1');
            if (i === -1) return;
            const text = buf.toString('latin1', 0, i);
            head = text;
            status = Number(text.slice(9, 12));
            const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text);
            bodyLen = cl ? Number(cl[1]) : -1;
            chunked = /\r\ntransfer-encoding:[ \t]*chunked/i.test(text);
            closeAfter = /\r\nconnection:[ \t]*close/i.test(text);
            headerEnd = i + 4;
            if (!cl && !chunked && status !== 204 && status !== 304) bodyLen = 0;
          }
          let endAt;
          if (chunked) {
            const j = buf.indexOf('0\r\n\r\n', headerEnd, 'latin1');
            if (j === -1 || (j > headerEnd && buf[j - 1] !== 0x0a)) return;
            endAt = j + 5;
          } else {
            endAt = headerEnd + Math.max(0, bodyLen);
            if (buf.length < endAt) return;
          }
          buf = buf.subarray(endAt);
          if (!inFlight) return end(false);
          answered();
          if (done || buf.length === 0) return;
        }
      });
      sock.on('error', () => undefined);
      sock.on('close', () => {
        if (inFlight) errors++;
        inFlight = false;
        end(!done && !stopIssuing);
      });
    };

    for (let i = 0; i < connections; i++) client();
    // Bounded: whatever is still in flight after the drain window is cut off and counted as an error.
    const stopTimer = setTimeout(() => {
      stopIssuing = true;
      maybeFinish();
    }, durationMs);
    const cut = setTimeout(() => {
      for (const s of sockets) s.destroy();
    }, durationMs + DRAIN_MS);
    cut.unref();
    stopTimer.unref();
    const check = setInterval(() => {
      if (stopIssuing && open === 0) {
        clearInterval(check);
        clearTimeout(cut);
        finish();
      }
    }, 50);
    check.unref();
  });

  const elapsedMs = Math.max(1, (lastAnswer || performance.now()) - start);
  return {
    ok,
    errors,
    statuses: Object.fromEntries(statuses),
    elapsedMs,
    rate: (ok / elapsedMs) * 1000,
    p50us: hist.quantile(0.5),
    p99us: hist.quantile(0.99),
    maxUs: hist.quantile(1),
  };
}

/** One request, for setup calls and single timings: resolves { status, body, ms }. */
export async function request({ host = '127.0.0.1', port, method = 'POST', path, body = '', headers = {}, timeoutMs = 30_000 }) {
  assertLoopback(host);
  const payload = Buffer.from(body);
  const head = await signedHead({ method, host, port, path, body: payload, headers, extra: 'Connection: close\r\n' });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload])));
    // When the first byte of the body arrived (a streamed answer's time to first byte), past the head's blank line.
    let firstBodyMs;
    let received = 0;
    sock.on('data', (c) => {
      chunks.push(c);
      received += c.length;
      if (firstBodyMs === undefined) {
        const i = Buffer.concat(chunks).indexOf('\r\n\r\n');
        if (i !== -1 && received > i + 4) firstBodyMs = performance.now() - t0;
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const i = all.indexOf('\r\n\r\n');
      if (i === -1) return reject(new Error(`${method} ${path}: connection closed without an answer`));
      const text = all.toString('latin1', 0, i);
      let rest = all.subarray(i + 4);
      if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(text)) {
        const parts = [];
        let off = 0;
        for (;;) {
          const nl = rest.indexOf('\r\n', off);
          const size = parseInt(rest.toString('latin1', off, nl), 16);
          if (!size) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          off = nl + 2 + size + 2;
        }
        rest = Buffer.concat(parts);
      }
      resolve({ status: Number(text.slice(9, 12)), headers: text, body: rest.toString('utf8'), ms: performance.now() - t0, firstBodyMs });
    });
  });
}
