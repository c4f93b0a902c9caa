// The dashboard's single page: Preact + htm (vendor/preact-htm.js) for the views, uPlot (vendor/uplot.js, the global
// `uPlot`) for the charts, hash routes, and one EventSource for live updates. No build step: this file is what runs.
import { html, render, useState, useEffect, useRef } from './vendor/preact-htm.js';

const API = '/_alonzo/dashboard/api/';
let csrf = '';

/** One call to the dashboard's API: same origin, the session cookie, the CSRF token on every POST. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (method !== 'GET') headers['x-alonzo-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = new Error(data.message || res.statusText);
    e.status = res.status;
    e.code = data.error;
    throw e;
  }
  return data;
}

const enc = encodeURIComponent;
const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString() : '—');
const fmtAge = (s) => (s === null || s === undefined ? '—' : s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/functions');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/functions');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** Fetches `path` now and again whenever `version` moves (a live update said something changed). */
function useData(path, version) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let live = true;
    api(path).then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState((s) => ({ data: s.data, error })),
    );
    return () => (live = false);
  }, [path, version]);
  return state;
}

/** Server-sent events: `changed` bumps the version (pages fetch again), `log` lines go to the live tail. */
function useLive(fn, onLog) {
  const [version, setVersion] = useState(0);
  const logRef = useRef(onLog);
  logRef.current = onLog;
  useEffect(() => {
    const es = new EventSource(API + 'stream' + (fn ? `?fn=${enc(fn)}` : ''));
    es.addEventListener('changed', () => setVersion((v) => v + 1));
    es.addEventListener('log', (e) => logRef.current && logRef.current(JSON.parse(e.data)));
    return () => es.close();
  }, [fn]);
  return version;
}

function Login({ onIn }) {
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = f.get('token') ? { token: f.get('token') } : { accessKeyId: f.get('accessKeyId'), secretAccessKey: f.get('secretAccessKey') };
    try {
      onIn(await api('login', { method: 'POST', body }));
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<div class="login">
    <h1>Alonzo</h1>
    <p class="muted">Log in with the token <code>alonzo serve</code> printed, or with an access key.</p>
    <form onSubmit=${submit} id="login-form">
      <label>Start-up token<input name="token" id="login-token" autocomplete="off" /></label>
      <p class="muted">or</p>
      <label>Access key id<input name="accessKeyId" id="login-key" autocomplete="off" /></label>
      <label>Secret access key<input name="secretAccessKey" id="login-secret" type="password" /></label>
      <button type="submit">Log in</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>
  </div>`;
}

function Table({ cols, rows, empty = 'Nothing yet.', id }) {
  if (!rows.length) return html`<p class="muted">${empty}</p>`;
  return html`<table id=${id}>
    <thead><tr>${cols.map((c) => html`<th class=${c.num ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${cols.map((c) => html`<td class=${c.num ? 'num' : ''}>${c.render ? c.render(r) : r[c.key]}</td>`)}</tr>`)}</tbody>
  </table>`;
}

function CreateFunction({ onCreated }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setBusy(true);
    setError('');
    try {
      await api('functions', { method: 'POST', body: { FunctionName: f.get('name'), Runtime: f.get('runtime'), Handler: f.get('handler'), Code: f.get('code'), MemorySize: Number(f.get('memory')), Timeout: Number(f.get('timeout')) } });
      onCreated(String(f.get('name')));
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card"><h2>Create a function</h2>
    <form onSubmit=${submit} id="create-form">
      <div class="form inline">
        <label>Name<input name="name" id="create-name" required /></label>
        <label>Runtime<select name="runtime" id="create-runtime">${['nodejs20.x', 'nodejs22.x', 'python3.12'].map((r) => html`<option value=${r}>${r}</option>`)}</select></label>
        <label>Handler<input name="handler" id="create-handler" value="index.handler" /></label>
        <label>Memory (MB)<input name="memory" type="number" value="128" /></label>
        <label>Timeout (s)<input name="timeout" type="number" value="3" /></label>
      </div>
      <label>Code (index.js, or lambda_function.py for Python)<textarea name="code" id="create-code">exports.handler = async (event) => {\n  console.log('event', JSON.stringify(event));\n  return { ok: true, event };\n};</textarea></label>
      <button type="submit" id="create-submit" disabled=${busy}>Create</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form></section>`;
}

function Functions({ version }) {
  const [made, setMade] = useState(0);
  const { data, error } = useData('functions', version + made * 100000);
  const rows = data?.Functions || [];
  return html`<h1>Functions</h1>
    ${error && html`<p class="error">${error.message}</p>`}
    <${Table} id="functions-table" rows=${rows} empty="No functions yet: create one below, or with aws lambda create-function."
      cols=${[
        { label: 'Name', render: (f) => html`<a href=${`#/functions/${enc(f.FunctionName)}`}>${f.FunctionName}</a>` },
        { label: 'State', render: (f) => f.State || 'Active' },
        { label: 'Runtime', key: 'Runtime' },
        { label: 'Memory', num: true, render: (f) => `${f.MemorySize} MB` },
        { label: 'Last invocation', render: (f) => fmtTime(f.LastInvokedAt) },
        { label: 'Invocations', num: true, key: 'Invocations' },
        { label: 'Error rate', num: true, render: (f) => (f.Invocations ? `${((100 * f.Errors) / f.Invocations).toFixed(1)} %` : '—') },
      ]} />
    <${CreateFunction} onCreated=${(name) => { setMade((m) => m + 1); location.hash = `#/functions/${enc(name)}`; }} />`;
}

function Chart({ title, data, series, unit }) {
  const ref = useRef(null);
  useEffect(() => {
    if (!ref.current || !data || typeof uPlot === 'undefined') return;
    const width = Math.max(320, ref.current.clientWidth || 360);
    const plot = new uPlot(
      {
        title,
        width,
        height: 180,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: true, points: { size: 4 }, value: (u, v) => (v === null || v === undefined ? '—' : `${v}${unit || ''}`) }))],
        axes: [{}, { size: 50 }],
        legend: { live: false },
      },
      [data.t, ...series.map((s) => data[s.key])],
      ref.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(data)]);
  return html`<div class="chart card" ref=${ref}></div>`;
}

