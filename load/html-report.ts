import type { Summary } from './summary.js';
import { renderText } from './text-report.js';

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const W = 960;
const H = 280;
const PAD = { l: 64, r: 16, t: 28, b: 36 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v)!;
}

/** One inline SVG line chart; no scripts, so the page works from a file:// URL offline. */
function chart(title: string, unit: string, series: Series[], xMax: number): string {
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1]))));
  const xm = Math.max(xMax, 1);
  const x = (v: number) => PAD.l + (v / xm) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const parts: string[] = [`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${PAD.l}" y="18" class="title">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(3)}${unit}</text>`);
  }
  const step = Math.max(1, Math.ceil(xm / 10));
  for (let t = 0; t <= xm; t += step) parts.push(`<text x="${x(t)}" y="${H - PAD.b + 16}" text-anchor="middle">${t}s</text>`);
  series.forEach((s, i) => {
    if (s.points.length) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`);
    parts.push(`<rect x="${W - PAD.r - 170}" y="${PAD.t + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${W - PAD.r - 155}" y="${PAD.t + 9 + i * 16}">${esc(s.name)}</text>`);
  });
  parts.push(`<text x="${(W + PAD.l) / 2}" y="${H - 4}" text-anchor="middle">time since start</text></svg>`);
  return parts.join('');
}

/** Pure: one self-contained page — the text report plus latency, throughput and elasticity charts. */
export function renderHtml(s: Summary): string {
  const tl = s.timeline;
  const xMax = Math.max(tl.length, Math.ceil(s.durationMs / 1000));
  const at = (f: (p: (typeof tl)[number]) => number) => tl.map((p) => [p.t + 0.5, f(p)] as [number, number]);
  const charts = [
    chart('throughput (requests per second)', '', [
      { name: 'sent', color: '#3b6fd4', points: at((p) => p.sent) },
      { name: 'ok', color: '#2e9e5b', points: at((p) => p.ok) },
      { name: 'errors', color: '#d43b3b', points: at((p) => p.errors) },
      { name: 'missed', color: '#b08a00', points: at((p) => p.missed) },
    ], xMax),
  ];
  if (!s.noWait) {
    charts.push(
      chart('latency over time (by completion second)', ' ms', [
        { name: 'p50 corrected', color: '#3b6fd4', points: at((p) => p.p50) },
        { name: 'p99 corrected', color: '#d43b3b', points: at((p) => p.p99) },
        { name: 'p99 raw', color: '#888888', points: at((p) => p.rawP99) },
      ], xMax),
    );
  }
  if (s.elasticity) {
    const series = s.elasticity.series;
    charts.push(
      chart('demand vs supply (servers)', '', [
        { name: `demand ${s.elasticity.definition}`, color: '#d47a3b', points: series.map((p) => [p.t, p.demand]) },
        { name: 'autoscaler desired', color: '#7a3bd4', points: series.flatMap((p) => (p.autoscalerDesired === null ? [] : [[p.t, p.autoscalerDesired] as [number, number]])) },
        { name: 'supply (ready)', color: '#2e9e5b', points: series.map((p) => [p.t, p.supply]) },
      ], xMax),
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shoal load report — ${esc(s.target)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
pre{background:#f6f6f6;padding:12px;overflow-x:auto;font-size:12px}
svg{background:#fff;border:1px solid #ddd;margin:8px 0;font-size:11px}
svg .title{font-size:13px;font-weight:600}
svg .grid{stroke:#eee}
</style></head><body>
<h1>shoal load report</h1>
<p>${esc(s.target)} · ${esc(s.startedAt)}</p>
${charts.join('\n')}
<h2>report</h2>
<pre>${esc(renderText(s))}</pre>
<h2>summary JSON</h2>
<pre>${esc(JSON.stringify({ ...s, timeline: `${tl.length} seconds (see charts)` }, null, 2))}</pre>
</body></html>
`;
}
