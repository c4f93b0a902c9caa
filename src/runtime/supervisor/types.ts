// The supervisor port: how an execution environment's processes are started, measured and stopped, whatever the
// isolation (a sandbox as root, a user namespace without root, or plain processes). Environments see only this.
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';

/** How strongly environments are isolated; every mode below 'sandbox' says what it lacks (Supervisor.missing). */
export type IsolationMode = 'sandbox' | 'userns' | 'none';

/**
 * How a built-in runtime boots before its function is known (a prebooted standby): everything about it that does not
 * depend on the function. Environments of the same key can take each other's standbys.
 */
export interface StandbyTemplate {
  key: string;
  cmd: string;
  args: string[];
  /** The environment the interpreter boots with; the function's own arrives with the `specialize` frame. */
  env: Record<string, string>;
  memoryMb: number;
  ephemeralMb: number;
}

export interface LaunchSpec {
  cmd: string;
  args: string[];
  /** The whole environment of the runtime: nothing of the server's is added. */
  env: Record<string, string>;
  /** Hand the runtime the private channel as fd 3. */
  channel: boolean;
  /** The environment's sandbox folder on the host: its /tmp lives there, and outlasts one runtime process. */
  sandboxDir: string;
  /** The unpacked code, shown read-only at /var/task. */
  codeDir: string;
  /** The merge of the function's layers, shown read-only at /opt (none: /opt is an empty folder). */
  optDir?: string;
  memoryMb: number;
  /** EphemeralStorage: the size of /tmp. */
  ephemeralMb: number;
  /** Set when a prebooted standby of this kind may serve the launch (a built-in runtime over the channel). */
  standby?: StandbyTemplate;
}

/** One running environment: its runtime process and everything it starts. */
export interface Supervised {
  /** The process the server started (in a sandbox, the launcher that holds the environment's namespaces). */
  readonly pid: number | undefined;
  /** The sandbox folder the environment really got (a prebooted standby comes with its own). */
  readonly sandboxDir: string;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly channel?: Socket;
  /** Once, when the runtime process ends: its exit code or signal, as if no sandbox were there. */
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** Kills every process of the environment, detached and setsid children included. */
  kill(): void;
  /** Memory in use now by every process of the environment, in MB (anonymous memory; /tmp is counted apart). */
  memoryMb(): number;
  /** Whether the kernel killed a process of the environment for memory. */
  outOfMemory(): boolean;
  /** How often the memory watchdog should look, in ms (reading a cgroup is cheap; walking /proc is not). */
  readonly memoryPollMs: number;
  /** Whether a TCP connection from 127.0.0.1:`remotePort` to 127.0.0.1:`localPort` was opened by this environment. */
  owns(remotePort: number, localPort: number): boolean;
  /** After the exit: frees what the environment held (its cgroups). */
  dispose(): void;
}

export interface Supervisor {
  readonly mode: IsolationMode;
  /** Where the code appears to the function: /var/task in a sandbox; undefined means the code folder's own path. */
  readonly taskRoot?: string;
  /** Where the built-in runtimes appear: /var/runtime in a sandbox; undefined means the server's own folder. */
  readonly runtimeRoot?: string;
  /** The protections this mode lacks, each in one sentence (said at start-up and in docs/SECURITY.md). */
  readonly missing: string[];
  launch(spec: LaunchSpec): Supervised;
  /** Keeps prebooted standbys of this kind ready from now on (a supervisor without them ignores it). */
  prepare?(template: StandbyTemplate): void;
  /** The environment's sandbox folder is no longer needed: unmount its /tmp, free its user, remove it. */
  releaseSandbox(dir: string): void;
  /** Stops what it started ahead of need and frees what is left (mounts, cgroups, users). */
  close(): void | Promise<void>;
}
