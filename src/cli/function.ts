// `alonzo function create|list|get|delete`: functions through the Lambda API (create is `alonzo deploy`'s zip-and-create).
import { UserError, type Parsed } from './args.js';
import { ApiClient, fnPath } from './client.js';
import { deploy, endpointOf, type Io } from './commands.js';

const USAGE = 'Write: alonzo function list, alonzo function get NAME, alonzo function delete NAME, or alonzo function create DIR --name NAME --runtime R --handler H.';

export async function fn(p: Parsed, io: Io): Promise<number> {
  const [verb, ...rest] = p.positionals;
  if (!verb) throw new UserError('function needs a command: create, list, get or delete.', USAGE);
  if (verb === 'create') return deploy({ ...p, positionals: rest }, io);
  if (verb !== 'list' && verb !== 'get' && verb !== 'delete') throw new UserError(`Unknown function command '${verb}'.`, USAGE);
  const json = p.flags.has('json');
  const api = new ApiClient(endpointOf(p));
  if (verb === 'list') {
    if (rest.length) throw new UserError(`Unexpected argument '${rest[0]}'.`, USAGE);
    const all: any[] = [];
    let marker: string | undefined;
    do {
      const page = await api.json('GET', `/2015-03-31/functions?MaxItems=50${marker ? `&Marker=${encodeURIComponent(marker)}` : ''}`, 'ListFunctions');
      all.push(...(page?.Functions ?? []));
      marker = page?.NextMarker ?? undefined;
    } while (marker);
    if (json) {
      io.out(`${JSON.stringify({ Functions: all }, null, 4)}\n`);
      return 0;
    }
    if (!all.length) {
      io.out('No functions yet. Create one with: alonzo function create ./my-function --name my-fn --runtime nodejs20.x --handler index.handler\n');
      return 0;
    }
    const rows = [['NAME', 'RUNTIME', 'MEMORY', 'TIMEOUT', 'LAST MODIFIED'], ...all.map((f) => [f.FunctionName, f.Runtime ?? f.PackageType ?? '', `${f.MemorySize} MB`, `${f.Timeout} s`, f.LastModified])];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
    io.out(`${rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n')}\n`);
    return 0;
  }
  const [name, extra] = rest;
  if (!name) throw new UserError(`function ${verb} needs a function name.`, USAGE);
  if (extra !== undefined) throw new UserError(`Unexpected argument '${extra}'.`, USAGE);
  if (verb === 'get') {
    const f = await api.json('GET', fnPath(name), 'GetFunction');
    if (json) {
      io.out(`${JSON.stringify(f, null, 4)}\n`);
      return 0;
    }
    const c = f.Configuration;
    const lines = [
      `${c.FunctionName}  ${c.FunctionArn}`,
      `  Runtime ${c.Runtime}, handler ${c.Handler}, ${c.MemorySize} MB, ${c.Timeout} s`,
      `  Code ${c.CodeSha256} (${c.CodeSize} bytes), last modified ${c.LastModified}`,
      ...(c.Description ? [`  ${c.Description}`] : []),
      ...(Object.keys(c.Environment?.Variables ?? {}).length ? [`  Variables: ${Object.keys(c.Environment.Variables).join(', ')}`] : []),
    ];
    io.out(`${lines.join('\n')}\n`);
    return 0;
  }
  await api.call('DELETE', fnPath(name), { operation: 'DeleteFunction' });
  if (json) io.out('{}\n');
  else io.out(`Deleted ${name}.\n`);
  return 0;
}
