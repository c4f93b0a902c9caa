// Lambda runtime identifiers and the family of built-in runtime that runs each (shared by the API's validation and the engine).

export type RuntimeFamily = 'node' | 'python' | 'provided';

/** What Alonzo can run on this machine. */
export const RUNNABLE = ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14', 'provided.al2', 'provided.al2023'];

export function runtimeFamily(runtime: string | undefined): RuntimeFamily | undefined {
  if (!runtime) return undefined;
  if (runtime.startsWith('nodejs')) return 'node';
  if (runtime.startsWith('python')) return 'python';
  if (runtime.startsWith('provided')) return 'provided';
  return undefined;
}
