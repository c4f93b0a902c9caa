// Starting `alonzo serve` for a benchmark: a given checkout's bin/alonzo.js on a kernel-chosen port, in sigv4 mode
// with the benchmark's root key, resolving once it says where it serves.
import { join } from 'node:path';
import { BENCH_CREDENTIALS } from './loadgen.mjs';
import { startProcess } from './procs.mjs';

export async function serveAlonzo({ name, root, dataDir, logFile, cwd, extraArgs = [], nodeArgs = [] }) {
  const h = await startProcess(name, process.execPath, [...nodeArgs, join(root, 'bin', 'alonzo.js'), 'serve', '--port', '0', '--data-dir', dataDir, ...extraArgs], {
    cwd,
    // sigv4 mode with a root key: every benchmarked request is verified, as on a server others can reach.
    env: { ...process.env, ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId, ALONZO_ROOT_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey },
    logFile,
    ready: (t) => /serving the Lambda API on http:\/\/127\.0\.0\.1:(\d+)/.exec(t)?.[1],
    timeoutMs: 30_000,
  });
  return { ...h, port: Number(h.info), dataDir };
}
