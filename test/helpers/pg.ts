// A PostgreSQL schema of its own for one test: the real server (127.0.0.1:5432, database `test`, or
// ALONZO_TEST_DATABASE_URL), a fresh schema per call, dropped afterwards. A test that needs PostgreSQL and cannot reach
// it fails and says so: nothing here skips.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const TEST_DATABASE_URL = process.env.ALONZO_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PgSchema {
  /** The database URL selecting the schema (`options=-c search_path=<schema>`): what `--database-url` takes. */
  url: string;
  schema: string;
  /** Runs SQL in the schema (to look at what the nodes wrote, as an operator would with psql). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export function schemaUrl(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function pgSchema(prefix = 't'): Promise<PgSchema> {
  const schema = `alonzo_${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`This test needs PostgreSQL at ${TEST_DATABASE_URL} (set ALONZO_TEST_DATABASE_URL; .ci/run starts one): ${(e as Error).message}`);
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = schemaUrl(TEST_DATABASE_URL, schema);
  const reader = new pg.Pool({ connectionString: url, max: 2 });
  return {
    url,
    schema,
    query: (sql, params) => reader.query(sql, params as unknown[]),
    async drop() {
      await reader.end().catch(() => undefined);
      await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}
