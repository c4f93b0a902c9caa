// Code packages in PostgreSQL (table code_blobs, migration 003): the BlobStore every node of a cluster saves to and fetches from.
import { assertHex, type BlobStore } from '../code/blobs.js';
import type { PgPool } from '../store/postgres/db.js';

export class PgBlobStore implements BlobStore {
  constructor(private readonly pool: PgPool) {}

  async put(hex: string, zip: Buffer): Promise<void> {
    assertHex(hex);
    // Asked first, as saving the same zip again is common (every deploy of unchanged code) and shipping up to 50 MB to
    // have ON CONFLICT drop it is not free; the INSERT still tolerates a node that stores it in between.
    const has = await this.pool.query('SELECT 1 FROM code_blobs WHERE sha256_hex = $1', [hex]);
    if (has.rowCount) return;
    await this.pool.query('INSERT INTO code_blobs (sha256_hex, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256_hex) DO NOTHING', [hex, zip.length, zip]);
  }

  async get(hex: string): Promise<Buffer | undefined> {
    assertHex(hex);
    // In text format (hex, twice the size on the wire): node-postgres's per-query `binary` decodes BYTEA as UTF-8
    // text (its protocol parser's mode is per connection), which corrupts a zip.
    const r = await this.pool.query<{ data: Buffer }>('SELECT data FROM code_blobs WHERE sha256_hex = $1', [hex]);
    return r.rows[0]?.data;
  }
}
