// Copies the files tsc does not emit (the in-environment bootstraps, SQL migrations) into dist/, and compiles the
// Python runtime's bytecode ahead of time: environments may see that folder read-only (/var/runtime in a mount
// namespace), where Python could not write its cache and would compile ~700 lines on every cold start (~10 ms).
import { cpSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const assets = ['src/runtime/bootstrap', 'src/store/migrations', 'src/web/static'];
for (const dir of assets) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (p) => !p.endsWith('.ts') && !p.includes('__pycache__') });
}

const python = process.env.ALONZO_PYTHON_PATH || '/usr/bin/python3';
if (existsSync(python)) {
  spawnSync(python, ['-m', 'compileall', '-q', 'dist/src/runtime/bootstrap/python'], { stdio: 'inherit' });
}
