// `alonzo cluster status`: the nodes of a cluster, read from its database (what every node heartbeats there).
import { flag, UserError, type Parsed } from './args.js';
import { openPostgres } from '../store/postgres/db.js';
import { listNodes } from '../cluster/membership.js';
import type { Io } from './commands.js';

const USAGE = 'Write: alonzo cluster status [--database-url postgres://…] [--json]  (or set ALONZO_DATABASE_URL)';

export async function cluster(p: Parsed, io: Io): Promise<number> {
  const [verb, extra] = p.positionals;
  if (verb !== 'status') throw new UserError(verb ? `Unknown cluster command '${verb}'.` : 'cluster needs a command: status.', USAGE);
  if (extra !== undefined) throw new UserError(`Unexpected argument '${extra}'.`, USAGE);
  const url = flag(p, 'database-url') ?? process.env.ALONZO_DATABASE_URL;
  if (!url) throw new UserError('cluster status needs the cluster database.', USAGE);
  const h = await openPostgres(url, { max: 1 }).catch((e: Error) => {
    throw new UserError(`Cannot reach the cluster database: ${e.message}.`, 'Check --database-url (ALONZO_DATABASE_URL) and that PostgreSQL is up.');
  });
  try {
    const nodes = await listNodes(h);
    if (p.flags.has('json')) {
      io.out(`${JSON.stringify({ Nodes: nodes }, null, 2)}\n`);
      return 0;
    }
    if (nodes.length === 0) {
      io.out('No node is registered in this cluster. Start one with: alonzo serve --database-url …\n');
      return 0;
    }
    const now = Date.now();
    const rows = [['NODE', 'URL', 'STATE', 'HEARTBEAT', 'ENVIRONMENTS', 'RUNNING', 'PROVISIONED']];
    for (const n of nodes) {
      const provisioned = Object.values(n.provisioned).reduce((a, b) => a + b, 0);
      rows.push([n.name, n.url, n.alive ? 'alive' : 'dead', `${Math.max(0, Math.round((now - n.heartbeatAt) / 100) / 10)} s ago`, String(n.environments), String(n.running), String(provisioned)]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    io.out(`${rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')}\n`);
    return 0;
  } finally {
    await h.close();
  }
}
