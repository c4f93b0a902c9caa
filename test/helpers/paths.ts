// Where the repository's files are, seen from a compiled test under dist/test/.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const FUNCTION_FIXTURES = join(FIXTURES, 'functions');
export const BOOTSTRAP_DIR = join(REPO_ROOT, 'dist', 'src', 'runtime', 'bootstrap');
