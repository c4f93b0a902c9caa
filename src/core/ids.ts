// Identifiers: request ids and revision ids are lowercase UUIDs, as AWS sends them.
import { randomUUID } from 'node:crypto';

export const newRequestId = (): string => randomUUID();
export const newRevisionId = (): string => randomUUID();

/** Lambda's LastModified format: `2024-01-01T00:00:00.000+0000`. */
export function lambdaTimestamp(d: Date = new Date()): string {
  return d.toISOString().replace('Z', '+0000');
}
