// Function URL addresses: the url id, the host name that carries it, and the path form for clients that cannot set a Host.
//
// AWS's URLs are `https://<url-id>.lambda-url.<region>.on.aws/`. Alonzo's are `http://<url-id>.lambda-url.<region>.localhost:<port>/`:
// `.localhost` names resolve to loopback everywhere (RFC 6761; curl and browsers do it without /etc/hosts), so the
// host label can carry the id to the same server and port as the API. Clients that cannot choose a host use
// `/_alonzo/url/<url-id>/<path>` on the API's own address.
import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const URL_ID_RE = /^[a-z0-9]{32}$/;
/** The path prefix of the path form: `/_alonzo/url/<url-id>` followed by the function's path. */
export const URL_PATH_PREFIX = '/_alonzo/url/';

/** 32 lowercase alphanumerics, as AWS's url ids are (~165 bits). */
export function newUrlId(): string {
  let id = '';
  for (let i = 0; i < 32; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export const urlDomain = (urlId: string, region: string): string => `${urlId}.lambda-url.${region}.localhost`;

/** The FunctionUrl the API answers: the host form, with the server's port and AWS's trailing slash. */
export function functionUrl(urlId: string, region: string, port: number | string): string {
  return `http://${urlDomain(urlId, region)}${port ? `:${port}` : ''}/`;
}

/**
 * Whether a Host header is in the URL namespace (`<label>.lambda-url.<anything>`), and the label. Every such host is
 * the URL endpoint's, known id or not: a request to one never reaches the management API.
 */
export function urlHostLabel(host: string | undefined): string | undefined {
  if (typeof host !== 'string') return undefined;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return undefined;
  const colon = h.lastIndexOf(':');
  if (colon !== -1) h = h.slice(0, colon);
  h = h.replace(/\.$/, '');
  const m = /^([^.]*)\.lambda-url\./.exec(h);
  return m ? m[1] : undefined;
}
