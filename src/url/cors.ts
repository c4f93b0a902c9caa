// A function URL's Cors setting applied: preflights answered without invoking, and CORS headers on every response.
//
// When a URL has Cors, the setting alone decides what a browser may do: the function's own Access-Control-* headers
// are dropped, so a page on another origin gets exactly what the URL's owner configured. Without Cors, responses carry
// only what the function returns (and an OPTIONS request is the function's to answer).

export interface Cors {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

/** The Access-Control-Allow-Origin value for this Origin: `*` when any origin is allowed, the origin when it is listed. */
function allowedOrigin(cors: Cors, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  const origins = cors.AllowOrigins ?? [];
  if (origins.includes('*')) return '*';
  return origins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

export const isPreflight = (method: string | undefined, headers: Record<string, unknown>): boolean =>
  method === 'OPTIONS' && typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';

/** The headers of a preflight's answer (200, no body). */
export function preflightHeaders(cors: Cors, origin: string | undefined): Record<string, string> {
  const out: Record<string, string> = { vary: 'Origin' };
  const allow = allowedOrigin(cors, origin);
  if (allow === undefined) return out;
  out['access-control-allow-origin'] = allow;
  if (cors.AllowMethods?.length) out['access-control-allow-methods'] = cors.AllowMethods.join(',');
  if (cors.AllowHeaders?.length) out['access-control-allow-headers'] = cors.AllowHeaders.join(',');
  if (cors.AllowCredentials) out['access-control-allow-credentials'] = 'true';
  if (cors.MaxAge !== undefined) out['access-control-max-age'] = String(cors.MaxAge);
  return out;
}

/** Replaces the function's CORS headers with the setting's for this Origin. */
export function applyCors(cors: Cors, origin: string | undefined, headers: Record<string, string | string[]>): void {
  for (const k of Object.keys(headers)) if (k.startsWith('access-control-')) delete headers[k];
  headers.vary = headers.vary ? `${headers.vary}, Origin` : 'Origin';
  const allow = allowedOrigin(cors, origin);
  if (allow === undefined) return;
  headers['access-control-allow-origin'] = allow;
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.ExposeHeaders?.length) headers['access-control-expose-headers'] = cors.ExposeHeaders.join(',');
}
