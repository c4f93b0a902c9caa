// Compiles the sandbox launcher (src/runtime/supervisor/alonzo-sandbox.c) into dist/. Linux only; without a C
// compiler the build goes on and the server runs with weaker isolation, which it says at start-up (docs/SECURITY.md).
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const src = 'src/runtime/supervisor/alonzo-sandbox.c';
const out = 'dist/src/runtime/supervisor/alonzo-sandbox';
if (process.platform !== 'linux') process.exit(0);
mkdirSync('dist/src/runtime/supervisor', { recursive: true });
const cc = process.env.CC || 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, src], { stdio: 'inherit' });
if (r.status !== 0) {
  console.warn(`alonzo: could not compile the sandbox launcher with '${cc}' (${r.error?.message ?? `exit ${r.status}`}); functions will run with weaker isolation (see docs/SECURITY.md)`);
}
