// charts.js - the run page's charts on Chart.js (window.Chart, served by
// anasd from Debian's libjs-chart.js). Each chart is created once and then
// updated in place, so live updates do not flicker or leak canvases.
// Tests read the drawn data back with Chart.getChart(canvas).

import { h } from './dom.js';

const COLORS = ['#1f6fb2', '#d9622b', '#2e9d5b', '#8e5bb5', '#b8952a', '#c2417a', '#4a8f8f', '#777'];

export const available = () => typeof window.Chart === 'function';

export function color(i, alpha = 1) {
  const c = COLORS[i % COLORS.length];
  if (alpha === 1) return c;
  const n = parseInt(c.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// A titled figure with a canvas; the chart is made on first update.
export class Figure {
  constructor(id, title, note) {
    this.canvas = h('canvas', { id, role: 'img', 'aria-label': title });
    this.note = h('p', { class: 'muted small' }, note || '');
    this.el = h('figure', { class: 'chart' }, h('figcaption', {}, title),
      available() ? h('div', { class: 'canvas-box' }, this.canvas)
        : h('p', { class: 'error' }, 'Chart.js is not available (install libjs-chart.js, or see anasd --chartjs-root).'),
      this.note);
    this.chart = null;
  }

  // config: a Chart.js config; later calls replace data and options.
  draw(config) {
    if (!available()) return;
    if (!this.chart) {
      config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options };
      this.chart = new window.Chart(this.canvas, config);
      return;
    }
    this.chart.data = config.data;
    Object.assign(this.chart.options, config.options || {});
    this.chart.update('none');
  }

  destroy() {
    if (this.chart) this.chart.destroy();
    this.chart = null;
  }
}

// Durations as anasd writes them ("1s", "60m", "1h", "1d") in seconds.
export function seconds(t) {
  const m = /^(\d+)([smhd])$/.exec(t);
  if (!m) return NaN;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}

export function timeLabel(s) {
  if (s >= 86400) return `${+(s / 86400).toFixed(1)} d`;
  if (s >= 3600) return `${+(s / 3600).toFixed(1)} h`;
  if (s >= 60) return `${+(s / 60).toFixed(1)} min`;
  return `${s} s`;
}

// The drift times an evaluation was measured at, ascending: from acc@<t>.
export function driftTimes(metrics) {
  return Object.keys(metrics || {})
    .map((k) => /^acc@(\d+[smhd])$/.exec(k)?.[1])
    .filter(Boolean)
    .sort((a, b) => seconds(a) - seconds(b));
}

// Accuracy against time since programming, log axis from 1 s to 30 d, one
// line per architecture with its ±std band (two invisible bounds, filled).
const DECADES = [1, 60, 3600, 86400, 7 * 86400, 30 * 86400];

export function driftConfig(evals) {
  const datasets = [];
  evals.forEach((e, i) => {
    const ts = driftTimes(e.metrics);
    const pts = ts.map((t) => ({ x: seconds(t), y: e.metrics[`acc@${t}`], sd: e.metrics[`acc_std@${t}`] ?? 0 }));
    const label = `${e.hash} (seq ${e.seq})`;
    datasets.push({ label, data: pts.map(({ x, y }) => ({ x, y })), borderColor: color(i),
      backgroundColor: color(i), pointRadius: 3, tension: 0, anasd: 'mean' });
    datasets.push({ label: `${label} +std`, data: pts.map(({ x, y, sd }) => ({ x, y: y + sd })),
      borderWidth: 0, pointRadius: 0, fill: false, anasd: 'band' });
    datasets.push({ label: `${label} −std`, data: pts.map(({ x, y, sd }) => ({ x, y: y - sd })),
      borderWidth: 0, pointRadius: 0, backgroundColor: color(i, 0.15), fill: '-1', anasd: 'band' });
  });
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: {
        x: { type: 'logarithmic', min: 1, max: 30 * 86400, title: { display: true, text: 'time since programming' },
          afterBuildTicks: (axis) => { axis.ticks = DECADES.map((value) => ({ value })); },
          ticks: { callback: (v) => timeLabel(v) } },
        y: { title: { display: true, text: 'accuracy' } },
      },
      plugins: { legend: { labels: { filter: (item, data) => data.datasets[item.datasetIndex].anasd === 'mean' } } },
    },
  };
}
