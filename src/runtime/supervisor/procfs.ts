// What /proc tells about an environment's processes and sockets: who opened a loopback connection, a process tree,
// its memory. Used by the supervisors to check a Runtime API caller and to measure environments without cgroups.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

interface TcpEntry {
  uid: number;
  inode: string;
}

const LOOPBACK_HEX = '0100007F';

/**
 * The socket of a loopback connection from `remotePort` to `localPort`, as /proc/net/tcp lists it (the caller's side
 * of the connection, with its owner's uid and inode). Reading the table costs ~50 µs per hundred sockets; it is done
 * once per Runtime API connection, not per request.
 */
export function loopbackPeer(remotePort: number, localPort: number): TcpEntry | undefined {
  const local = `${LOOPBACK_HEX}:${remotePort.toString(16).toUpperCase().padStart(4, '0')}`;
  const remote = `${LOOPBACK_HEX}:${localPort.toString(16).toUpperCase().padStart(4, '0')}`;
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f[1] === local && f[2] === remote) return { uid: Number(f[7]), inode: f[9] };
  }
  return undefined;
}

/** Whether a process with this pid exists (perhaps another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `root` and all its descendants, found by walking /proc (this kernel has no /proc/…/children). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [root];
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      let list = children.get(ppid);
      if (!list) children.set(ppid, (list = []));
      list.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    for (const child of children.get(pid) ?? []) todo.push(child);
  }
  return out;
}

/** Whether any of `pids` holds the socket with this inode. */
export function holdsSocket(pids: number[], inode: string): boolean {
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}

/** Resident memory of these processes together, in MB. */
export function residentMb(pids: number[]): number {
  let pages = 0;
  for (const pid of pids) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
    } catch {
      // gone
    }
  }
  return (pages * 4096) / 1048576;
}

/** The mount points under `dir` (this process's view), deepest first, for clean-up. */
export function mountsUnder(dir: string): string[] {
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(prefix)))
    .map((p) => p.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}
