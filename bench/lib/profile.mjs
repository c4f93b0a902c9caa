// Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the time went: self time per function and per area.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const maps = new Map();

/** Per generated line: [[generatedColumn, sourceIndex, originalLine], …] from a source map's VLQ mappings. */
function loadMap(jsFile) {
  if (maps.has(jsFile)) return maps.get(jsFile);
  let out = null;
  try {
    const map = JSON.parse(readFileSync(`${jsFile}.map`, 'utf8'));
    const lines = [];
    let src = 0;
    let line = 0;
    let col = 0;
    for (const text of map.mappings.split(';')) {
      const segs = [];
      let gcol = 0;
      for (const seg of text.split(',')) {
        if (!seg) continue;
        const v = [];
        let shift = 0;
        let value = 0;
        for (const ch of seg) {
          const d = B64.indexOf(ch);
          value += (d & 31) << shift;
          if (d & 32) shift += 5;
          else {
            v.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0;
            shift = 0;
          }
        }
        gcol += v[0];
        if (v.length >= 4) {
          src += v[1];
          line += v[2];
          col += v[3];
          segs.push([gcol, src, line]);
        }
      }
      lines.push(segs);
    }
    out = { sources: map.sources, lines };
  } catch {
    out = null;
  }
  maps.set(jsFile, out);
  return out;
}

/** `src/x.ts:line` for Alonzo's compiled code (through its source map), else a short script name and line. */
function where(cf) {
  if (!cf.url) return '';
  const line = cf.lineNumber + 1;
  if (cf.url.includes('/dist/src/')) {
    const js = cf.url.startsWith('file://') ? fileURLToPath(cf.url) : cf.url;
    const rel = cf.url.slice(cf.url.indexOf('/dist/src/') + 6).replace(/\.js$/, '.ts');
    const map = existsSync(`${js}.map`) ? loadMap(js) : null;
    const segs = map?.lines[cf.lineNumber];
    if (segs?.length) {
      let best = segs[0];
      for (const s of segs) if (s[0] <= cf.columnNumber) best = s;
      return `${rel}:${best[2] + 1}`;
    }
    return `${rel} (js line ${line})`;
  }
  if (cf.url.includes('/node_modules/')) return `${cf.url.split('/node_modules/').pop()}:${line}`;
  return `${cf.url.replace(/^file:\/\//, '')}:${line}`;
}

/** Which part of the system a script belongs to, from its URL. */
export function areaOf(url) {
  const m = /\/dist\/src\/(.+)\.js$/.exec(url);
  if (m) return `alonzo src/${m[1]}.ts`;
  if (url.includes('/node_modules/')) {
    const rest = url.split('/node_modules/').pop().split('/');
    return `dependency ${rest[0].startsWith('@') ? rest.slice(0, 2).join('/') : rest[0]}`;
  }
  if (url.startsWith('node:')) {
    const n = url.slice(5);
    if (/_http|internal\/http/.test(n)) return 'node http';
    if (/^net$|stream|internal\/net/.test(n)) return 'node net/streams';
    if (/fs/.test(n)) return 'node fs';
    if (/child_process/.test(n)) return 'node child_process';
    if (/task_queues|promises|timers|async_hooks|^events$/.test(n)) return 'node event loop, promises, timers';
    return `node ${n.replace(/^internal\//, '')}`;
  }
  return url.replace(/^file:\/\//, '');
}

const VM = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/**
 * Self time per function and per area. A native frame (a syscall binding such as `writeBuffer`, JSON, SQLite's C
 * code) is charged to the area of the JavaScript that called it, so "who caused the time" stays visible.
 */
export function summarise(file, { top = 25, fromUs, toUs } = {}) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample times are CLOCK_MONOTONIC µs, the clock of process.hrtime: a window measured by another process applies.
  const inWindow = fromUs !== undefined && toUs !== undefined && prof.startTime < toUs && prof.endTime > fromUs;
  const selfUs = new Map();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    if (inWindow && (t < fromUs || t > toUs)) continue;
    const dt = prof.timeDeltas[i + 1] ?? 0;
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + dt);
  }
  const fns = new Map();
  const areas = new Map();
  const owners = new Map();
  /** The nearest Alonzo frame on the stack (the node itself included): who asked for this work. */
  const owner = (id) => {
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const cf = byId.get(p).callFrame;
      if (cf.url.includes('/dist/src/')) return `\`${cf.functionName || '(anonymous)'}\` ${where(cf)}`;
    }
    return undefined;
  };
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id).callFrame;
    const name = cf.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    let fn;
    let at;
    let area;
    if (VM.has(name)) {
      fn = name;
      at = '';
      area = name === '(garbage collector)' ? 'garbage collection' : 'V8 and native, unattributed (program)';
    } else if (!cf.url) {
      // Native: find the JavaScript that called it.
      let p = parent.get(id);
      while (p !== undefined && !byId.get(p).callFrame.url) p = parent.get(p);
      const caller = p === undefined ? undefined : byId.get(p).callFrame;
      fn = `${name} (native)`;
      at = caller ? `called from \`${caller.functionName || '(anonymous)'}\` ${where(caller)}` : '';
      area = caller ? areaOf(caller.url) : 'native, no caller';
    } else {
      fn = name;
      at = where(cf);
      area = areaOf(cf.url);
    }
    const own = VM.has(name) ? undefined : owner(id);
    const key = `${fn}\u0000${at}\u0000${own && !own.endsWith(at) ? own : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const ownerKey = own ?? `(no Alonzo frame on the stack) ${area}`;
    owners.set(ownerKey, (owners.get(ownerKey) ?? 0) + us);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  const functions = sorted(fns)
    .slice(0, top)
    .map((f) => {
      const [fn, at, via] = f.name.split('\u0000');
      return { ...f, fn, at, via };
    });
  return { busyMs: total / 1000, idleMs: idle / 1000, functions, areas: sorted(areas), owners: sorted(owners).slice(0, top), windowed: inWindow };
}
