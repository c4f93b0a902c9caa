// The processes the benchmark starts (every one is tracked and stopped at the end) and what /proc says about them.
import { spawn } from 'node:child_process';
import { openSync, readFileSync, readdirSync, closeSync } from 'node:fs';

const started = new Set();
const CLK_TCK = 100; // Linux USER_HZ

/**
 * Starts a long-running process in its own process group with its output in `logFile`, and resolves once `ready(text)`
 * returns something truthy for what it printed so far (or rejects after `timeoutMs`).
 */
export function startProcess(name, cmd, args, { cwd, env, logFile, ready, probe, timeoutMs = 60_000 }) {
  const out = openSync(logFile, 'a');
  const proc = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', out] });
  closeSync(out);
  const entry = { name, proc, exited: false };
  started.add(entry);
  proc.on('exit', () => {
    entry.exited = true;
    started.delete(entry);
  });
  let text = '';
  let settled = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms; see ${logFile}`)), timeoutMs);
    const fail = (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopProcess(entry).finally(() => reject(e));
    };
    const succeed = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.stdout.removeAllListeners('data');
      proc.stdout.resume();
      resolve({ ...entry, entry, pid: proc.pid, info: r, logFile, startText: text });
    };
    proc.stdout.on('data', (c) => {
      text += c.toString();
      if (text.length > 65536) text = text.slice(-65536);
      const r = ready?.(text);
      if (r) succeed(r);
    });
    if (probe) {
      // No line to wait for: ask the process itself until it answers (bounded by timeoutMs).
      (async () => {
        while (!settled) {
          await new Promise((r) => setTimeout(r, 500));
          if (!settled && (await probe())) succeed(true);
        }
      })();
    }
    proc.on('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before it was ready; see ${logFile}`)));
  });
}

/** SIGTERM to the process, then SIGKILL to its whole group after `graceMs`; resolves when it has exited. */
export function stopProcess(handle, graceMs = 5000) {
  const entry = handle.entry ?? handle;
  const { proc } = entry;
  if (entry.exited || proc.exitCode !== null || proc.signalCode !== null) {
    killGroup(proc.pid);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      killGroup(proc.pid);
    }, graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      // Anything the process left behind in its group (environments, workers) goes with it.
      setTimeout(() => {
        killGroup(proc.pid);
        resolve();
      }, 100);
    });
    try {
      proc.kill('SIGTERM');
    } catch {
      // already gone
    }
  });
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
}

/** Stops everything still running (the end of the run, an error, or Ctrl-C). */
export async function stopAll() {
  await Promise.all([...started].map((e) => stopProcess(e, 3000)));
}

/** A process's children, grandchildren…, found through /proc/<pid>/task/<tid>/children. */
export function descendants(pid) {
  const out = [];
  const walk = (p) => {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'latin1');
      } catch {
        continue;
      }
      for (const k of kids.trim().split(/\s+/).filter(Boolean)) {
        out.push(Number(k));
        walk(Number(k));
      }
    }
  };
  walk(pid);
  return out;
}

/** VmRSS in kB (0 when the process is gone). */
export function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size in kB: shared pages (the node binary, libraries) divided among the processes sharing them. */
export function pssKb(pid) {
  try {
    const m = /\nPss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used, not counting children. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds of a process and its live descendants. */
export function treeCpuSeconds(pid) {
  return [pid, ...descendants(pid)].reduce((s, p) => s + cpuSeconds(p), 0);
}

/** CPU seconds this process and its reaped children used. */
export function selfAndReapedCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - idle) / CLK_TCK;
}
