// `alonzo runtimes`: what serves each runtime, and the AWS SDKs the managed runtimes ship (`alonzo runtimes install sdk`).
//
// Node's SDK comes from npm (`npm install --prefix`, the registry npm is set up for); boto3 from pip where an index is
// reachable, else from a Python on this machine that has it (its pure-Python packages are copied). Both go to the
// data dir (runtime/sdk.ts), where every environment started afterwards finds them.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { flag, UserError, type Parsed } from './args.js';
import { DEFAULTS } from '../config/index.js';
import { RUNNABLE } from '../core/runtimes.js';
import { ensureSdkDirs, installedSdks } from '../runtime/sdk.js';
import { findInterpreters, installedNodeBinary, mismatch, nodeArchPackage, nodeInstallDir } from '../runtime/interpreters.js';
import type { Io } from './commands.js';

const USAGE =
  'Write: alonzo runtimes [--json] (what serves each runtime), alonzo runtimes install sdk [--package @aws-sdk/NAME …] [--python PATH], alonzo runtimes install nodejs22.x, or alonzo runtimes install debugpy [--python PATH] (each takes --data-dir, default as serve).';

/** The clients most functions use: Lambda's runtimes ship every @aws-sdk client; these are installed unless --package names others. */
export const DEFAULT_NODE_PACKAGES = [
  '@aws-sdk/client-s3',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-sts',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-kinesis',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-kms',
  '@aws-sdk/credential-providers',
  '@aws-sdk/s3-request-presigner',
  '@aws-sdk/lib-storage',
];

/** boto3 and the pure-Python packages it imports. */
const PYTHON_MODULES = ['boto3', 'botocore', 's3transfer', 'jmespath', 'dateutil', 'six', 'urllib3'];

const dataDirOf = (p: Parsed): string => resolve(flag(p, 'data-dir') ?? process.env.ALONZO_DATA_DIR ?? DEFAULTS.dataDir);

/** Every value of a flag that may repeat (`--package a --package b`). */
function repeated(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith(`--${name}=`)) out.push(argv[i].slice(name.length + 3));
  }
  return out;
}

export async function runtimes(p: Parsed, io: Io, argv: string[]): Promise<number> {
  const [verb, what, ...more] = p.positionals;
  const dataDir = dataDirOf(p);
  if (verb === undefined || verb === 'list') {
    const found = findInterpreters({
      dataDir,
      nodePath: process.env.ALONZO_NODE_PATH || DEFAULTS.nodePath,
      pythonPath: process.env.ALONZO_PYTHON_PATH || DEFAULTS.pythonPath,
      overrides: flag(p, 'runtime-interpreters') ?? process.env.ALONZO_RUNTIME_INTERPRETERS,
    });
    const sdks = existsSync(dataDir) ? installedSdks(dataDir) : { node: [], boto3: false };
    const rows = RUNNABLE.map((rt) => {
      const i = found.get(rt);
      const family = rt.startsWith('nodejs') ? 'node' : rt.startsWith('python') ? 'python' : 'provided';
      const sdk = family === 'node' ? (sdks.node.length ? `${sdks.node.length} @aws-sdk packages` : 'none') : family === 'python' ? (sdks.boto3 ? 'boto3' : 'none') : '-';
      return { Runtime: rt, Interpreter: i?.path ?? "the function's own bootstrap", Version: i?.version ?? '-', Exact: i ? i.exact : true, Mismatch: mismatch(rt, i), Sdk: sdk };
    });
    if (p.flags.has('json')) io.out(`${JSON.stringify({ Runtimes: rows, Sdk: { Node: sdks.node, Boto3: sdks.boto3 } }, null, 2)}\n`);
    else {
      for (const r of rows) io.out(`${r.Runtime.padEnd(16)} ${`${r.Interpreter} ${r.Version === '-' ? '' : r.Version}`.padEnd(58)} ${r.Exact ? '' : '✘ not its version '}SDK: ${r.Sdk}\n`);
      for (const r of rows) if (r.Mismatch) io.out(`\n${r.Mismatch}`);
      if (!sdks.node.length || !sdks.boto3) io.out("\n\nThe AWS SDKs Lambda's runtimes ship are not all installed here: `alonzo runtimes install sdk` installs them.\n");
      else io.out('\n');
    }
    return 0;
  }
  const node = /^nodejs(\d+)\.x$/.exec(what ?? '');
  if (verb === 'install' && node && !more.length) return installNode(dataDir, node[1], io);
  if (verb === 'install' && what === 'debugpy' && !more.length) return installDebugpy(ensureSdkDirs(dataDir).python, flag(p, 'python'), io);
  if (verb !== 'install' || what !== 'sdk' || more.length) throw new UserError(verb === 'install' ? `Alonzo cannot install '${[what, ...more].join(' ')}'.` : `Unknown runtimes command '${verb}'.`, USAGE);
  const dirs = ensureSdkDirs(dataDir);
  const packages = repeated(argv, 'package');
  for (const pkg of packages) {
    if (!/^@aws-sdk\/[a-z0-9-]+(@[0-9A-Za-z.^~-]+)?$/.test(pkg)) throw new UserError(`--package ${pkg} is not an @aws-sdk package.`, 'Name AWS SDK v3 packages, such as --package @aws-sdk/client-s3.');
  }
  const wanted = packages.length ? packages : DEFAULT_NODE_PACKAGES;
  io.out(`Installing ${wanted.length} @aws-sdk package${wanted.length === 1 ? '' : 's'} with npm into ${dirname(dirs.node)} …\n`);
  npmInstall(dirname(dirs.node), wanted, 'the Node.js SDK');
  io.out(`✔ Node.js: ${installedSdks(dataDir).node.length} @aws-sdk packages in ${dirs.node}\n`);
  io.out('Installing boto3 …\n');
  io.out(`✔ Python: boto3 in ${dirs.python} (${installBoto3(dirs.python, flag(p, 'python'))})\n`);
  io.out("Environments started from now on find them (NODE_PATH and sys.path, after the function's own and its layers').\n");
  return 0;
}

