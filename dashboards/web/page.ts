// The web view's page: one self-contained HTML document (inline CSS and script, nothing fetched from elsewhere),
// the same for the live view and for the file left in the run folder. Live, it opens /events (server-sent events)
// and draws every second as it comes; the file has the whole run embedded as JSON and draws it at once.
// The charts are canvas line charts drawn by the script below: no chart library, no build step.
import type { WebFeed } from './feed.ts'

const CSS = `
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 0; background: #f6f7f9; color: #222; }
header { background: #1f2937; color: #f9fafb; padding: 10px 18px; display: flex; flex-wrap: wrap; gap: 18px; align-items: baseline; }
header h1 { font-size: 18px; margin: 0; } header .meta { color: #cbd5e1; font-size: 13px; }
#state { font-weight: bold; } .bar { width: 180px; height: 8px; background: #475569; display: inline-block; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #38bdf8; width: 0; }
#thresholds { font-size: 13px; } .pass { color: #4ade80; } .fail { color: #f87171; } .pending { color: #cbd5e1; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px; padding: 12px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 4px; padding: 8px 10px; }
section h2 { font-size: 14px; margin: 0 0 4px; color: #374151; } canvas { width: 100%; height: 180px; display: block; }
.legend { font-size: 12px; color: #555; } .legend span { margin-right: 10px; white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin-right: 4px; }
.wide { grid-column: 1 / -1; } #events { font: 12px monospace; height: 200px; overflow-y: auto; white-space: pre-wrap; margin: 0; }
table { border-collapse: collapse; font-size: 13px; } td { padding: 2px 10px 2px 0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
label { font-size: 12px; color: #555; } #fleet { max-height: 220px; overflow-y: auto; } .behind { color: #b45309; }
`

/** The panels: id, title, and the series each draws from a second's values (the feed's field names). */
const PANELS = [
  { id: 'rate', title: 'Send rate, /s', series: [['target', 'rate_target'], ['sent', 'sent'], ['delivered', 'delivered']] },
  { id: 'latency', title: 'End-to-end latency, ms', log: true, series: [['p50', 'e2e_p50_ms'], ['p95', 'e2e_p95_ms'], ['p99', 'e2e_p99_ms']] },
  { id: 'lag', title: 'Consumer lag, records', series: [['lag', 'consumer_lag'], ['mirror lag', 'mirror_lag']] },
  { id: 'lagS', title: 'Consumer lag, seconds', series: [['lag s', 'consumer_lag_s']] },
  { id: 'replicas', title: 'Sink replicas: desired and running', series: [['desired', 'consumer_desired'], ['running', 'consumer_replicas']] },
  { id: 'devices', title: 'Devices: target and active', series: [['target', 'devices_target'], ['active', 'devices_active']] },
  { id: 'cpu', title: 'CPU %, per service', services: 'cpuPct' },
  { id: 'mem', title: 'Memory MB, per service', services: 'memMb' },
] as const

