// The `alonzo` command: dispatches to a command, prints user errors as what happened + how to fix it, without a stack.
import { parseArgs, UserError } from './args.js';
import { ApiError } from './client.js';
import { deploy, events, invoke, logs, serve, type Io } from './commands.js';
import { keys } from './keys.js';
import { cluster } from './cluster.js';
import { dev } from './dev.js';

const USAGE = `Usage: alonzo <command> [options]

Commands:
  dev [--template template.yaml] [--api-port P]  run a SAM project's functions from their folders, with hot reload
  serve [--host H] [--port P] [--data-dir D]   run the service (defaults 127.0.0.1:3001, ./.alonzo)
  invoke --function-name F [--payload P] OUTFILE   invoke a function, as \`aws lambda invoke\`
  deploy DIR --name N [--runtime R --handler H]    zip a folder and create or update a function
  logs NAME                                       print a function's recent logs
  events failed NAME [--json]                     list a function's failed async events and where their records went
  events redrive NAME [--request-id ID …]         queue failed events (all, or these) again
  keys create [--account-id A] [--name N] [--policy FILE|JSON]   create an access key (the secret is shown once)
  keys list | keys delete ACCESS_KEY_ID            list (never the secrets) or delete access keys
  cluster status [--json]                         the nodes of a cluster: alive or dead, environments, load

serve also takes --auth local|sigv4, --allowed-hosts H1,H2 and --database-url URL (cluster mode: docs/CLUSTER.md);
keys take --data-dir (default as serve) or --database-url; cluster takes --database-url (or ALONZO_DATABASE_URL).
invoke, deploy, logs and events take --endpoint-url (default http://127.0.0.1:3001) and sign their requests with
ALONZO_ACCESS_KEY_ID/ALONZO_SECRET_ACCESS_KEY, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else test/test.
`;

// `argv` is there for flags a command lets repeat (the parser keeps the last one).
const commands: Record<string, (p: ReturnType<typeof parseArgs>, io: Io, argv: string[]) => Promise<number>> = { serve, invoke, deploy, logs, events, keys, cluster, dev: (_p, io, argv) => dev(argv, io) };

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    io.out(USAGE);
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    io.err(`Unknown command '${name}'.\n\n${USAGE}`);
    return 1;
  }
  try {
    return await command(parseArgs(rest, ['json']), io, rest);
  } catch (e) {
    if (e instanceof UserError) {
      io.err(`✘ ${e.message}${e.fix ? `\n  ${e.fix}` : ''}\n`);
      return 1;
    }
    if (e instanceof ApiError) {
      io.err(`\nAn error occurred (${e.code}) when calling the ${e.operation} operation: ${e.message}\n`);
      return 254;
    }
    throw e;
  }
}

const isEntry = process.argv[1] && (process.argv[1].endsWith('/bin/alonzo.js') || process.argv[1].endsWith('/alonzo') || process.argv[1].endsWith('cli/main.js'));
if (isEntry) {
  main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
