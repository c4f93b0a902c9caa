// `alonzo dev [--template template.yaml]`: a server with a SAM project's functions, its API routes, and hot reload (src/dev/).
import { parseArgs as parseStrict } from 'node:util';
import { UserError } from './args.js';
import { sentence } from './spec.js';
import { SERVE_OPTIONS, type Io } from './commands.js';
import { ConfigError, type Config } from '../config/index.js';
import { StartupError } from '../server/index.js';
import { startDev, TemplateError } from '../dev/index.js';

/** serve's options that dev takes as they are (its own --debug and --debug-port replace serve's debug settings). */
const DEV_SERVE_OPTIONS = Object.keys(SERVE_OPTIONS).filter((k) => k !== 'debug-function' && k !== 'debug-port');

export const DEV_HELP = `Usage: alonzo dev [--template FILE] [--api-port P] [--parameter-overrides K=V …] [serve's options]

Starts Alonzo (as alonzo serve) and deploys every function of a SAM template from its folder: CodeUri is served as
it is (no zip), and a saved file reaches the next invocation. Api and HttpApi events are served on a local endpoint.

Options:
  -t, --template FILE               the SAM template (default template.yaml, else template.yml)
      --api-port P                  the port of the API routes (default 3000; 0: any free port)
      --parameter-overrides K=V     a template parameter's value (repeat it, or K1=V1 K2=V2 in one)
      --debug FUNCTION              run that function under a debugger, waiting for one to attach: Node.js under
                                    its inspector, Python under debugpy (alonzo runtimes install debugpy)
      --debug-port P                the debugger's port on 127.0.0.1 (default 9229 for Node.js, 5678 for Python)
      --endpoint-url URL            join the Alonzo serving there instead of starting one: the functions are deployed
                                    to it as zips of their folders, and a saved file deploys its function again
                                    (requests signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
  -h, --help                        this help
and serve's: ${DEV_SERVE_OPTIONS.map((k) => `--${k}`).join(', ')}.
`;

export async function dev(argv: string[], io: Io): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    template: { type: 'string', short: 't' },
    'api-port': { type: 'string' },
    'parameter-overrides': { type: 'string', multiple: true },
    debug: { type: 'string' },
    'debug-port': { type: 'string' },
    'endpoint-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const k of DEV_SERVE_OPTIONS) options[k] = { type: 'string' };
  let parsed: ReturnType<typeof parseStrict>;
  try {
    parsed = parseStrict({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UserError(sentence((e as Error).message), 'See alonzo dev --help.');
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (v.help) {
    io.out(DEV_HELP);
    return 0;
  }
  if (typeof v['endpoint-url'] === 'string') {
    const serverOnly = DEV_SERVE_OPTIONS.filter((k) => typeof v[k] === 'string' && k !== 'region' && k !== 'account-id');
    if (serverOnly.length) throw new UserError(`--${serverOnly[0]} is a setting of the server alonzo dev starts; with --endpoint-url it joins a running one.`, 'Give it to that server (alonzo serve), or drop --endpoint-url.');
  }
  const config: Partial<Record<keyof Config, unknown>> = {};
  for (const flagName of DEV_SERVE_OPTIONS) if (typeof v[flagName] === 'string') config[SERVE_OPTIONS[flagName]] = v[flagName];
  const parameters: Record<string, string> = {};
  for (const item of ((v['parameter-overrides'] as string[] | undefined) ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean)) {
    // SAM's forms: K=V and ParameterKey=K,ParameterValue=V.
    const sam = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(item);
    const eq = item.indexOf('=');
    if (sam) parameters[sam[1]] = sam[2];
    else if (eq > 0) parameters[item.slice(0, eq)] = item.slice(eq + 1);
    else throw new UserError(`--parameter-overrides ${item} is not KEY=VALUE.`, 'Write --parameter-overrides Stage=dev.');
  }
  const apiPortText = (v['api-port'] as string | undefined) ?? '3000';
  if (!/^\d+$/.test(apiPortText) || Number(apiPortText) > 65535) throw new UserError(`--api-port ${apiPortText} is not a port.`, 'Give a number from 0 to 65535.');
  const debugPort = v['debug-port'] as string | undefined;
  if (debugPort !== undefined && (!/^\d+$/.test(debugPort) || Number(debugPort) < 1 || Number(debugPort) > 65535)) throw new UserError(`--debug-port ${debugPort} is not a port.`, 'Give a number from 1 to 65535.');
  if (v['debug-port'] !== undefined && v.debug === undefined) throw new UserError('--debug-port needs --debug FUNCTION.', 'Name the function to debug: alonzo dev --debug MyFunction.');
  let template = v.template as string | undefined;
  if (!template) {
    const { existsSync } = await import('node:fs');
    template = existsSync('template.yaml') || !existsSync('template.yml') ? 'template.yaml' : 'template.yml';
  }
  let session: Awaited<ReturnType<typeof startDev>>;
  try {
    session = await startDev({
      template,
      config: config as Partial<Config>,
      apiPort: Number(apiPortText),
      parameters,
      ...(typeof v['endpoint-url'] === 'string' ? { join: v['endpoint-url'] } : {}),
      ...(typeof v.debug === 'string' ? { debug: { functionName: v.debug, ...(debugPort !== undefined ? { port: Number(debugPort) } : {}) } } : {}),
      say: (line) => io.out(`${line}\n`),
      warn: (line) => io.err(`${line}\n`),
    });
  } catch (e) {
    if (e instanceof TemplateError) throw new UserError(e.message, e.fix);
    if (e instanceof StartupError) throw new UserError(e.message, e.fix);
    if (e instanceof ConfigError) throw new UserError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`Port ${apiPortText} (the API routes) is already in use.`, 'Stop what listens there (sam local start-api?), or choose another with --api-port.');
    throw e;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      io.out('Stopping…\n');
      session.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    io.out(
      (session.server
        ? `Alonzo dev is serving the Lambda API on ${session.url} (data in ${session.server.config.dataDir}) and the template's API on ${session.api.url}.\n`
        : `Alonzo dev joined the Alonzo at ${session.url} (functions deployed there as zips of their folders) and serves the template's API on ${session.api.url}.\n`) +
        `Watching ${session.functions().length} function folder(s) and ${template}: saved changes reach the next invocation. Ctrl-C stops.\n` +
        (session.server ? `Dashboard: ${session.server.dashboardUrl}#token=${session.server.dashboardToken}\n` : ''),
    );
  });
  return 0;
}