function npmInstall(prefix: string, packages: string[], what: string): void {
  const npm = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', ...packages], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (npm.status !== 0) {
    throw new UserError(`npm could not install ${what}: ${(npm.stderr || npm.stdout || String(npm.error)).trim().split('\n').slice(-3).join(' ')}`, 'Check that npm reaches its registry (npm config get registry), then run this again.');
  }
}

/**
 * debugpy (Python's debugger, for `alonzo dev --debug`) into the runtime SDK's Python folder, which every environment
 * has on sys.path: pip, with --python or the first Python here whose pip works. Its compiled speed-ups are for that
 * Python's version; on another version debugpy runs without them (slower stepping, same debugging).
 */
function installDebugpy(target: string, python: string | undefined, io: Io): number {
  const pythons = [...new Set([python, process.env.ALONZO_PYTHON_PATH, DEFAULTS.pythonPath, 'python3'].filter((x): x is string => Boolean(x)))];
  io.out(`Installing debugpy with pip into ${target} …\n`);
  let last = '';
  for (const py of pythons) {
    const pip = spawnSync(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, 'debugpy'], { encoding: 'utf8', timeout: 300_000 });
    if (pip.status === 0 && existsSync(join(target, 'debugpy', '__init__.py'))) {
      io.out(`✔ debugpy in ${target} (pip, with ${py}). Debug a Python function with: alonzo dev --debug FUNCTION\n`);
      return 0;
    }
    last = (pip.stderr || pip.stdout || String(pip.error ?? '')).trim().split('\n').slice(-2).join(' ');
    if (python) break;
  }
  throw new UserError(`debugpy could not be installed: ${last || 'no Python here has pip'}.`, 'Check that pip reaches its package index (or give a Python whose pip does with --python PATH), then run this again.');
}

/** Node.js <major>: the official binary, published on npm as node-linux-<arch>, into the data dir. */
function installNode(dataDir: string, major: string, io: Io): number {
  const dir = nodeInstallDir(dataDir, major);
  io.out(`Installing Node.js ${major} (${nodeArchPackage()}@${major} from npm) into ${dir} …\n`);
  mkdirSync(dir, { recursive: true });
  npmInstall(dir, [`${nodeArchPackage()}@${major}`], `Node.js ${major}`);
  const bin = installedNodeBinary(dataDir, major);
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.startsWith(`v${major}.`)) throw new UserError(`The installed ${bin} does not run as Node.js ${major}: ${r.stderr || r.stdout}`, 'Remove the folder and run this again.');
  io.out(`✔ nodejs${major}.x runs on Node.js ${r.stdout.trim()} (${bin}). Restart \`alonzo serve\` to use it.\n`);
  return 0;
}

/** pip where it works; else a copy of the pure-Python packages of a Python that has boto3. Says which. */
function installBoto3(target: string, python?: string): string {
  const pythons = [...new Set([python, process.env.ALONZO_PYTHON_PATH, DEFAULTS.pythonPath, 'python3'].filter((x): x is string => Boolean(x)))];
  for (const py of pythons) {
    const pip = spawnSync(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, 'boto3'], { encoding: 'utf8', timeout: 300_000 });
    if (pip.status === 0 && existsSync(join(target, 'boto3', '__init__.py'))) return `pip, with ${py}`;
  }
  for (const py of pythons) {
    let found: Record<string, string>;
    try {
      const script = `import json, importlib\nout = {}\nfor m in ${JSON.stringify(PYTHON_MODULES)}:\n    out[m] = importlib.import_module(m).__file__\nprint(json.dumps(out))`;
      found = JSON.parse(execFileSync(py, ['-c', script], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      continue;
    }
    for (const [name, file] of Object.entries(found)) {
      // A package is its folder; a single-module one (six) is its file.
      const src = basename(file) === '__init__.py' ? dirname(file) : file;
      const dest = join(target, basename(src));
      rmSync(dest, { recursive: true, force: true });
      cpSync(src, dest, { recursive: true, filter: (f) => !f.includes('__pycache__') });
    }
    return `copied from ${py}, which has it (no package index was reachable)`;
  }
  throw new UserError(
    'boto3 could not be installed: pip reached no package index, and no Python on this machine has boto3 to copy.',
    'Install boto3 for any Python here (pip install boto3), or give one that has it with --python PATH, then run this again.',
  );
}
