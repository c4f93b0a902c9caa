// How a failed AWS SDK call is worded in Alonzo's messages (destination sends, S3 code fetches).

/** Why a call failed, in one line: the service's error code and message, or the network error. */
export function describeAwsError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const parts: string[] = [];
  // Node's connect errors to a name with several addresses arrive as an AggregateError with an empty message.
  const inner = e instanceof AggregateError && e.errors.length > 0 ? (e.errors as unknown[]) : [];
  const message = e.message || inner.map((x) => (x instanceof Error ? x.message : String(x))).join('; ');
  const code = (e as { code?: unknown }).code;
  if (e.name && e.name !== 'Error' && e.name !== 'AggregateError') parts.push(e.name);
  else if (typeof code === 'string' && !message.includes(code)) parts.push(code);
  parts.push(message || 'no message');
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${parts.join(': ')}${status ? ` (HTTP ${status})` : ''}`;
}
