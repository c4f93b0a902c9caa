// `alonzo dev`: a server with a SAM project's functions deployed from their folders, its API routes served locally,
// and hot reload — a saved file retires the function's warm environments, a saved template is applied again.
//
// The functions are created through the server's own Lambda API, as a user would (signed with the server's key), with
// a one-file placeholder package; the server runs them from their folders instead (the engine asks `devCode`, see
// invoke/engine.ts), bound read-only at /var/task like any package. Layers are published from their folders (zipped:
// /opt is a merge of packages) and published again when a file in them changes.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../server/index.js';
import { resolveConfig, type Config } from '../config/index.js';
import { ApiClient, ApiError, fnPath, type Credentials } from '../cli/client.js';
import { zipDir, zipOfFile } from '../code/folder-zip.js';
import { readTemplate, ignoredEvents, TemplateError, type DevFunction, type DevRoute } from './template.js';
import { startApiGateway, type ApiGateway } from './api-gateway.js';

export interface DevOptions {
  template: string;
  config: Partial<Config>;
  /** The local API endpoint's port (0: any free port). */
  apiPort: number;
  parameters: Record<string, string>;
  /**
   * `--debug NAME`: that function waits for a debugger on 127.0.0.1:port before loading its handler (Node.js: the
   * inspector, default port 9229; Python: debugpy, default port 5678).
   */
  debug?: { functionName: string; port?: number };
  /**
   * Join the Alonzo already serving at this URL instead of starting one: functions are deployed there as zips of their
   * folders, and a saved file deploys its function's code again (UpdateFunctionCode), so the new code runs from the
   * next invocation on. Requests are signed with the AWS credentials of the environment (AWS_ACCESS_KEY_ID…).
   */
  join?: string;
  /** Progress and results, one line each. */
  say(line: string): void;
  /** Problems after the start (a template that no longer reads), one line each. */
  warn(line: string): void;
}

export interface DevSession {
  /** The server alonzo dev started; undefined when it joined one (see DevOptions.join). */
  server?: RunningServer;
  /** The Lambda API the functions are deployed to. */
  url: string;
  api: ApiGateway;
  /** Deployed function names. */
  functions(): string[];
  /** Resolves once the template's latest change has been applied (or refused). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const PLACEHOLDER = 'ALONZO-DEV.txt';
const PLACEHOLDER_TEXT = 'This function was deployed by `alonzo dev`, which runs its code from the project folder named in its template.\nOutside alonzo dev it has no code: run alonzo dev again, or deploy it with alonzo deploy.\n';

export async function startDev(o: DevOptions): Promise<DevSession> {
  const templateFile = resolve(o.template);
  // In sigv4 mode dev signs its own calls: with the root key given, else with one made for this run (kept in memory).
  const base = resolveConfig(o.config);
  const overrides: Partial<Config> = { ...o.config };
  let creds: Credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  if (base.auth === 'sigv4') {
    if (base.rootAccessKeyId) creds = { accessKeyId: base.rootAccessKeyId, secretAccessKey: base.rootSecretAccessKey };
    else {
      creds = { accessKeyId: `ALZKDEV${randomBytes(7).toString('hex').toUpperCase()}`.slice(0, 20), secretAccessKey: randomBytes(30).toString('base64url') };
      Object.assign(overrides, { rootAccessKeyId: creds.accessKeyId, rootSecretAccessKey: creds.secretAccessKey });
    }
  }
  const ctxOf = (c: Config) => ({ region: c.region, accountId: c.accountId, parameters: o.parameters });
  // Read before the server starts: a template that does not read stops here, with nothing started.
  let template = readTemplate(templateFile, ctxOf(base));
  const dirs = new Map<string, string>();
  if (o.join && o.debug) throw new TemplateError('--debug needs a server that alonzo dev starts: it cannot attach a debugger to a server it joins.', 'Drop --endpoint-url, or start that server with --debug-function FUNCTION.');
  const server = o.join
    ? undefined
    : await startServer(overrides, {
        devCode: {
          dirFor: (accountId, name) => (accountId === base.accountId ? dirs.get(name) : undefined),
          debugFor: (accountId, name) => (o.debug && accountId === base.accountId && name === o.debug.functionName ? { port: o.debug.port! } : undefined),
        },
      });
  const url = server ? server.url : o.join!;
  const api = new ApiClient(url, server ? { ...creds } : undefined);
  const config = server ? server.config : base;
  // Joined, the code goes to the server as zips; the data dir to keep out of them is the other server's business.
  const dataDir = server ? resolve(server.config.dataDir) : undefined;
  const inDataDir = (p: string): boolean => dataDir !== undefined && (p === dataDir || p.startsWith(dataDir + sep));
  if (!server) {
    try {
      await api.json('GET', '/2015-03-31/functions?MaxItems=1', 'ListFunctions');
    } catch (e) {
      throw new TemplateError(`Cannot join the Alonzo at ${url}: ${e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message}.`, 'Start it first (alonzo serve), check the URL, and in sigv4 mode give a key in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.');
    }
  }
  /** Deploys a joined function's folder again; debounced per function (an editor's save is several events). */
  const uploads = new Map<string, NodeJS.Timeout>();
  const upload = (f: DevFunction) => {
    clearTimeout(uploads.get(f.name));
    uploads.set(
      f.name,
      setTimeout(() => {
        uploads.delete(f.name);
        applying = applying.then(async () => {
          if (closed) return;
          try {
            const zip = await zipDir(f.codeDir);
            await api.json('PUT', `${fnPath(f.name)}/code`, 'UpdateFunctionCode', { ZipFile: zip.toString('base64') });
          } catch (e) {
            o.warn(`✘ Deploying ${f.name} again failed: ${e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message}`);
          }
        });
      }, 30),
    );
  };
  /** The function starts afresh at its next invocation: its warm environments go (own server), or its code is sent again (joined). */
  const refresh = (f: DevFunction) => (server ? server.evict(f.name) : upload(f));
  let deployed: DevFunction[] = [];
  const layerState = new Map<string, { hash: string; arn: string }>();
  const placeholder = await zipOfFile(PLACEHOLDER, PLACEHOLDER_TEXT);
  const gateway = await startApiGateway({
    host: config.host,
    port: o.apiPort,
    accountId: config.accountId,
    routes: [],
    invoke: async (name, payload) => {
      const r = await api.call('POST', `${fnPath(name)}/invocations`, { body: payload, operation: 'Invoke' });
      return { payload: r.body, functionError: r.headers.get('x-amz-function-error') ?? undefined };
    },
    onError: (e) => o.warn(`✘ API route: ${e.message}`),
  }).catch(async (e) => {
    await server?.close();
    throw e;
  });

