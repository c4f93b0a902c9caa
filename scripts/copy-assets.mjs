// Copies the files tsc does not emit (the in-environment bootstraps, SQL migrations) into dist/, and compiles the
// Python runtime's bytecode ahead of time: environments may see that folder read-only (/var/runtime in a mount
// namespace), where Python could not write its cache and would compile ~700 lines on every cold start (~10 ms).
import { copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const assets = ['src/runtime/bootstrap', 'src/store/migrations', 'src/web/static', 'src/dashboard/static'];
for (const dir of assets) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (p) => !p.endsWith('.ts') && !p.includes('__pycache__') });
}

// The dashboard's UI and chart libraries, vendored into the package so that it works offline (docs/ARCHITECTURE.md):
// their published builds, as the packages ship them, next to the page.
const vendor = {
  'node_modules/htm/preact/standalone.module.js': 'preact-htm.js',
  'node_modules/uplot/dist/uPlot.iife.min.js': 'uplot.js',
  'node_modules/uplot/dist/uPlot.min.css': 'uplot.css',
};
mkdirSync('dist/src/dashboard/static/vendor', { recursive: true });
for (const [from, to] of Object.entries(vendor)) {
  if (!existsSync(from)) throw new Error(`${from} is missing: run npm install (the dashboard vendors it at build time)`);
  copyFileSync(from, `dist/src/dashboard/static/vendor/${to}`);
}

const python = process.env.ALONZO_PYTHON_PATH || '/usr/bin/python3';
if (existsSync(python)) {
  spawnSync(python, ['-m', 'compileall', '-q', 'dist/src/runtime/bootstrap/python'], { stdio: 'inherit' });
}
