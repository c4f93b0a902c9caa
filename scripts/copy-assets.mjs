// Copies the files tsc does not emit (the in-environment bootstraps, SQL migrations, dashboard assets) into dist/.
import { cpSync, existsSync } from 'node:fs';

const assets = ['src/runtime/bootstrap', 'src/store/migrations', 'src/web/static'];
for (const dir of assets) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true, filter: (p) => !p.endsWith('.ts') });
}