  const watchers = new Map<string, FSWatcher>();
  const warnedDataDir = new Set<string>();
  const said = new Set<string>();
  let closed = false;

  /** Publishes the layers whose folder changed (or all, the first time); returns their ARNs by logical id. */
  const publishLayers = async (): Promise<Map<string, string>> => {
    const arns = new Map<string, string>();
    for (const l of template.layers) {
      const hash = treeHash(l.contentDir, inDataDir);
      const had = layerState.get(l.logicalId);
      if (had?.hash === hash) {
        arns.set(l.logicalId, had.arn);
        continue;
      }
      const zip = await zipDir(l.contentDir);
      const r = await api.json('POST', `/2018-10-31/layers/${encodeURIComponent(l.name)}/versions`, 'PublishLayerVersion', {
        Content: { ZipFile: zip.toString('base64') },
        ...(l.compatibleRuntimes ? { CompatibleRuntimes: l.compatibleRuntimes } : {}),
        ...(l.description ? { Description: l.description } : {}),
      });
      layerState.set(l.logicalId, { hash, arn: r.LayerVersionArn });
      arns.set(l.logicalId, r.LayerVersionArn);
      o.say(`Published layer ${l.name} version ${r.Version} from ${l.contentDir}`);
    }
    return arns;
  };

  const configOf = (f: DevFunction) => ({
    Runtime: f.runtime,
    Handler: f.handler,
    Role: f.role,
    MemorySize: f.memorySize ?? 128,
    Timeout: f.timeout ?? 3,
    Environment: { Variables: f.variables ?? {} },
    Layers: f.layers,
    Description: `alonzo dev: ${f.codeDir}`,
  });

