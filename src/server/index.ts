// The composition root: builds the store, code store, environment pool and invoke engine from config, serves HTTP, shuts down gracefully.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolveConfig, type Config } from '../config/index.js';
import { createLogger, linesPerTurn } from '../core/logger.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/types.js';
import { openPostgres, type PgHandle } from '../store/postgres/db.js';
import { openPostgresStore } from '../store/postgres/index.js';
import { joinCluster, type ClusterNode } from '../cluster/index.js';
import type { NodeStats } from '../cluster/membership.js';
import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CodeStore } from '../code/index.js';
import { EnvironmentPool } from '../runtime/pool.js';
import { standbyTemplate } from '../runtime/environment.js';
import { LogSink, type LogStore } from '../runtime/log-sink.js';
import { PgLogStore } from '../cluster/logs.js';
import { PgBlobStore } from '../cluster/blobs.js';
import { chooseSupervisor } from './supervisor.js';
import { lockDataDir, StartupError, type DataDirLock } from './lock.js';

export { StartupError } from './lock.js';
import { InvokeEngine, type DevCodeSource } from '../invoke/engine.js';
import { openSqliteQueue } from '../queue/sqlite.js';
import { openPostgresQueue } from '../queue/postgres.js';
import { Poller } from '../queue/poller.js';
import { EsmManager } from '../esm/manager.js';
import { postgresMappingLeases } from '../cluster/esm-leases.js';
import { s3CodeSource } from '../code/s3.js';
import { ensureSdkDirs, SDK_MOUNT } from '../runtime/sdk.js';
import { findInterpreters, mismatch } from '../runtime/interpreters.js';
import { awsDestinationSender } from '../queue/aws-delivery.js';
import { createHandler } from '../api/router.js';
import { createUrlHandler, isUrlRequest } from '../url/endpoint.js';
import type { Services } from '../api/context.js';
import { Authenticator } from '../auth/index.js';
import { keysPath, readKeyFile } from '../auth/keys.js';
import { Observer } from '../observe/observer.js';
import { LogsApi, isLogsRequest } from '../observe/logs-api.js';
import { metricsHandler, METRICS_PATH } from '../observe/metrics-endpoint.js';
import { createDashboard, isDashboardRequest, PAGE_PATH } from '../dashboard/index.js';
import { listNodes } from '../cluster/membership.js';
import { FUNCTION_ENVIRONMENT_MAX_AGE_MS } from '../auth/function-credentials.js';

export interface RunningServer {
  url: string;
  port: number;
  config: Config;
  /** The web dashboard's address, and the login token (new at each start) that `alonzo serve` prints. */
  dashboardUrl: string;
  dashboardToken: string;
  /** Retires a function's warm environments (of the server's own account); invocations in flight finish first. */
  evict(functionName: string): void;
  close(): Promise<void>;
}

/** What only `alonzo dev` hands the server: where its functions' folders are. */
export interface ServerExtras {
  devCode?: DevCodeSource;
}

const DASHBOARD_STATIC = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'dashboard', 'static');
const BOOTSTRAP_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'runtime', 'bootstrap');

/** Async events running at once: enough to keep a machine busy without taking every environment from sync invokes. */
const ASYNC_CONCURRENCY = 32;
/** On shutdown, how long running async events get to finish before they are left to run again at the next start. */
const ASYNC_GRACE_MS = 3000;

/** Proxy settings a function may need to reach the network; never the server's own credentials or other secrets. */
const PASS_THROUGH = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

export async function startServer(overrides: Partial<Config> = {}, extras: ServerExtras = {}): Promise<RunningServer> {
  const config = resolveConfig(overrides);
  const dataDir = resolve(config.dataDir);
  // The data dir holds every function's code and variables: the server's alone.
  try {
    if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new Error('it is a file, not a directory');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
  } catch (e) {
    throw new StartupError('data-dir-unusable', `The data directory ${dataDir} cannot be used: ${(e as Error).message}.`, 'Give a directory this user can create and write with --data-dir (ALONZO_DATA_DIR).');
  }
  const lock = lockDataDir(dataDir);
  try {
    return await startLocked(config, dataDir, lock, extras);
  } catch (e) {
    // A start that fails (a port in use, an isolation the machine cannot give) leaves the directory free.
    lock.release();
    throw e;
  }
}