// The page's own script: kept in plain JavaScript (it runs in the browser as it is written here).
const SCRIPT = String.raw`
const PANELS = __PANELS__;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const run = { start: null, seconds: [], events: [], end: null };
let logScale = true;
const $ = id => document.getElementById(id);

function fmt (v) {
  if (v === null || v === undefined || !isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : a >= 1e4 ? (v / 1e3).toFixed(1) + 'k' : a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toFixed(2);
}

function seriesOf (panel) {
  if (panel.series) return panel.series.map(([name, field]) => ({ name, values: run.seconds.map(s => s[field]) }));
  const names = run.start ? run.start.services : [];
  return names.map(n => ({ name: n, values: run.seconds.map(s => (s.services[n] || {})[panel.services] ?? null) }));
}

function draw (panel) {
  const canvas = $('c-' + panel.id);
  const w = canvas.clientWidth, h = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
  if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const series = seriesOf(panel);
  const log = panel.log && logScale;
  const ts = run.seconds.map(s => s.t);
  const all = series.flatMap(s => s.values).filter(v => v !== null && isFinite(v) && (!log || v > 0));
  const left = 46, bottom = 18, top = 6, right = 8;
  g.font = '11px sans-serif'; g.fillStyle = '#666'; g.strokeStyle = '#eee';
  if (ts.length === 0 || all.length === 0) { g.fillText('no data yet', left, h / 2); legend(panel, series); return; }
  let lo = log ? Math.min(...all) : Math.min(0, ...all), hi = Math.max(...all);
  if (hi === lo) hi = lo + (log ? lo : 1);
  const y = v => log ? h - bottom - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (h - bottom - top)
    : h - bottom - (v - lo) / (hi - lo) * (h - bottom - top);
  const t0 = ts[0], t1 = Math.max(ts[ts.length - 1], t0 + 1);
  const x = t => left + (t - t0) / (t1 - t0) * (w - left - right);
  for (let i = 0; i <= 4; i++) {
    const v = log ? Math.pow(10, Math.log10(lo) + i / 4 * (Math.log10(hi) - Math.log10(lo))) : lo + i / 4 * (hi - lo);
    const yy = y(v);
    g.beginPath(); g.moveTo(left, yy); g.lineTo(w - right, yy); g.stroke();
    g.fillText(fmt(v), 2, yy + 4);
  }
  g.fillText(t0 + ' s', left, h - 4); g.fillText(t1 + ' s', w - right - 40, h - 4);
  series.forEach((s, i) => {
    g.strokeStyle = COLORS[i % COLORS.length]; g.lineWidth = 1.5; g.beginPath();
    let pen = false;
    s.values.forEach((v, j) => {
      if (v === null || !isFinite(v) || (log && v <= 0)) { pen = false; return; }
      if (pen) g.lineTo(x(ts[j]), y(v)); else g.moveTo(x(ts[j]), y(v));
      pen = true;
    });
    g.stroke();
  });
  g.strokeStyle = '#eee'; g.lineWidth = 1;
  legend(panel, series);
}

function legend (panel, series) {
  $('l-' + panel.id).innerHTML = series.map((s, i) => {
    const last = [...s.values].reverse().find(v => v !== null && v !== undefined);
    return '<span><i style="background:' + COLORS[i % COLORS.length] + '"></i>' + esc(s.name) + ' ' + fmt(last) + '</span>';
  }).join('');
}

function esc (s) { return String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }

function header () {
  const s = run.seconds[run.seconds.length - 1];
  const st = run.start;
  if (st) $('title').textContent = st.experiment + ' (' + st.kind + ')';
  if (st) $('runid').textContent = 'run ' + st.runId;
  const state = run.end ? (run.end.complete ? 'complete' : 'incomplete') : s ? s.phase : 'starting';
  $('state').textContent = state;
  const elapsed = s ? s.t : 0;
  $('elapsed').textContent = elapsed + ' s' + (st && st.plannedS ? ', workload ' + (s ? s.workloadS : 0) + ' of ' + st.plannedS + ' s' : '');
  $('progress').style.width = st && st.plannedS ? Math.min(100, 100 * (s ? s.workloadS : 0) / st.plannedS) + '%' : '0';
  const th = run.end ? run.end.thresholds : s ? s.thresholds : [];
  $('thresholds').innerHTML = th.map(t => {
    const cls = t.value === null ? 'pending' : t.passed ? 'pass' : 'fail';
    const mark = t.value === null ? '…' : t.passed ? '✓' : '✗';
    return '<span class="' + cls + '">' + mark + ' ' + esc(t.source) + ' (' + (t.value === null ? 'at the end' : fmt(t.value)) + ')</span>';
  }).join(' &nbsp; ');
  const tot = s ? s.totals : {};
  const rows = [['sent', tot.sent], ['delivered', tot.delivered], ['errors', tot.errors], ['UDP drops', tot.udpDrops],
    ['registration failures', tot.registerFailed], ['retransmissions', tot.retransmits]];
  if (run.end) rows.push(['lost', run.end.lost], ['loss', run.end.lossRatio], ['duplicates', run.end.duplicates]);
  else rows.push(['duplicates so far', tot.duplicates], ['lost', 'at the end (reconciliation)']);
  $('totals').innerHTML = rows.map(([k, v]) => '<tr><td>' + k + '</td><td class="num">' + (v === undefined || v === null ? '-' : esc(k === 'loss' ? (v * 100).toFixed(3) + ' %' : typeof v === 'number' ? v.toLocaleString('en') : v)) + '</td></tr>').join('');
}

// Every gateway, the ones with the fewest active devices first: those falling behind are the ones to see.
function fleet () {
  const n = v => (v === null || v === undefined ? '-' : Number(v).toLocaleString('en'));
  const s = run.seconds[run.seconds.length - 1];
  const gws = s && s.gateways ? [...s.gateways] : [];
  gws.sort((a, b) => (a.active ?? 0) - (b.active ?? 0) || a.gateway.localeCompare(b.gateway));
  const head = s ? 'devices target ' + n(s.devices_target) + ', active ' + n(s.devices_active) + ', registered ' + n(s.registered) : 'no data yet';
  const table = gws.length === 0 ? '' : '<table><tr><td>gateway</td><td class="num">active</td><td class="num">registered</td></tr>' +
    gws.map(g => '<tr' + ((g.active ?? 0) < (g.registered ?? 0) ? ' class="behind"' : '') + '><td>' + esc(g.gateway) + '</td><td class="num">' + n(g.active) +
      '</td><td class="num">' + n(g.registered) + '</td></tr>').join('') + '</table>';
  $('fleet').innerHTML = '<div class="legend">' + esc(head) + (gws.length > 0 ? ', ' + gws.length + ' gateways' : '') + '</div>' + table;
}

function events () {
  $('events').textContent = run.events.slice(-300).map(e => e.t.toFixed(1).padStart(7) + ' s  ' + e.kind.padEnd(16) + ' ' + e.source.padEnd(14) + ' ' + e.detail).join('\n');
  $('events').scrollTop = $('events').scrollHeight;
}

let pending = false;
function redraw () {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; header(); PANELS.forEach(draw); fleet(); events(); });
}

function take (kind, data) {
  if (kind === 'start') run.start = data;
  else if (kind === 'second') run.seconds.push(data);
  else if (kind === 'event') run.events.push(data);
  else if (kind === 'end') run.end = data;
  document.body.dataset.seconds = String(run.seconds.length);
  redraw();
}

window.addEventListener('resize', redraw);
$('logscale').addEventListener('change', e => { logScale = e.target.checked; redraw(); });
const embedded = $('run-data');
if (embedded) {
  const d = JSON.parse(embedded.textContent);
  run.start = d.start; run.seconds = d.seconds; run.events = d.events; run.end = d.end;
  document.body.dataset.seconds = String(run.seconds.length);
  redraw();
} else {
  const source = new EventSource('events');
  for (const kind of ['start', 'second', 'event', 'end']) source.addEventListener(kind, m => take(kind, JSON.parse(m.data)));
  source.addEventListener('end', () => source.close());
}
`