function InvokeForm({ fn, onDone }) {
  const [payload, setPayload] = useState('{"hello":"alonzo"}');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      setResult(await api(`functions/${enc(fn)}/invoke`, { method: 'POST', body: { Payload: payload } }));
      onDone();
    } catch (err) {
      setResult({ error: err.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card"><h2>Invoke</h2>
    <form onSubmit=${submit} id="invoke-form">
      <label>Payload (JSON)<textarea id="invoke-payload" value=${payload} onInput=${(e) => setPayload(e.target.value)}></textarea></label>
      <button type="submit" id="invoke-submit" disabled=${busy}>Invoke</button>
    </form>
    ${result && (result.error
      ? html`<p class="error" id="invoke-error">${result.error}</p>`
      : html`<div id="invoke-result">
          <p>Status ${result.StatusCode}${result.FunctionError ? html` · <span class="status-bad">${result.FunctionError}</span>` : html` · <span class="status-ok">OK</span>`} · version ${result.ExecutedVersion}</p>
          <pre id="invoke-response">${result.Payload}</pre>
          <pre id="invoke-log">${result.Log}</pre></div>`)}
  </section>`;
}

function FunctionPage({ fn }) {
  const [tail, setTail] = useState('');
  const version = useLive(fn, (text) => setTail((t) => (t + text).slice(-20000)));
  const [bump, setBump] = useState(0);
  const { data, error } = useData(`functions/${enc(fn)}`, version + bump * 1000);
  const [open, setOpen] = useState(null);
  if (error && !data) return html`<h1>${fn}</h1><p class="error">${error.message}</p>`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const c = data.Configuration;
  return html`<h1>${fn}</h1>
    <section class="card"><h2>Configuration</h2><dl class="config" id="config">
      <dt>State</dt><dd>${c.State}${c.LastUpdateStatus ? ` (${c.LastUpdateStatus})` : ''}</dd>
      <dt>Runtime</dt><dd>${c.Runtime}</dd><dt>Handler</dt><dd class="mono">${c.Handler}</dd>
      <dt>Memory</dt><dd>${c.MemorySize} MB</dd><dt>Timeout</dt><dd>${c.Timeout} s</dd>
      <dt>Code</dt><dd class="mono">${c.CodeSize} bytes · ${c.CodeSha256}</dd>
      <dt>Log group</dt><dd class="mono">${c.LoggingConfig && c.LoggingConfig.LogGroup}</dd>
      <dt>Last modified</dt><dd>${c.LastModified}</dd>
      <dt>Layers</dt><dd id="layers">${(c.Layers || []).length ? c.Layers.map((l) => html`<div class="mono">${l.Arn}</div>`) : html`<span class="muted">none</span>`}</dd>
      <dt>Function URL</dt><dd id="url">${data.Url ? html`<a href=${data.Url.FunctionUrl}>${data.Url.FunctionUrl}</a> <span class="pill">${data.Url.AuthType}</span>` : html`<span class="muted">none</span>`}</dd>
    </dl></section>
    <h2>The last hour</h2>
    <div class="charts">
      <${Chart} title="Invocations, errors, throttles per minute" data=${data.Hour} series=${[{ key: 'invocations', label: 'invocations', color: '#2f6fdf' }, { key: 'errors', label: 'errors', color: '#c4320a' }, { key: 'throttles', label: 'throttles', color: '#b58a00' }]} />
      <${Chart} title="Duration p50 / p99 (s)" unit=" s" data=${data.Hour} series=${[{ key: 'p50', label: 'p50', color: '#12805c' }, { key: 'p99', label: 'p99', color: '#7a3ea8' }]} />
      <${Chart} title="Average concurrency" data=${data.Hour} series=${[{ key: 'concurrency', label: 'concurrency', color: '#2f6fdf' }]} />
    </div>
    <${InvokeForm} fn=${fn} onDone=${() => setBump((b) => b + 1)} />
    <h2>Recent invocations</h2>
    <${Table} id="invocations-table" rows=${data.Invocations} empty="No invocations yet."
      cols=${[
        { label: 'Request id', render: (i) => html`<span class="mono">${i.requestId}</span>` },
        { label: 'Started', render: (i) => fmtTime(i.startedAt) },
        { label: 'Duration', num: true, render: (i) => `${i.durationMs.toFixed(1)} ms` },
        { label: 'Cold start', render: (i) => (i.initDurationMs === null ? 'no' : `yes (${i.initDurationMs.toFixed(0)} ms)`) },
        { label: 'Status', render: (i) => html`<span class=${i.status === 'ok' ? 'status-ok' : 'status-bad'}>${i.status}</span>` },
        { label: 'Log', render: (i) => html`<button class="secondary" onClick=${() => setOpen(open === i.requestId ? null : i.requestId)}>${open === i.requestId ? 'hide' : 'log'}</button>` },
      ]} />
    ${open && html`<pre id="invocation-log">${(data.Invocations.find((i) => i.requestId === open) || {}).log}</pre>`}
    <h2>Versions and aliases</h2>
    <${Table} id="versions-table" rows=${data.Versions} cols=${[{ label: 'Version', key: 'Version' }, { label: 'Description', key: 'Description' }, { label: 'Last modified', key: 'LastModified' }]} />
    <${Table} id="aliases-table" rows=${data.Aliases} empty="No aliases."
      cols=${[{ label: 'Alias', key: 'Name' }, { label: 'Version', key: 'FunctionVersion' }, { label: 'Routing', render: (a) => (a.RoutingConfig && a.RoutingConfig.AdditionalVersionWeights ? Object.entries(a.RoutingConfig.AdditionalVersionWeights).map(([v, w]) => `${v}: ${(w * 100).toFixed(0)} %`).join(', ') : '—') }]} />
    <h2>Live log</h2>
    <pre id="live-tail">${tail || 'Waiting for invocations…'}</pre>`;
}

function FailedEvents({ fn, version, onRedriven }) {
  const { data, error } = useData(`async/${enc(fn)}/failed`, version);
  const [msg, setMsg] = useState('');
  const [shown, setShown] = useState(null);
  const redrive = async () => {
    const r = await api(`async/${enc(fn)}/redrive`, { method: 'POST', body: {} });
    setMsg(`${r.Redriven} event(s) queued again.`);
    onRedriven();
  };
  if (error) return html`<p class="error">${error.message}</p>`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  return html`<section class="card" id="failed-events"><h2>Failed events of ${fn}</h2>
    <${Table} rows=${data.FailedEvents} empty="No failed events."
      cols=${[
        { label: 'Request id', render: (e) => html`<span class="mono">${e.RequestId}</span>` },
        { label: 'Condition', key: 'Condition' },
        { label: 'Reason', key: 'Reason' },
        { label: 'Attempts', num: true, key: 'ApproximateInvokeCount' },
        { label: 'Failed at', key: 'FailedAt' },
        { label: 'Record', render: (e) => html`<button class="secondary record" onClick=${() => setShown(shown === e.RequestId ? null : e.RequestId)}>${shown === e.RequestId ? 'hide' : 'record'}</button>` },
      ]} />
    ${shown && html`<pre id="failed-record">${(() => {
      const e = data.FailedEvents.find((x) => x.RequestId === shown);
      return e ? JSON.stringify({ Payload: e.Payload, Record: e.Record, Deliveries: e.Deliveries }, null, 2) : '';
    })()}</pre>`}
    ${data.FailedEvents.length > 0 && html`<p><button id="redrive" onClick=${redrive}>Redrive all</button></p>`}
    ${msg && html`<p id="redrive-result">${msg}</p>`}
  </section>`;
}

function Async({ version }) {
  const [bump, setBump] = useState(0);
  const { data, error } = useData('async', version + bump * 1000);
  const [open, setOpen] = useState(null);
  return html`<h1>Asynchronous invocations</h1>
    ${error && html`<p class="error">${error.message}</p>`}
    <${Table} id="async-table" rows=${data?.Functions || []} empty="The queue is empty."
      cols=${[
        { label: 'Function', render: (f) => html`<a href=${`#/functions/${enc(f.FunctionName)}`}>${f.FunctionName}</a>` },
        { label: 'Queued', num: true, key: 'Queued' },
        { label: 'Running', num: true, key: 'Running' },
        { label: 'Failed', num: true, key: 'Failed' },
        { label: 'Oldest queued', render: (f) => fmtAge(f.OldestQueuedAgeSeconds) },
        { label: '', render: (f) => html`<button class="secondary" data-fn=${f.FunctionName} onClick=${() => setOpen(f.FunctionName)}>failed events</button>` },
      ]} />
    ${open && html`<${FailedEvents} key=${open} fn=${open} version=${version + bump * 1000} onRedriven=${() => setBump((b) => b + 1)} />`}`;
}

function Environments({ version }) {
  const { data, error } = useData('environments', version);
  return html`<h1>Environments</h1>
    ${error && html`<p class="error">${error.message}</p>`}
    <${Table} id="environments-table" rows=${data?.Environments || []} empty="No environments run now."
      cols=${[
        { label: 'Function', render: (e) => html`<a href=${`#/functions/${enc(e.FunctionName)}`}>${e.FunctionName}</a>` },
        { label: 'Version', key: 'Version' },
        { label: 'State', key: 'State' },
        { label: 'PID', num: true, render: (e) => e.Pid ?? '—' },
        { label: 'Memory', num: true, render: (e) => `${e.MemoryMb} MB` },
        { label: 'Age', num: true, render: (e) => fmtAge(e.AgeSeconds) },
        { label: 'Provisioned', render: (e) => (e.Provisioned ? 'yes' : 'no') },
      ]} />`;
}

function Nodes({ version }) {
  const { data, error } = useData('nodes', version);
  return html`<h1>Nodes</h1>
    ${error && html`<p class="error">${error.message}</p>`}
    <${Table} id="nodes-table" rows=${data?.Nodes || []}
      cols=${[
        { label: 'Name', key: 'name' },
        { label: 'URL', key: 'url' },
        { label: 'Alive', render: (n) => (n.alive ? html`<span class="status-ok">yes</span>` : html`<span class="status-bad">no</span>`) },
        { label: 'Environments', num: true, key: 'environments' },
        { label: 'Running', num: true, key: 'running' },
        { label: 'Started', render: (n) => fmtTime(n.startedAt) },
        { label: 'Heartbeat', render: (n) => fmtTime(n.heartbeatAt) },
      ]} />`;
}

function Shell({ session, onOut }) {
  const hash = useHash();
  const fnMatch = /^#\/functions\/(.+)$/.exec(hash);
  const page = fnMatch ? 'function' : hash.slice(2) || 'functions';
  const version = useLive(null);
  const logout = async () => {
    await api('logout', { method: 'POST' }).catch(() => {});
    onOut();
  };
  const link = (to, label) => html`<a href=${`#/${to}`} class=${page === to || (to === 'functions' && page === 'function') ? 'active' : ''}>${label}</a>`;
  return html`<header><span class="brand">Alonzo</span>
      <nav>${link('functions', 'Functions')}${link('async', 'Async')}${link('environments', 'Environments')}${link('nodes', 'Nodes')}</nav>
      <span class="who">${session.who} · account ${session.accountId} · <a href="#" onClick=${(e) => { e.preventDefault(); logout(); }}>log out</a></span></header>
    <main>${page === 'function' ? html`<${FunctionPage} key=${fnMatch[1]} fn=${decodeURIComponent(fnMatch[1])} />`
      : page === 'async' ? html`<${Async} version=${version} />`
      : page === 'environments' ? html`<${Environments} version=${version} />`
      : page === 'nodes' ? html`<${Nodes} version=${version} />`
      : html`<${Functions} version=${version} />`}</main>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  useEffect(() => {
    (async () => {
      // `alonzo serve` prints a link with the token in the fragment (never sent to a server): log in with it, then forget it.
      const m = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash);
      if (m) {
        history.replaceState(null, '', `${location.pathname}#/functions`);
        try {
          const s = await api('login', { method: 'POST', body: { token: m[1] } });
          csrf = s.csrf;
          return setSession(s);
        } catch {
          // fall through to the form
        }
      }
      try {
        const s = await api('session');
        csrf = s.csrf;
        setSession(s);
      } catch {
        setSession(null);
      }
    })();
  }, []);
  if (session === undefined) return html`<p class="loading">Loading…</p>`;
  if (session === null) return html`<${Login} onIn=${(s) => { csrf = s.csrf; setSession(s); }} />`;
  return html`<${Shell} session=${session} onOut=${() => { csrf = ''; setSession(null); }} />`;
}

render(html`<${App} />`, document.getElementById('app'));
