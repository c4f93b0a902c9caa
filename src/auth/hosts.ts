// Which Host names Alonzo answers (against DNS rebinding) and which requests come from a web page (refused: no CORS, no forms).
//
// A page the developer visits can make the browser send requests to 127.0.0.1, but it cannot choose their Host header:
// it is the page's own name (`evil.example`, rebound to 127.0.0.1). So only loopback names, the configured host and
// the names given with --allowed-hosts are served. Browsers mark every cross-origin POST with an Origin header, which
// the AWS clients never send, so a request whose Origin is not the server itself is refused too, signed or not (in
// local mode a page could compute a presigned URL for the well-known `test` key and post a form to it).
import { isLoopbackHost } from '../config/index.js';

/** `Host` without its port, lower-cased; IPv6 literals keep their brackets. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** Loopback addresses and names: 127/8, [::1], localhost and its subdomains (RFC 6761 keeps them on this machine). */
export function isLoopbackName(name: string): boolean {
  const n = name.replace(/\.$/, '');
  return isLoopbackHost(n) || n.endsWith('.localhost');
}

export class HostPolicy {
  private readonly names: Set<string>;

  /** `host` is the address the server listens on; `extra` the --allowed-hosts list (comma-separated). */
  constructor(host: string, extra: string) {
    this.names = new Set(
      [host, ...extra.split(',')]
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== '' && s !== '0.0.0.0' && s !== '::')
        .map((s) => (s.includes(':') && !s.startsWith('[') ? `[${s}]` : s)),
    );
  }

  /** Whether a request's Host header names this server. */
  allows(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    const name = hostName(hostHeader);
    return isLoopbackName(name) || this.names.has(name);
  }

  /**
   * Whether the request was made by a web page on another origin: an Origin header that is not `http://<Host>`, or a
   * browser's Sec-Fetch-Site saying cross-site or same-site (another port of localhost is another site's page too).
   */
  static fromWebPage(headers: Record<string, string | string[] | undefined>): boolean {
    const origin = headers.origin;
    const site = headers['sec-fetch-site'];
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
    if (origin === undefined) return false;
    return typeof origin !== 'string' || origin.toLowerCase() !== `http://${String(headers.host ?? '').toLowerCase()}`;
  }
}