async function startLocked(config: Config, dataDir: string, lock: DataDirLock, extras: ServerExtras): Promise<RunningServer> {
  const startedAt = Date.now();
  const log = createLogger(config.logLevel, {}, linesPerTurn((text) => process.stderr.write(text)));
  const account = { region: config.region, accountId: config.accountId };
  // Cluster mode: what the nodes share lives in PostgreSQL (docs/CLUSTER.md); otherwise the embedded SQLite store.
  const pg = config.databaseUrl ? await connectDatabase(config.databaseUrl, log) : undefined;
  const nodeName = config.nodeName || `${hostname()}:${config.port}`;
  const cluster: ClusterNode | undefined = pg
    ? await joinCluster(pg, {
        url: config.databaseUrl,
        name: nodeName,
        accountLimit: config.accountConcurrency,
        log,
        stats: (): NodeStats => ({ environments: pool.stats().environments, running: invoker.runningCount(), provisioned: invoker.provisionedReady() }),
      })
    : undefined;
  const store: Store = pg ? await openPostgresStore(pg, { url: config.databaseUrl, accountId: config.accountId, nodeId: cluster!.membership.id, onError: (e) => log.warn('store:database-error', { error: e.message }) }) : openSqliteStore(dataDir, { accountId: config.accountId });
  // After the store (which applies the migrations): the queue opens its own connection to the same database.
  let poller: Poller | undefined;
  const onWork = (accepted: number) => poller?.kick(accepted);
  const asyncInvoke = pg
    ? await openPostgresQueue(pg, { url: config.databaseUrl, nodeId: cluster!.membership.id, accountId: config.accountId, onWork })
    : openSqliteQueue(dataDir, { onWork, accountId: config.accountId });
  const code = new CodeStore(join(dataDir, 'code'), pg ? new PgBlobStore(pg.pool) : undefined);
  const inherited: Record<string, string> = {};
  for (const k of PASS_THROUGH) if (process.env[k]) inherited[k] = process.env[k]!;
  // The AWS SDKs the managed runtimes ship (`alonzo runtimes install sdk`), bound into every sandbox.
  const sdk = ensureSdkDirs(dataDir);
  const sdkBinds = [`${sdk.node}:${SDK_MOUNT.node}`, `${sdk.python}:${SDK_MOUNT.python}`];
  // Each runtime on an interpreter of its own version where the machine has one; the others say so.
  const interpreters = findInterpreters({ dataDir, nodePath: config.nodePath, pythonPath: config.pythonPath, overrides: config.runtimeInterpreters });
  const mismatches = [...interpreters].map(([rt, i]) => mismatch(rt, i)).filter((m): m is string => m !== undefined);
  const interpreterPaths = [...new Set([config.nodePath, config.pythonPath, ...[...interpreters.values()].map((i) => i.path)])];
  const supervisor = chooseSupervisor(config, join(dataDir, 'sandboxes'), code.root, interpreterPaths, BOOTSTRAP_DIR, log, sdkBinds);
  const sdkPaths = supervisor.taskRoot ? { node: SDK_MOUNT.node, python: SDK_MOUNT.python } : sdk;
  const host = {
    nodePath: config.nodePath,
    pythonPath: config.pythonPath,
    interpreterFor: (runtime: string) => interpreters.get(runtime)?.path,
    bootstrapDir: BOOTSTRAP_DIR,
    inherited,
    transport: config.runtimeTransport,
    supervisor,
    sdk: sdkPaths,
    streamLimitBytes: config.streamLimitBytes,
  };
  // The most common kinds are prebooted from the start (Lambda's defaults: 128 MB, 512 MB of /tmp); others once needed.
  if (config.runtimeTransport === 'channel') {
    for (const [family, runtime] of [['node', 'nodejs20.x'], ['python', 'python3.12']] as const) {
      const t = standbyTemplate(host, family, 128, 512, runtime);
      if (t) supervisor.prepare?.(t);
    }
  }
  const pool = new EnvironmentPool(
    host,
    join(dataDir, 'sandboxes'),
    { maxEnvironments: config.maxEnvironments, maxMemoryMb: config.maxEnvironmentMemoryMb, idleTimeoutMs: config.idleTimeoutMs, maxAgeMs: FUNCTION_ENVIRONMENT_MAX_AGE_MS },
    log,
  );
  const auth = new Authenticator({
    mode: config.auth,
    host: config.host,
    allowedHosts: config.allowedHosts,
    region: config.region,
    accountId: config.accountId,
    dataDir,
    root: config.rootAccessKeyId ? { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey } : undefined,
    shared: cluster && { keys: cluster.keys, credentialSecret: cluster.credentialSecret },
  });
  // Functions call Lambda here, on loopback (sandboxes share the host's network), with credentials of their own.
  let lambdaEndpoint = '';
  const credentials = (accountId: string, roleArn: string, functionName: string) => ({
    ...auth.functionCredentials.mint(accountId, roleArn, functionName),
    AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint,
  });
  const logs: LogStore = pg ? new PgLogStore(pg.pool, nodeName, { onError: (e) => log.warn('logs:write-failed', { error: e.message }) }) : new LogSink(join(dataDir, 'logs'));
  const observer = new Observer(logs, account.accountId);
  const invoker: InvokeEngine = new InvokeEngine({ store, code, pool, logs, observer, account, log, accountConcurrency: config.accountConcurrency, queueWaitMs: config.queueWaitMs, events: asyncInvoke.events, credentials, cluster: cluster?.engineHooks, devCode: extras.devCode ?? debugOnly(config) });
  cluster?.attach(invoker, pool, store);
  poller = new Poller({
    events: asyncInvoke.events,
    configs: asyncInvoke.configs,
    runner: invoker,
    store,
    account,
    log,
    timeScale: config.asyncTimeScale,
    concurrency: Math.max(1, Math.min(ASYNC_CONCURRENCY, config.maxEnvironments)),
    sender: awsDestinationSender({ endpoint: config.destinationEndpoint }),
    observer,
  });
  // Events a crash left running are queued again before anything new is accepted.
  await poller.start();
  // Event source mappings: a poller per enabled mapping, reading queues where they are (esm/).
  // In a cluster, each mapping is polled by the one node holding its lease (cluster/esm-leases.ts).
  const esm = new EsmManager({ store, runner: invoker, log, endpoint: config.destinationEndpoint, s3Endpoint: config.s3Endpoint, leases: pg && postgresMappingLeases(pg, cluster!.membership.id) });
  esm.start();
  let baseUrl = '';
  const codeSource = s3CodeSource({ endpoint: config.s3Endpoint, region: config.region });
  const logsApi = new LogsApi({ store, logs, auth, accountId: account.accountId, region: account.region, log, flushIndex: () => observer.flushIndex() });
  const logsHandler = logsApi.handle.bind(logsApi);
  const services: Services = {
    store, code, codeSource, runtimes: interpreters, account, config, log, invoker, logs, asyncInvoke, auth, esm, baseUrl: () => baseUrl,
    targetApi: (req, path) => (isLogsRequest(req, path) ? logsHandler : undefined),
  };
  /** Everything but the HTTP server, in order; also what a failed start undoes. */
  const shutDown = async () => {
    // Stop claiming and give running events a moment; the engine's close ends the rest, which go back to the queue.
    // The mappings' pollers stop receiving at once; a batch in flight ends with the engine, its messages left in the queue.
    const esmClosed = esm.close();
    await Promise.all([poller!.stop(ASYNC_GRACE_MS), Promise.race([esmClosed, new Promise((ok) => setTimeout(ok, ASYNC_GRACE_MS).unref())])]);
    await invoker.close();
    await esmClosed;
    await supervisor.close();
    await poller!.drain();
    codeSource.close();
    await asyncInvoke.close();
    observer.flushIndex();
    await logs.close();
    await cluster?.stop();
    await store.close();
    await pg?.close();
    lock.release();
  };
  // One port, two protocols kept apart here: function URLs (by Host or the /_alonzo/url/ prefix) and the Lambda API.
  const api = createHandler(services);
  const urls = createUrlHandler(services);
  const metrics = metricsHandler(auth, observer.metrics, {
    environments: () => pool.environments(),
    inFlight: () => invoker.inFlight(),
    ownAccount: account.accountId,
    queueStats: () => asyncInvoke.events.stats(),
  });
  const dashboardToken = randomBytes(24).toString('base64url');
  const dashboard = createDashboard({
    services,
    observer,
    environments: () => pool.environments(),
    nodes: async () =>
      pg
        ? (await listNodes(pg)).map((n) => ({ name: n.name, url: n.url, alive: n.alive, environments: n.environments, running: n.running, startedAt: n.startedAt, heartbeatAt: n.heartbeatAt }))
        : [{ name: nodeName, url: baseUrl, alive: true, environments: pool.stats().environments, running: [...invoker.inFlight().values()].reduce((a, b) => a + b, 0), startedAt, heartbeatAt: Date.now() }],
    token: dashboardToken,
    staticDir: DASHBOARD_STATIC,
  });
  const isMetrics = (url: string | undefined) => url === METRICS_PATH || url?.startsWith(`${METRICS_PATH}?`) === true;
  // One port: function URLs, /metrics, the dashboard (/_alonzo/ and /_alonzo/dashboard/…) and the Lambda API.
  const server: Server = createServer((req, res) =>
    isUrlRequest(req) ? urls(req, res) : isMetrics(req.url) ? metrics(req, res) : isDashboardRequest(req.url) ? dashboard(req, res) : api(req, res),
  );
  server.keepAliveTimeout = 65_000;
  // A sync invoke may run 900 s: never cut a request off while its function runs.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(config.port, config.host, () => ok());
    });
  } catch (e) {
    await shutDown();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError('port-in-use', `Port ${config.port} on ${config.host} is already in use.`, 'Stop what listens there (another Alonzo?), or choose another port with --port (ALONZO_PORT).');
    throw new StartupError('cannot-listen', `Cannot listen on ${config.host}:${config.port}: ${(e as Error).message}.`, 'Check --host and --port (ALONZO_HOST, ALONZO_PORT).');
  }
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  lambdaEndpoint = config.host === '0.0.0.0' ? `http://127.0.0.1:${port}` : config.host === '::' ? `http://[::1]:${port}` : baseUrl;
  log.info('server:listening', { url: baseUrl, dataDir, auth: config.auth, keys: auth.keys.size - 1 });
  // Said once serving (a server that cannot start says only why it cannot).
  if (mismatches.length) log.warn('runtime:mismatch', { runtimes: mismatches });
  if (cluster && keysInFile(dataDir) > 0) {
    log.warn('auth:key-file-ignored', { file: keysPath(dataDir), hint: 'a cluster node verifies the keys kept in its database: create them with `alonzo keys create --database-url …`' });
  }
  if (config.auth === 'sigv4' && auth.keys.size <= 1) {
    log.warn('auth:no-keys', { hint: 'sigv4 mode and no key yet: create one with `alonzo keys create`, or set ALONZO_ROOT_ACCESS_KEY_ID and ALONZO_ROOT_SECRET_ACCESS_KEY' });
  }
  // Provisioned concurrency survives a restart: its environments are initialised again (in a cluster, this node's share).
  if (cluster) await cluster.start(baseUrl);
  else for (const accountId of await store.accountIds()) {
    const [own, engine] = [store.forAccount(accountId), invoker.forAccount(accountId)];
    for (const cfg of await own.listProvisioned()) {
      const version = /^[0-9]+$/.test(cfg.qualifier) ? cfg.qualifier : (await own.getAlias(cfg.functionName, cfg.qualifier))?.functionVersion;
      if (version) await engine.provision(cfg.functionName, cfg.qualifier, version, cfg.requested);
    }
  }
  let closing: Promise<void> | undefined;

  return {
    url: baseUrl,
    port,
    config,
    dashboardUrl: `${baseUrl}${PAGE_PATH}`,
    dashboardToken,
    evict: (functionName) => invoker.evict(functionName),
    close() {
      closing ??= (async () => {
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeIdleConnections();
          dashboard.close();
        });
        await shutDown();
        log.info('server:stopped');
      })();
      return closing;
    },
  };
}

