// The `alonzo` command: dispatches to a command, prints user errors as what happened + how to fix it, without a stack.
import { readFileSync } from 'node:fs';
import { UserError } from './args.js';
import { SPECS, parseCommand } from './spec.js';
import { ApiError } from './client.js';
import { deploy, events, invoke, logs, serve, type Io } from './commands.js';
import { keys } from './keys.js';
import { cluster } from './cluster.js';
import { runtimes } from './runtimes.js';
import { dev, DEV_HELP } from './dev.js';
import { fn } from './function.js';
import type { Parsed } from './args.js';

const USAGE = `Usage: alonzo <command> [options]

Commands:
  dev [--template template.yaml] [--api-port P]  run a SAM project's functions from their folders, with hot reload
  serve [--host H] [--port P] [--data-dir D]   run the service (defaults 127.0.0.1:3001, ./.alonzo)
  function list|get NAME|delete NAME [--json]    the functions, as the Lambda API has them (function create = deploy)
  invoke --function-name F [--payload P] OUTFILE   invoke a function, as \`aws lambda invoke\`
  deploy DIR --name N [--runtime R --handler H]    zip a folder and create or update a function
  logs NAME [--follow] [--json]                   print a function's recent logs, or follow them
  events list [NAME] [--json]                     Event invocations queued, running and failed, per function
  events failed NAME [--json]                     list a function's failed async events and where their records went
  events redrive NAME [--request-id ID …]         queue failed events (all, or these) again
  keys create [--account-id A] [--name N] [--policy FILE|JSON]   create an access key (the secret is shown once)
  keys list | keys delete ACCESS_KEY_ID            list (never the secrets) or delete access keys
  cluster status [--json]                         the nodes of a cluster: alive or dead, environments, load
  runtimes [--json]                               what serves each runtime, and whether its AWS SDK is installed
  runtimes install sdk [--package @aws-sdk/NAME …]   install the AWS SDKs Lambda's runtimes ship (npm; boto3 by pip or from this machine)

alonzo COMMAND --help (or -h) tells more about a command; alonzo --version prints the version.

serve also takes --auth local|sigv4, --allowed-hosts H1,H2 and --database-url URL (cluster mode: docs/CLUSTER.md);
keys take --data-dir (default as serve) or --database-url; cluster takes --database-url (or ALONZO_DATABASE_URL).
invoke, deploy, logs and events take --endpoint-url (default http://127.0.0.1:3001) and sign their requests with
ALONZO_ACCESS_KEY_ID/ALONZO_SECRET_ACCESS_KEY, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else test/test.
`;

// `argv` is there for flags a command lets repeat (the parser keeps the last one).
const commands: Record<string, (p: Parsed, io: Io, argv: string[]) => Promise<number>> = { serve, invoke, deploy, function: fn, logs, events, keys, cluster, runtimes };

/** The package's version (package.json sits two folders above dist/src/cli and src/cli alike… and three above dist). */
function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8'));
      if (pkg.name === 'alonzo') return pkg.version;
    } catch {
      // not there
    }
  }
  return 'unknown';
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    io.out(USAGE);
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0];
    if (topic && (SPECS[topic] || topic === 'dev')) io.out(topic === 'dev' ? DEV_HELP : SPECS[topic].help);
    else io.out(USAGE);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`alonzo ${version()}\n`);
    return 0;
  }
  try {
    if (name === 'dev') return await dev(rest, io);
    const command = commands[name];
    const spec = SPECS[name];
    if (!command || !spec) {
      io.err(`✘ Unknown command '${name}'.\n  Commands: ${[...Object.keys(commands), 'dev'].sort().join(', ')}; alonzo --help tells more.\n`);
      return 1;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(spec.help);
      return 0;
    }
    return await command(parseCommand(name, spec, rest), io, rest);
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
