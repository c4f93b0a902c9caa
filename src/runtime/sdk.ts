// The AWS SDKs that Lambda's managed runtimes ship: `@aws-sdk/*` (v3) for Node.js 18 and later, boto3 for Python.
// A function imports them without bundling them, below its own copies and its layers' (Lambda puts them in the
// runtime's own path, after /var/task and /opt).
//
// Alonzo keeps them in the data dir, `runtimes/sdk/node/node_modules` and `runtimes/sdk/python`, filled by `alonzo
// runtimes install sdk` (cli/runtimes.ts): both folders always exist, so the sandbox binds them read-only into every
// environment from the start (at SDK_MOUNT) and an install shows in the environments started after it.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where a sandboxed function sees the SDKs. */
export const SDK_MOUNT = { node: '/var/lang/sdk/node_modules', python: '/var/lang/sdk/python' } as const;

export interface SdkDirs {
  /** `<dataDir>/runtimes/sdk/node/node_modules`: `@aws-sdk/*` and what they need. */
  node: string;
  /** `<dataDir>/runtimes/sdk/python`: boto3, botocore and what they need, as a sys.path entry. */
  python: string;
}

export function sdkDirs(dataDir: string): SdkDirs {
  return { node: join(dataDir, 'runtimes', 'sdk', 'node', 'node_modules'), python: join(dataDir, 'runtimes', 'sdk', 'python') };
}

/** Makes both folders (empty until an install): what the sandbox binds must exist. */
export function ensureSdkDirs(dataDir: string): SdkDirs {
  const d = sdkDirs(dataDir);
  mkdirSync(d.node, { recursive: true, mode: 0o755 });
  mkdirSync(d.python, { recursive: true, mode: 0o755 });
  return d;
}

/** What is installed: the `@aws-sdk/*` packages by name, and whether boto3 is there. */
export function installedSdks(dataDir: string): { node: string[]; boto3: boolean } {
  const d = sdkDirs(dataDir);
  const scope = join(d.node, '@aws-sdk');
  const node = existsSync(scope) ? readdirSync(scope).map((n) => `@aws-sdk/${n}`) : [];
  return { node, boto3: existsSync(join(d.python, 'boto3', '__init__.py')) };
}