/** The cluster database, or a start-up error that says what to fix. */
async function connectDatabase(url: string, log: ReturnType<typeof createLogger>): Promise<PgHandle> {
  let h: PgHandle;
  try {
    h = await openPostgres(url, { onError: (e) => log.warn('database:connection-lost', { error: e.message }) });
  } catch (e) {
    throw new StartupError('database-unreachable', `Cannot use the cluster database: ${(e as Error).message}.`, 'Check --database-url (ALONZO_DATABASE_URL) and that PostgreSQL is up and accepts this user.');
  }
  // Functions share the machine's network: a database that lets anyone in without the password lets every function
  // in, with the power to rewrite every function's code. Said loudly at start-up (docs/SECURITY.md, section 6).
  if (await acceptsAnyPassword(url)) {
    log.warn('database:no-password-needed', {
      hint: 'the cluster database accepted a connection with a wrong password (trust authentication?): any process on a node, functions included, could connect and change everything; require scram-sha-256 for this user in pg_hba.conf',
    });
  }
  return h;
}

/** Whether the database lets this URL's user in with a password that cannot be right. */
async function acceptsAnyPassword(url: string): Promise<boolean> {
  let wrong: string;
  try {
    const u = new URL(url);
    // The URL's own members beat separate options in node-postgres: the wrong password goes into the URL.
    if (!u.username) u.username = process.env.PGUSER ?? userInfo().username;
    u.password = `wrong-${randomBytes(12).toString('hex')}`;
    wrong = u.toString();
  } catch {
    return false;
  }
  const c = new pg.Client({ connectionString: wrong, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** How many keys the data dir's key file holds (what a single server would use); 0 when it has none or cannot be read. */
function keysInFile(dataDir: string): number {
  try {
    return readKeyFile(dataDir).length;
  } catch {
    return 0;
  }
}

/** serve's debugFunction: no folders served, one function of the server's own account under a debugger. */
function debugOnly(config: Config): DevCodeSource | undefined {
  if (!config.debugFunction) return undefined;
  const at = config.debugPort ? { port: config.debugPort } : {};
  return { dirFor: () => undefined, debugFor: (accountId, name) => (accountId === config.accountId && name === config.debugFunction ? at : undefined) };
}
