import fs from 'node:fs';
import path from 'node:path';
import { quantile, row, summarize } from '../../bench/lib/stats';
import type { SimOptions } from './args';
import type { InvariantResult } from './invariants';
import type { BotFailure, Counters, Recorder } from './recorder';

/** How a run ended: all invariants held, some broke, the hard timeout fired, or it could not run at all. */
export type ExitReason = 'ok' | 'invariants-broken' | 'hard-timeout' | 'interrupted' | 'fatal';

/** Latency series in the report (ms). */
export interface LatencySeries {
  label: string;
  n: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  samples: number[];
}

/** report.json. */
export interface SimReport {
  at: string;
  ok: boolean;
  exitReason: ExitReason;
  elapsedS: number;
  options: Omit<SimOptions, 'databaseUrl' | 'help'> & { databaseUrl: string | undefined };
  server: { url: string; startedBySimulator: boolean; database: string; env?: Record<string, string> };
  counters: Counters & { battlesFinished: number; practiceBattles: number; httpRequests: number; http5xx: number; unexplainedErrors: number };
  latency: Record<string, LatencySeries>;
  /** [seconds since start, battles finished so far] */
  battlesOverTime: Array<[number, number]>;
  invariants: Array<InvariantResult & { totalBreaks: number }>;
  failures: { total: number; byStage: Record<string, number>; first: BotFailure[] };
  notes: string[];
}

const MAX_LISTED = 200;

/** Hides a password in a connection string before it reaches a report. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable URL]';
  }
}

function series(label: string, samples: number[]): LatencySeries {
  const s = summarize(samples);
  return { label, n: s.n, median: s.median, p90: quantile(samples, 0.9), p99: s.p99, max: s.max, samples: samples.map((v) => Math.round(v * 100) / 100) };
}

/** Builds report.json's content from a run's recorder and verdicts. */
export function buildReport(input: {
  opts: SimOptions; rec: Recorder; invariants: InvariantResult[]; exitReason: ExitReason; elapsedS: number;
  server: SimReport['server']; notes: string[];
}): SimReport {
  const { rec, opts } = input;
  const byStage: Record<string, number> = {};
  for (const f of rec.failures) byStage[f.stage] = (byStage[f.stage] ?? 0) + 1;
  const times = [...rec.finishedAt.values()].sort((a, b) => a - b);
  const { help: _help, ...options } = opts;
  return {
    at: new Date().toISOString(),
    ok: input.exitReason === 'ok',
    exitReason: input.exitReason,
    elapsedS: Math.round(input.elapsedS * 10) / 10,
    options: { ...options, databaseUrl: redactUrl(opts.databaseUrl) },
    server: input.server,
    counters: {
      ...rec.counters,
      battlesFinished: rec.battlesFinished(),
      practiceBattles: rec.practiceBattles.size,
      httpRequests: rec.http.length,
      http5xx: rec.http.filter((h) => h.status >= 500).length,
      unexplainedErrors: rec.unexplained.filter((e) => !e.excused).length,
    },
    latency: {
      answerAck: series('answer → answer_ack', rec.latency.answerAck),
      register: series('POST /auth/register', rec.latency.register),
      login: series('POST /auth/login', rec.latency.login),
      joinPersonal: series('join personal', rec.latency.joinPersonal),
      joinMatchmaking: series('join matchmaking', rec.latency.joinMatchmaking),
      joinBattle: series('join battle (seat reservation)', rec.latency.joinBattle),
      reconnect: series('reconnect after a drop', rec.latency.reconnect),
    },
    battlesOverTime: times.map((t, i) => [Math.round(t / 100) / 10, i + 1]),
    invariants: input.invariants.map((inv) => ({ ...inv, breaks: inv.breaks.slice(0, MAX_LISTED), totalBreaks: inv.breaks.length })),
    failures: { total: rec.failures.length, byStage, first: rec.failures.slice(0, MAX_LISTED) },
    notes: input.notes,
  };
}

