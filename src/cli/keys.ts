// `alonzo keys create|list|delete`: Alonzo's access keys, kept in the data dir; how an admin bootstraps access, so it works on the files, not over HTTP.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag, UserError, type Parsed } from './args.js';
import { DEFAULTS } from '../config/index.js';
import { ADMIN_POLICY, keysPath, newAccessKeyId, newSecret, readKeyFile, updateKeyFile, type AccessKey } from '../auth/keys.js';
import { parsePolicy, PolicyError, type Policy } from '../auth/policy.js';
import type { Io } from './commands.js';
import { openPostgres, type PgHandle } from '../store/postgres/db.js';
import { listKeys, updateKeys } from '../cluster/keys.js';

const USAGE = 'Write: alonzo keys create [--account-id 123456789012] [--name ci] [--policy FILE|JSON], alonzo keys list, or alonzo keys delete ACCESS_KEY_ID (each takes --data-dir, default as serve, or --database-url for the keys of a cluster).';

/** The data dir serve would use: --data-dir, ALONZO_DATA_DIR, or ./.alonzo. */
const dataDirOf = (p: Parsed): string => resolve(flag(p, 'data-dir') ?? process.env.ALONZO_DATA_DIR ?? DEFAULTS.dataDir);

function policyOf(raw: string | undefined): Policy {
  if (raw === undefined) return ADMIN_POLICY;
  let text = raw;
  if (!raw.trimStart().startsWith('{')) {
    const file = raw.startsWith('file://') ? raw.slice(7) : raw;
    if (!existsSync(file)) throw new UserError(`--policy ${raw} is neither a JSON document nor a file.`, 'Give the policy as JSON text or as a path to a JSON file.');
    text = readFileSync(file, 'utf8');
  }
  try {
    return parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyError) throw new UserError(`The policy is not one Alonzo can enforce: ${e.message}.`, 'Use IAM statements with Effect (Allow or Deny), Action (e.g. "lambda:Get*") and Resource (ARN patterns or "*").');
    throw e;
  }
}

const summary = (policy: Policy): string =>
  policy.Statement.map((s) => `${s.Effect} ${[s.Action].flat().join(',')} on ${[s.Resource].flat().join(',')}`).join('; ');

export async function keys(p: Parsed, io: Io): Promise<number> {
  const [verb, id, ...more] = p.positionals;
  if (verb !== 'create' && verb !== 'list' && verb !== 'delete') {
    throw new UserError(verb ? `Unknown keys command '${verb}'.` : 'keys needs a command: create, list or delete.', USAGE);
  }
  const dataDir = dataDirOf(p);
  const json = p.flags.has('json');
  // Cluster mode keeps the keys in PostgreSQL, where every node reads them.
  const databaseUrl = flag(p, 'database-url') ?? process.env.ALONZO_DATABASE_URL;
  const pg = databaseUrl ? await openPostgres(databaseUrl, { max: 2 }) : undefined;
  try {
    return await run(p, io, { dataDir, json, pg, verb, id, more });
  } finally {
    await pg?.close();
  }
}

async function run(p: Parsed, io: Io, o: { dataDir: string; json: boolean; pg?: PgHandle; verb: string; id?: string; more: string[] }): Promise<number> {
  const { dataDir, json, pg, verb, id, more } = o;
  const where = pg ? `the cluster database (schema ${pg.schema})` : keysPath(dataDir);
  const update = <T>(change: (keys: AccessKey[]) => { keys: AccessKey[]; result: T }): Promise<T> => (pg ? updateKeys(pg, change) : Promise.resolve(updateKeyFile(dataDir, change)));
  if (verb === 'create') {
    if (id !== undefined) throw new UserError(`Unexpected argument '${id}'.`, USAGE);
    const accountId = flag(p, 'account-id') ?? process.env.ALONZO_ACCOUNT_ID ?? DEFAULTS.accountId;
    if (!/^\d{12}$/.test(accountId)) throw new UserError(`--account-id must be 12 digits, got '${accountId}'.`);
    const name = flag(p, 'name');
    if (name !== undefined && !/^[\w+=,.@-]{1,64}$/.test(name)) throw new UserError(`--name must be 1 to 64 letters, digits or +=,.@_-, got '${name}'.`);
    const policy = policyOf(flag(p, 'policy'));
    const key = await update((keys) => {
      const made: AccessKey = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecret(), accountId, userName: name ?? `key-${keys.length + 1}`, policy, created: new Date().toISOString() };
      return { keys: [...keys, made], result: made };
    });
    if (json) {
      io.out(`${JSON.stringify({ AccessKey: { AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, AccountId: key.accountId, UserName: key.userName, Policy: key.policy } }, null, 2)}\n`);
      return 0;
    }
    io.out(
      [
        `Created access key ${key.accessKeyId} for user ${key.userName} in account ${key.accountId} (${where}).`,
        `Policy: ${summary(key.policy)}`,
        '',
        `  export AWS_ACCESS_KEY_ID=${key.accessKeyId}`,
        `  export AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`,
        '',
        'The secret is shown only now; keep it somewhere safe. A running server accepts the key at once.',
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (verb === 'list') {
    if (id !== undefined) throw new UserError(`Unexpected argument '${id}'.`, USAGE);
    const existing = pg ? await listKeys(pg) : readKeyFile(dataDir);
    const shown = existing.map((k) => ({ AccessKeyId: k.accessKeyId, AccountId: k.accountId, UserName: k.userName, CreateDate: k.created, Policy: k.policy }));
    if (json) io.out(`${JSON.stringify({ AccessKeys: shown }, null, 2)}\n`);
    else if (shown.length === 0) io.out(`No access keys in ${where}. Create one with: alonzo keys create\n`);
    else io.out(`${existing.map((k) => `${k.accessKeyId}  ${k.accountId}  ${k.userName}  ${k.created}  ${summary(k.policy)}`).join('\n')}\n`);
    return 0;
  }
  if (!id) throw new UserError('keys delete needs the access key id.', 'Write: alonzo keys delete ALZK…  (alonzo keys list shows them)');
  if (more.length) throw new UserError(`Unexpected argument '${more[0]}'.`, USAGE);
  const found = await update((keys) => ({ keys: keys.filter((k) => k.accessKeyId !== id), result: keys.some((k) => k.accessKeyId === id) }));
  if (!found) throw new UserError(`There is no access key ${id} in ${where}.`, 'alonzo keys list shows the keys.');
  io.out(json ? `${JSON.stringify({ Deleted: id })}\n` : `Deleted access key ${id}. Requests signed with it are refused from now on.\n`);
  return 0;
}
