// A small typed argument parser for `noun verb --flag value` commands (flags may also be `--flag=value`).
export interface Parsed {
  positionals: string[];
  flags: Map<string, string | true>;
}

export class UserError extends Error {
  constructor(message: string, readonly fix?: string) {
    super(message);
  }
}

export function parseArgs(argv: string[], booleans: string[] = []): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    if (eq !== -1) flags.set(name, a.slice(eq + 1));
    else if (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) flags.set(name, true);
    else flags.set(name, argv[++i]);
  }
  return { positionals, flags };
}

export function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  if (v === true) throw new UserError(`--${name} needs a value.`, `Write --${name} VALUE.`);
  return v;
}

export function required(p: Parsed, name: string): string {
  const v = flag(p, name);
  if (v === undefined) throw new UserError(`--${name} is required.`, `Add --${name} VALUE.`);
  return v;
}