/** The summary printed at the end of a run. */
export function summaryText(r: SimReport, outDir: string): string {
  const c = r.counters;
  const lines: string[] = [];
  const o = r.options;
  lines.push(`Quest Arena simulation: ${o.bots} bots, ${o.durationS} s of journeys, seed ${o.seed}, ${r.elapsedS} s in all`);
  lines.push(`server ${r.server.url} (${r.server.startedBySimulator ? 'started by the simulator' : 'given with --url'}, ${r.server.database})`);
  lines.push('');
  lines.push(`journeys      started ${c.journeysStarted}, played to a result ${c.journeysPlayed}, unmatched ${c.journeysUnmatched}, failed ${c.journeysFailed}`);
  lines.push(`accounts      registered ${c.registrations}, logins ${c.logins}${c.loginsRateLimited ? `, rate-limited ${c.loginsRateLimited}` : ''}`);
  lines.push(`battles       finished ${c.battlesFinished} (practice ${c.practiceBattles}), player results ${c.participations}, matches called off ${c.matchesCancelled}`);
  lines.push(`practice      offers ${c.practiceOffers}, accepted ${c.practiceAccepted}`);
  lines.push(`answers       questions ${c.questions}, answered ${c.answersSent}, acknowledged ${c.answersAcked}, stayed silent ${c.silentRounds}`);
  lines.push(`drops         done ${c.drops}, reconnected ${c.reconnectsOk}, reconnect failed ${c.reconnectsFailed}, back after the battle had finished ${c.resultsMissedAway}`);
  lines.push(`malformed     sent ${c.malformedSent}, answered with the right error ${c.malformedAnswered}`);
  lines.push(`other         notifications ${c.notifications}, HTTP requests ${c.httpRequests} (5xx: ${c.http5xx}), unexplained room errors ${c.unexplainedErrors}`);
  lines.push('');
  for (const s of Object.values(r.latency)) lines.push(s.n > 0 ? row(s.label, s) : `${s.label.padEnd(44)} n=     0`);
  lines.push('');
  lines.push('invariants');
  for (const inv of r.invariants) {
    lines.push(`  ${inv.ok ? 'ok  ' : 'FAIL'} ${inv.id}. ${inv.title} (checked ${inv.checked})`);
    for (const b of inv.breaks.slice(0, 8)) lines.push(`         ✗ ${b}`);
    if (inv.totalBreaks > 8) lines.push(`         … ${inv.totalBreaks - 8} more in report.json`);
    for (const n of inv.notes.slice(0, 3)) lines.push(`         · ${n}`);
    if (inv.notes.length > 3) lines.push(`         · … ${inv.notes.length - 3} more notes in report.json`);
  }
  if (r.failures.total > 0) {
    lines.push('');
    lines.push(`bot-side failures: ${r.failures.total} (${Object.entries(r.failures.byStage).map(([k, v]) => `${k} ${v}`).join(', ')}); first: ${r.failures.first[0]?.message ?? ''}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  lines.push(`${r.ok ? 'PASS' : 'FAIL'} (${r.exitReason}); report: ${path.join(outDir, 'report.json')} and report.html`);
  return lines.join('\n');
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]!));

/** A self-contained HTML page: tables rendered here, charts drawn by a small inline script into SVG. */
export function reportHtml(r: SimReport): string {
  const counters = Object.entries(r.counters).map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${esc(v)}</td></tr>`).join('');
  const invariants = r.invariants.map((inv) => `
    <tr class="${inv.ok ? 'ok' : 'bad'}"><td>${inv.ok ? '✓' : '✗'}</td><td>${inv.id}. ${esc(inv.title)}</td><td class="n">${inv.checked}</td><td>${
      inv.breaks.length ? `<details><summary>${inv.totalBreaks} break(s)</summary><ul>${inv.breaks.map((b) => `<li>${esc(b)}</li>`).join('')}</ul></details>` : ''}${
      inv.notes.length ? `<ul class="notes">${inv.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}</td></tr>`).join('');
  const latency = Object.values(r.latency).map((s) => `<tr><td>${esc(s.label)}</td><td class="n">${s.n}</td><td class="n">${fmt(s.median)}</td><td class="n">${fmt(s.p90)}</td><td class="n">${fmt(s.p99)}</td><td class="n">${fmt(s.max)}</td></tr>`).join('');
  // JSON inside <script>: "<" escaped so no "</script>" in the data can end the element.
  const data = JSON.stringify({ latency: r.latency, battlesOverTime: r.battlesOverTime, elapsedS: r.elapsedS }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quest Arena simulation ${esc(r.at)}</title>
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
 h1{font-size:20px} h2{font-size:16px;margin-top:28px}
 table{border-collapse:collapse;margin:8px 0} td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
 td.n{text-align:right;font-variant-numeric:tabular-nums} tr.bad td{background:#fde8e8} tr.ok td:first-child{color:#197a2e} tr.bad td:first-child{color:#b00020}
 .verdict{font-weight:bold;padding:4px 10px;border-radius:4px;display:inline-block} .pass{background:#dff5e3;color:#197a2e} .fail{background:#fde8e8;color:#b00020}
 .charts{display:flex;flex-wrap:wrap;gap:16px} .chart{border:1px solid #eee;padding:8px} .chart h3{font-size:13px;margin:0 0 4px}
 ul.notes{color:#666;margin:4px 0} svg text{font:10px system-ui,sans-serif;fill:#555}
</style></head><body>
<h1>Quest Arena simulation</h1>
<p><span class="verdict ${r.ok ? 'pass' : 'fail'}">${r.ok ? 'PASS' : 'FAIL'} (${esc(r.exitReason)})</span>
 ${esc(r.at)} · ${r.options.bots} bots · ${r.options.durationS} s of journeys · seed <code>${esc(r.options.seed)}</code> · ${r.elapsedS} s in all ·
 server ${esc(r.server.url)} (${r.server.startedBySimulator ? 'started by the simulator' : '--url'}, ${esc(r.server.database)})</p>
<h2>Invariants</h2>
<table><tr><th></th><th>invariant</th><th>checked</th><th>details</th></tr>${invariants}</table>
<h2>Battles finished over time</h2>
<div class="chart" id="overTime"></div>
<h2>Latency (ms)</h2>
<table><tr><th>series</th><th>n</th><th>median</th><th>p90</th><th>p99</th><th>max</th></tr>${latency}</table>
<div class="charts" id="histograms"></div>
<h2>Counters</h2>
<table>${counters}</table>
<h2>Options</h2>
<pre>${esc(JSON.stringify(r.options, null, 2))}</pre>
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<script id="data" type="application/json">${data}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function svg(w, h) { return el('svg', { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h }); }
  // Histogram with log-spaced bins: latencies span orders of magnitude (1 ms acks, 100 ms scrypt).
  function histogram(series) {
    var box = document.createElement('div'); box.className = 'chart';
    var h3 = document.createElement('h3'); h3.textContent = series.label + ' (n=' + series.n + ')'; box.appendChild(h3);
    var W = 330, H = 170, L = 34, B = 30, s = svg(W, H); box.appendChild(s);
    var v = series.samples.filter(function (x) { return x > 0; });
    if (!v.length) { el('text', { x: 10, y: 20 }, s, 'no samples'); return box; }
    var lo = Math.log10(Math.max(0.1, Math.min.apply(null, v))), hi = Math.log10(Math.max.apply(null, v));
    if (hi - lo < 0.5) { lo -= 0.25; hi += 0.25; }
    var bins = 24, counts = new Array(bins).fill(0);
    v.forEach(function (x) { var i = Math.floor((Math.log10(x) - lo) / (hi - lo) * bins); counts[Math.min(bins - 1, Math.max(0, i))]++; });
    var max = Math.max.apply(null, counts), bw = (W - L - 6) / bins;
    counts.forEach(function (c, i) {
      var bh = max ? c / max * (H - B - 10) : 0;
      el('rect', { x: L + i * bw + 1, y: H - B - bh, width: bw - 2, height: bh, fill: '#4a7bd0' }, s).appendChild(el('title', {}, null, Math.pow(10, lo + i * (hi - lo) / bins).toFixed(1) + '–' + Math.pow(10, lo + (i + 1) * (hi - lo) / bins).toFixed(1) + ' ms: ' + c));
    });
    el('line', { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: '#999' }, s);
    for (var k = 0; k <= 4; k++) {
      var x = L + k / 4 * (W - L - 6), val = Math.pow(10, lo + k / 4 * (hi - lo));
      el('text', { x: x, y: H - B + 14, 'text-anchor': 'middle' }, s, val < 10 ? val.toFixed(1) : Math.round(val));
    }
    el('text', { x: (W + L) / 2, y: H - 4, 'text-anchor': 'middle' }, s, 'ms (log scale)');
    el('text', { x: 4, y: 14 }, s, String(max));
    return box;
  }
  var hist = document.getElementById('histograms');
  Object.keys(data.latency).forEach(function (k) { hist.appendChild(histogram(data.latency[k])); });
  (function overTime() {
    var pts = data.battlesOverTime, W = 700, H = 220, L = 40, B = 30, s = svg(W, H);
    document.getElementById('overTime').appendChild(s);
    var tMax = Math.max(data.elapsedS, pts.length ? pts[pts.length - 1][0] : 1), nMax = Math.max(1, pts.length);
    function X(t) { return L + t / tMax * (W - L - 10); }
    function Y(n) { return H - B - n / nMax * (H - B - 10); }
    el('line', { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: '#999' }, s);
    el('line', { x1: L, y1: 10, x2: L, y2: H - B, stroke: '#999' }, s);
    var d = 'M' + X(0) + ' ' + Y(0);
    pts.forEach(function (p) { d += ' H' + X(p[0]).toFixed(1) + ' V' + Y(p[1]).toFixed(1); });
    d += ' H' + X(tMax);
    el('path', { d: d, fill: 'none', stroke: '#197a2e', 'stroke-width': 2 }, s);
    for (var k = 0; k <= 5; k++) {
      el('text', { x: X(k / 5 * tMax), y: H - B + 14, 'text-anchor': 'middle' }, s, Math.round(k / 5 * tMax) + ' s');
      el('text', { x: L - 4, y: Y(k / 5 * nMax) + 3, 'text-anchor': 'end' }, s, Math.round(k / 5 * nMax));
    }
    el('text', { x: (W + L) / 2, y: H - 4, 'text-anchor': 'middle' }, s, 'seconds since start; battles finished (cumulative)');
  })();
})();
</script>
</body></html>
`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '–';
}

/** Writes report.json and report.html into `outDir` (created if needed). */
export function writeReport(outDir: string, r: SimReport): void {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'report.html'), reportHtml(r));
}
