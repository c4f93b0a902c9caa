// What each `alonzo` command accepts — its flags, how many arguments, its help — and the strict parse against it
// (node:util.parseArgs: an unknown flag, a missing value or an extra argument is a UserError, never ignored).
import { parseArgs as parseStrict } from 'node:util';
import { UserError, type Parsed } from './args.js';
import { SERVE_OPTIONS } from './commands.js';

interface Option {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}

export interface CommandSpec {
  options: Record<string, Option>;
  /** Arguments besides flags: at least min, at most max (Infinity: any). */
  args: { min: number; max: number };
  help: string;
}

const s = (): Option => ({ type: 'string' });
const json: Record<string, Option> = { json: { type: 'boolean' } };
const endpoint = { 'endpoint-url': s() };
const ENDPOINT_HELP = '      --endpoint-url URL          the server (default http://127.0.0.1:3001, or ALONZO_ENDPOINT)';

export const SPECS: Record<string, CommandSpec> = {
  serve: {
    options: Object.fromEntries(Object.keys(SERVE_OPTIONS).map((k) => [k, s()])),
    args: { min: 0, max: 0 },
    help: `Usage: alonzo serve [options]

Runs the service until Ctrl-C (defaults 127.0.0.1:3001, data in ./.alonzo). Every option has an ALONZO_* variable
(docs/config.md): ${Object.keys(SERVE_OPTIONS).map((k) => `--${k}`).join(', ')}.
`,
  },
  invoke: {
    options: { 'function-name': s(), payload: s(), 'invocation-type': s(), 'log-type': s(), 'client-context': s(), qualifier: s(), 'cli-binary-format': s(), ...endpoint },
    args: { min: 0, max: 1 },
    help: `Usage: alonzo invoke --function-name NAME [options] OUTFILE

Invokes a function as \`aws lambda invoke\` does: the response payload goes to OUTFILE (- for standard output), the
status to standard output.

      --function-name NAME        the function (name, ARN, or NAME:QUALIFIER)
      --payload JSON|file://F|fileb://F   the event (raw JSON, as the CLI's raw-in-base64-out)
      --invocation-type T         RequestResponse (default), Event or DryRun
      --log-type Tail             the log's last 4 KB, base64, as LogResult
      --client-context B64        the ClientContext, base64
      --qualifier Q               a version or alias
      --cli-binary-format F       accepted for the AWS CLI's sake (payloads are always raw JSON here)
${ENDPOINT_HELP}
`,
  },
  deploy: {
    options: { name: s(), runtime: s(), handler: s(), 'memory-size': s(), timeout: s(), role: s(), env: s(), ...endpoint, ...json },
    args: { min: 0, max: 1 },
    help: `Usage: alonzo deploy DIR --name NAME [--runtime R --handler H] [options]

Zips DIR and creates the function (--runtime and --handler needed), or updates its code (and the settings given).

      --name NAME                 the function
      --runtime R --handler H     e.g. nodejs20.x and index.handler
      --memory-size MB --timeout S --role ARN
      --env K=V,K2=V2             environment variables (a value may contain =)
      --json                      the function's configuration as JSON
${ENDPOINT_HELP}
`,
  },
  function: {
    options: { name: s(), runtime: s(), handler: s(), 'memory-size': s(), timeout: s(), role: s(), env: s(), ...endpoint, ...json },
    args: { min: 0, max: 3 },
    help: `Usage: alonzo function list [--json]
       alonzo function get NAME [--json]
       alonzo function delete NAME
       alonzo function create DIR --name NAME --runtime R --handler H [deploy's options]

Functions through the Lambda API: list (all pages), get (configuration and code), delete, and create (as alonzo deploy).

${ENDPOINT_HELP}
`,
  },
  logs: {
    options: { follow: { type: 'boolean', short: 'f' }, ...endpoint, ...json },
    args: { min: 0, max: 1 },
    help: `Usage: alonzo logs NAME [--follow] [--json]

Prints the function's recent logs (START … END … REPORT per invocation).

  -f, --follow                    keep printing new invocations' logs as they end, until Ctrl-C
      --json                      one JSON object per invocation and line: {RequestId, Log, Report}
${ENDPOINT_HELP}
`,
  },
  events: {
    options: { 'request-id': { type: 'string', multiple: true }, ...endpoint, ...json },
    args: { min: 0, max: Infinity },
    help: `Usage: alonzo events list [NAME] [--json]
       alonzo events failed NAME [--json]
       alonzo events redrive NAME [--request-id ID …]

list: how many Event invocations are queued, running and failed, per function (of NAME only, if given).
failed: the function's Event invocations that failed for good, and where their records went.
redrive: queues them (all, or the ones named) again, with the same request ids.

${ENDPOINT_HELP}
`,
  },
  keys: {
    options: { 'data-dir': s(), 'database-url': s(), 'account-id': s(), name: s(), policy: s(), ...json },
    args: { min: 0, max: 2 },
    help: `Usage: alonzo keys create [--account-id A] [--name N] [--policy FILE|JSON]
       alonzo keys list
       alonzo keys delete ACCESS_KEY_ID

Alonzo's access keys (sigv4 mode), kept in the data dir (--data-dir, default as serve) or, with --database-url, in a
cluster's database. create prints the secret once.
`,
  },
  runtimes: {
    options: { 'data-dir': s(), package: { type: 'string', multiple: true }, python: s(), 'runtime-interpreters': s(), ...json },
    args: { min: 0, max: 2 },
    help: `Usage: alonzo runtimes [--json]
       alonzo runtimes install sdk [--package @aws-sdk/NAME …] [--python PATH]
       alonzo runtimes install nodejs22.x
       alonzo runtimes install debugpy [--python PATH]

What serves each runtime (the interpreter and its version, ✘ where it is not the runtime's own) and which AWS SDKs are
installed; install the SDKs Lambda's runtimes ship (npm for @aws-sdk/*, the most used clients unless --package names
others; boto3 by pip, else copied from a Python that has it), a Node.js major (the official binary, from npm), or
debugpy (Python's debugger, for alonzo dev --debug; pip).

      --data-dir D                the data dir (default as serve: ALONZO_DATA_DIR or ./.alonzo)
      --runtime-interpreters R=P,…   as serve's setting, for the listing
      --json                      the listing as JSON
`,
  },
  cluster: {
    options: { 'database-url': s(), ...json },
    args: { min: 0, max: 1 },
    help: `Usage: alonzo cluster status [--database-url postgres://…] [--json]

The nodes of a cluster (alive or dead, environments, load), read from its database (or ALONZO_DATABASE_URL).
`,
  },
};

/** argv parsed strictly against a command's spec, as the commands read it (flags by name, `true` for booleans). */
export function parseCommand(name: string, spec: CommandSpec, argv: string[]): Parsed {
  let r: ReturnType<typeof parseStrict>;
  try {
    r = parseStrict({ args: argv, options: spec.options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UserError(sentence((e as Error).message), `See alonzo ${name} --help.`);
  }
  if (r.positionals.length > spec.args.max) throw new UserError(`Unexpected argument '${r.positionals[spec.args.max]}'.`, `See alonzo ${name} --help.`);
  const flags = new Map<string, string | true>();
  for (const [k, v] of Object.entries(r.values)) {
    if (v === undefined || v === false) continue;
    flags.set(k, Array.isArray(v) ? String(v.at(-1)) : v === true ? true : String(v));
  }
  return { positionals: r.positionals, flags };
}

/** node:util.parseArgs's message as one sentence, without its advice about positionals that start with '-'. */
export function sentence(message: string): string {
  const first = message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
  // A flag at the end, or followed by another flag: said as the CLI's own commands say it.
  const missing = /^Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(first);
  if (missing) return `${missing[1]} needs a value.`;
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