/** The page; with `feed`, the run embedded (the file for the run folder), else live from /events. */
export function webPage (feed?: WebFeed): string {
  const panels = PANELS.map(p => `<section><h2>${p.title}</h2><canvas id="c-${p.id}"></canvas><div class="legend" id="l-${p.id}"></div></section>`).join('\n')
  // '<' escaped inside the embedded JSON so no value can close the script element
  const data = feed === undefined ? '' : `<script type="application/json" id="run-data">${JSON.stringify(feed).replace(/</g, '\\u003c')}</script>`
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetlab run</title>
<style>${CSS}</style>
</head>
<body data-seconds="0">
<header><h1 id="title">fleetlab</h1><span class="meta" id="runid"></span><span id="state">starting</span>
<span class="meta"><span id="elapsed"></span> <span class="bar"><span id="progress"></span></span></span>
<span id="thresholds"></span>
<label style="color:#cbd5e1"><input type="checkbox" id="logscale" checked> latency on a log scale</label></header>
<main>
${panels}
<section><h2>Run so far</h2><table id="totals"></table></section>
<section><h2>Fleet: devices per gateway</h2><div id="fleet"></div></section>
<section class="wide"><h2>Events: phases, scaling decisions with their reasons, errors</h2><pre id="events"></pre></section>
</main>
${data}
<script>${SCRIPT.replace('__PANELS__', JSON.stringify(PANELS))}</script>
</body>
</html>
`
}