  const deployFunction = async (f: DevFunction) => {
    dirs.set(f.name, f.codeDir);
    let exists = true;
    try {
      await api.json('GET', `${fnPath(f.name)}/configuration`, 'GetFunctionConfiguration');
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ResourceNotFoundException') exists = false;
      else throw e;
    }
    // Joined, the function's package is its folder, zipped; else a placeholder (the server runs the folder itself).
    const code = server ? placeholder : await zipDir(f.codeDir);
    if (!exists) {
      await api.json('POST', '/2015-03-31/functions', 'CreateFunction', {
        FunctionName: f.name,
        Code: { ZipFile: code.toString('base64') },
        ...(f.architectures ? { Architectures: f.architectures } : {}),
        ...configOf(f),
      });
    } else {
      await api.json('PUT', `${fnPath(f.name)}/configuration`, 'UpdateFunctionConfiguration', configOf(f));
      if (!server) await api.json('PUT', `${fnPath(f.name)}/code`, 'UpdateFunctionCode', { ZipFile: code.toString('base64') });
    }
    server?.evict(f.name);
    // The URL: created, updated or removed to match the template; NONE gets the public permission SAM adds.
    let url: { FunctionUrl: string; AuthType: string } | undefined;
    try {
      url = await api.json('GET', `/2021-10-31/functions/${encodeURIComponent(f.name)}/url`, 'GetFunctionUrlConfig');
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'ResourceNotFoundException')) throw e;
    }
    if (f.url) {
      const body = { AuthType: f.url.AuthType, Cors: f.url.Cors ?? {}, ...(f.url.InvokeMode ? { InvokeMode: f.url.InvokeMode } : {}) };
      url = url
        ? await api.json('PUT', `/2021-10-31/functions/${encodeURIComponent(f.name)}/url`, 'UpdateFunctionUrlConfig', body)
        : await api.json('POST', `/2021-10-31/functions/${encodeURIComponent(f.name)}/url`, 'CreateFunctionUrlConfig', body);
      if (f.url.AuthType === 'NONE') {
        try {
          await api.json('POST', `${fnPath(f.name)}/policy`, 'AddPermission', { StatementId: 'FunctionURLAllowPublicAccess', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 'ResourceConflictException')) throw e;
        }
      }
    } else if (url) {
      await api.call('DELETE', `/2021-10-31/functions/${encodeURIComponent(f.name)}/url`, { operation: 'DeleteFunctionUrlConfig' });
      url = undefined;
    }
    o.say(`${exists ? 'Updated' : 'Created'} ${f.name} (${f.runtime}, ${f.handler}) from ${f.codeDir}${url ? `\n  URL: ${url.FunctionUrl} (${url.AuthType})` : ''}`);
  };

  /** Reads the template again and makes the server match it. */
  let debugKind: 'node' | 'python' = 'node';
  const apply = async (first: boolean) => {
    if (!first) template = readTemplate(templateFile, ctxOf(config));
    const arns = await publishLayers();
    const functions = template.functions(arns);
    const seen = new Set<string>();
    for (const f of functions) {
      if (seen.has(f.name)) throw new TemplateError(`Two functions of the template are named ${f.name}.`, 'Give them different FunctionName values.');
      seen.add(f.name);
    }
    for (const f of functions) {
      if (first && f.buildMethod) {
        o.warn(`⚠ ${f.name} is built by ${f.buildMethod} under sam build (Metadata.BuildMethod), and alonzo dev runs ${f.codeDir} as it is.\n  If its handler is not in that folder as JavaScript or Python, run sam build and then alonzo dev --template .aws-sam/build/template.yaml, or build into a folder with esbuild --watch / tsc --watch and point CodeUri at it.`);
      }
      if (dataDir?.startsWith(f.codeDir + sep) && !warnedDataDir.has(f.codeDir)) {
        warnedDataDir.add(f.codeDir);
        o.warn(`⚠ The data dir ${dataDir} is inside ${f.codeDir}, the folder ${f.name} runs from: the function sees it at /var/task (unreadable to sandboxed functions, readable in isolation none).\n  Give alonzo dev a data dir outside the project's code folders with --data-dir.`);
      }
    }
    if (o.debug) {
      const target = functions.find((f) => f.name === o.debug!.functionName || f.logicalId === o.debug!.functionName);
      if (!target) throw new TemplateError(`--debug ${o.debug.functionName}: the template has no such function.`, `Functions: ${functions.map((f) => f.name).join(', ')}.`);
      if (!target.runtime.startsWith('nodejs') && !target.runtime.startsWith('python')) throw new TemplateError(`--debug ${o.debug.functionName}: ${target.runtime} functions cannot be debugged (Node.js and Python only).`);
      o.debug.functionName = target.name;
      debugKind = target.runtime.startsWith('nodejs') ? 'node' : 'python';
      o.debug.port ??= debugKind === 'node' ? 9229 : 5678;
    }
    for (const f of functions) await deployFunction(f);
    if (o.debug) {
      // One environment at a time: one inspector on one port.
      await api.json('PUT', `/2017-10-31/functions/${encodeURIComponent(o.debug.functionName)}/concurrency`, 'PutFunctionConcurrency', { ReservedConcurrentExecutions: 1 });
      if (first) {
        const how = debugKind === 'node' ? `under the Node.js inspector on 127.0.0.1:${o.debug.port} and waits for a debugger (VS Code "Attach", chrome://inspect)` : `under debugpy on 127.0.0.1:${o.debug.port} and waits for a debugger (VS Code's Python "Attach", any Debug Adapter Protocol client)`;
        o.say(`Debugger: ${o.debug.functionName} starts ${how} before loading its handler; its timeout is not enforced, and it runs one invocation at a time.`);
      }
    }
    for (const gone of deployed.filter((d) => !seen.has(d.name))) {
      await api.call('DELETE', fnPath(gone.name), { operation: 'DeleteFunction' });
      dirs.delete(gone.name);
      o.say(`Deleted ${gone.name} (no longer in the template)`);
    }
    deployed = functions;
    const routes: DevRoute[] = functions.flatMap((f) => f.routes);
    gateway.setRoutes(routes);
    for (const r of routes) o.say(`${r.kind === 'Api' ? 'Api    ' : 'HttpApi'} ${r.method.padEnd(6)} ${gateway.url}${r.path === '$default' ? '/*' : r.path} → ${r.functionName}`);
    if (first) for (const e of ignoredEvents(templateFile)) o.say(`Not run locally: event ${e}`);
    for (const n of template.notes()) if (!said.has(n)) said.add(n) && o.say(`Note: ${n}`);
    rewatch();
  };

  // Template changes are applied one at a time; a change during an apply is applied after it.
  let applying: Promise<void> = Promise.resolve();
  let pending = false;
  const reapply = () => {
    if (pending || closed) return;
    pending = true;
    applying = applying.then(async () => {
      // A short pause: editors write a file in several steps.
      await new Promise((r) => setTimeout(r, 30));
      pending = false;
      if (closed) return;
      try {
        await apply(false);
        o.say('Template applied.');
      } catch (e) {
        o.warn(`✘ ${e instanceof TemplateError ? e.message : e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message}${e instanceof TemplateError && e.fix ? `\n  ${e.fix}` : ''}\n  The previous state stays deployed.`);
      }
    });
  };

  /** A file changed under `dir`: the functions served from it start afresh at their next invoke. */
  const changed = (dir: string, file: string | null) => {
    const full = file ? join(dir, file) : dir;
    if (inDataDir(full) || /(^|[/\\])\.git([/\\]|$)/.test(file ?? '')) return;
    const served = deployed.filter((f) => f.codeDir === dir);
    const names = served.map((f) => f.name);
    for (const f of served) refresh(f);
    if (template.layers.some((l) => l.contentDir === dir)) reapply();
    // Said once per burst (an editor's save is several events), after the eviction it reports.
    if (names.length && !told.has(dir)) {
      told.set(
        dir,
        setTimeout(() => {
          told.delete(dir);
          if (!closed) o.say(`↻ ${file ?? dir} changed: ${names.join(', ')} will run the new code`);
        }, 20),
      );
    }
  };
  const told = new Map<string, NodeJS.Timeout>();

  const rewatch = () => {
    const wanted = new Set<string>([...deployed.map((f) => f.codeDir), ...template.layers.map((l) => l.contentDir), `template:${dirname(templateFile)}`]);
    for (const [k, w] of watchers) {
      if (!wanted.has(k)) {
        w.close();
        watchers.delete(k);
      }
    }
    for (const k of wanted) {
      if (watchers.has(k)) continue;
      if (k.startsWith('template:')) {
        const w = watch(dirname(templateFile), (_ev, name) => {
          if (name === basename(templateFile)) reapply();
        });
        watchers.set(k, w);
      } else {
        // Recursive watching works on Linux from Node 20 (inotify per folder, set up by Node).
        const w = watch(k, { recursive: true }, (_ev, name) => changed(k, name ? name.toString() : null));
        w.on('error', (e) => o.warn(`✘ Watching ${k} failed: ${e.message}`));
        watchers.set(k, w);
      }
    }
  };

  try {
    await apply(true);
  } catch (e) {
    for (const w of watchers.values()) w.close();
    await gateway.close();
    await server?.close();
    throw e;
  }
  return {
    server,
    url,
    api: gateway,
    functions: () => deployed.map((f) => f.name),
    settled: () => applying,
    async close() {
      closed = true;
      for (const t of told.values()) clearTimeout(t);
      for (const t of uploads.values()) clearTimeout(t);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      await applying;
      await gateway.close();
      await server?.close();
    },
  };
}

/** A fingerprint of a folder's files (names, sizes, modification times): whether a layer must be published again. */
function treeHash(dir: string, skip: (path: string) => boolean): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (skip(full)) continue;
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else h.update(`${full}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  walk(dir);
  return h.digest('hex');
}

export { TemplateError } from './template.js';
