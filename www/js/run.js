// run.js - one run: its state and live progress, its spec, its charts and
// its evaluations; cancel, delete and downloads.
//
// Live: the run's event stream (live.js) when anasd has one, polling every
// 2 s otherwise. Either way an update only marks the page stale; a refresh
// at most once a second re-reads the run, the new evaluations (by cursor)
// and the table's current page, so a burst of events costs one round.

import { del, download, get, post } from './api.js';
import { follow } from './live.js';
import { clear, duration, errorBox, h, num, objectivesText, progressBar, spaceText, stateBadge } from './dom.js';
import { Figure, color, driftConfig, driftTimes } from './charts.js';
import { EvalTable } from './evals.js';

const ACTIVE = new Set(['queued', 'running', 'interrupted']);
// The best-so-far and Pareto charts read at most this many evaluations
// (compactly: seq, state, feasibility, metrics); the table pages the rest.
const MAX_POINTS = 20000;
const PAGE = 1000;

// Is a better than b for this objective?
const better = (goal, a, b) => (goal === 'min' ? a < b : a > b);

function specView(spec) {
  const rows = [];
  const add = (k, v) => { if (v !== undefined && v !== null && v !== '') rows.push(h('dt', {}, k), h('dd', {}, v)); };
  const ev = spec.evaluator || {};
  add('kind', spec.kind);
  add('space', spaceText(spec));
  add('evaluator', [ev.kind, ev.epochs ? `${ev.epochs} epochs` : '', ev.hardware?.preset ? `hardware ${ev.hardware.preset}` : '',
    ev.hwa ? 'HWA training' : '', ev.drift_times ? `drift ${ev.drift_times.join(', ')}` : ''].filter(Boolean).join(' · '));
  if (spec.dataset) add('dataset', `${spec.dataset.name}${spec.dataset.train_subset ? ` (${spec.dataset.train_subset} train, ${spec.dataset.test_subset} test)` : ''}`);
  if (spec.optimizer) add('optimizer', Object.entries(spec.optimizer).map(([k, v]) => (k === 'kind' ? v : `${k} ${JSON.stringify(v)}`)).join(' · '));
  add('objectives', objectivesText(spec));
  add('constraints', (spec.constraints || []).map((c) => `${c.metric} ${c.min !== undefined ? `≥ ${c.min}` : ''}${c.max !== undefined ? `≤ ${c.max}` : ''}`).join(', '));
  if (spec.budget) add('budget', Object.entries(spec.budget).map(([k, v]) => `${k} ${v}`).join(', '));
  if (spec.pruner) add('pruner', JSON.stringify(spec.pruner));
  add('repetitions', spec.runs);
  add('seed', spec.seed);
  return h('div', {}, h('dl', { class: 'spec' }, rows),
    h('details', {}, h('summary', {}, 'Raw JSON'), h('pre', { class: 'json' }, JSON.stringify(spec, null, 2))));
}

function inFlight(list) {
  if (!list?.length) return h('p', { class: 'muted' }, 'No training in flight.');
  return h('table', { class: 'compact', id: 'inflight' },
    h('thead', {}, h('tr', {}, ['seq', 'architecture', 'epoch', 'batches', 'worker'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map((e) => h('tr', {}, h('td', {}, e.seq),
      h('td', {}, h('a', { class: 'mono', href: `#/architectures/${e.hash}` }, e.hash)), h('td', {}, e.epoch),
      h('td', {}, progressBar({ done: e.batches_done, total: e.batches_total })),
      // a remote anas-worker's id; anasd's own threads have none
      h('td', { class: 'mono' }, e.worker || 'anasd')))));
}

export function mount(view, idText) {
  const id = Number(idText);
  const base = `/api/v1/runs/${id}`;
  let run = null;
  let stopped = false;
  let stopLive = null;
  let stale = true;
  let busy = false;
  let tick = null;
  const points = new Map(); // seq → {seq, state, feasible, metrics}
  let cursor = 0;
  let truncated = false;
  let pareto = null;
  // Sorted queries read every evaluation's metrics (0.4 s at 100,000): while
  // live, the drift chart and a sorted table page are re-read at most this
  // often, and at the end.
  const SORTED_EVERY_MS = 15000;
  let driftAt = 0, tableAt = 0, lastState = null;

  const title = h('h1', {}, `Run #${id}`);
  const actions = h('div', { class: 'actions' });
  const message = h('div', { 'aria-live': 'polite' });
  const progress = h('section', { class: 'card', 'aria-labelledby': 'progress-title' }, h('h2', { id: 'progress-title' }, 'Progress'));
  const best = h('section', { class: 'card', 'aria-labelledby': 'best-title' }, h('h2', { id: 'best-title' }, 'Best so far'));
  const spec = h('section', { class: 'card', 'aria-labelledby': 'spec-title' }, h('h2', { id: 'spec-title' }, 'Spec'));
  const charts = h('div', { class: 'charts' });
  const figs = {};
  let table = null;
  let axes = null;

  clear(view, h('div', { class: 'title' }, title, actions), message,
    h('div', { class: 'grid' }, progress, best), charts, spec);

  function showHeader() {
    clear(title, `Run #${id} `, run.name ? h('span', { class: 'name' }, run.name) : null, ' ', stateBadge(run.state));
    const act = (label, fn, cls = '') => h('button', { type: 'button', class: cls, onclick: async (ev) => {
      ev.target.disabled = true;
      try { await fn(); } catch (e) { clear(message, errorBox(e)); }
      ev.target.disabled = false;
    } }, label);
    const exp = (fmt, label) => act(label, () => download(`${base}/export?format=${fmt}`, `run-${id}.${fmt === 'json' ? 'json' : 'csv'}`));
    clear(actions,
      ACTIVE.has(run.state) ? act('Cancel', async () => { run = await post(`${base}/cancel`); stale = true; }, 'danger') : null,
      !ACTIVE.has(run.state) ? act('Delete', async () => {
        if (!confirm(`Delete run #${id} and its evaluations?`)) return;
        await del(base);
        location.hash = '#/runs';
      }, 'danger') : null,
      exp('csv', 'Export CSV'), exp('json', 'Export JSON'), exp('analognas', 'AnalogNAS CSV'),
      run.kind === 'train' && run.state === 'succeeded' ? act('Download model', () => download(`${base}/model`, `run-${id}.safetensors`)) : null);
  }

  function showProgress() {
    const p = run.progress || {};
    const s = run.summary;
    clear(progress, h('h2', { id: 'progress-title' }, 'Progress'),
      h('p', {}, progressBar(p), ' ', ACTIVE.has(run.state) ? h('span', { id: 'eta' }, `ETA ${duration(p.eta_s)}`) : null),
      s ? h('p', { class: 'muted' }, `${s.evaluations} evaluations: ${s.complete} complete, ${s.failed} failed, ${s.invalid} invalid` +
        `${s.pruned !== undefined ? `, ${s.pruned} pruned` : ''}, ${s.cached} cached · stopped by ${s.stopped_by}`) : null,
      run.error ? h('p', { class: 'error' }, `${run.error.code}: ${run.error.detail}`) : null,
      (run.warnings || []).map((w) => h('p', { class: 'warning' }, w)),
      ACTIVE.has(run.state) ? [h('h3', {}, 'Trainings in flight'), inFlight(p.evaluating)] : null);
  }

  function showBest() {
    const b = run.best;
    const objs = run.spec.objectives || [];
    clear(best, h('h2', { id: 'best-title' }, 'Best so far'),
      !b ? h('p', { class: 'muted' }, 'No feasible evaluation yet.') : [
        h('p', { id: 'best-value', class: 'big' }, objs.length ? `${num(b.metrics[objs[0].metric])} ${objs[0].metric}` : num(b.score)),
        h('p', {}, 'architecture ', h('a', { class: 'mono', href: `#/architectures/${b.hash}` }, b.hash), ` · seq ${b.seq} · rep ${b.rep}`),
        h('dl', { class: 'metrics' }, Object.entries(b.metrics).map(([k, v]) => [h('dt', {}, k), h('dd', {}, num(v))])),
      ],
      s2(run.summary));
  }

  const s2 = (s) => (s && s.pareto_size !== undefined
    ? h('p', { class: 'muted' }, `Pareto front: ${s.pareto_size} architectures, hypervolume ${num(s.hypervolume)}`) : null);

  // New evaluations since the cursor, in pages, up to MAX_POINTS.
  async function loadPoints() {
    for (let i = 0; i < 50 && points.size < MAX_POINTS; i++) {
      const res = await get(`${base}/evaluations?limit=${PAGE}&after=${cursor}`);
      for (const e of res.items) addPoint(e);
      const maxSeq = res.items.reduce((m, e) => Math.max(m, e.seq), cursor);
      cursor = res.next_after ?? maxSeq;
      if (res.items.length < PAGE) return;
    }
    truncated = points.size >= MAX_POINTS;
  }

  function addPoint(e) {
    if (points.size >= MAX_POINTS && !points.has(e.seq)) { truncated = true; return; }
    points.set(e.seq, { seq: e.seq, hash: e.hash, state: e.state, feasible: e.feasible, metrics: e.metrics || {} });
    table?.learn(e.metrics);
  }

  function drawBest() {
    const o = run.spec.objectives?.[0];
    if (!o) return;
    figs.best ||= new Figure('chart-best', `Best ${o.metric} so far`, '');
    const sorted = [...points.values()].sort((a, b) => a.seq - b.seq);
    let cur = null;
    const data = [];
    const all = [];
    sorted.forEach((p, i) => {
      const v = p.metrics[o.metric];
      if (p.state === 'complete' && typeof v === 'number') all.push({ x: i + 1, y: v });
      if (p.state === 'complete' && p.feasible && typeof v === 'number' && (cur === null || better(o.goal, v, cur))) cur = v;
      if (cur !== null) data.push({ x: i + 1, y: cur });
    });
    figs.best.note.textContent = truncated ? `The first ${MAX_POINTS.toLocaleString()} evaluations.` : '';
    figs.best.draw({ type: 'line', data: { datasets: [
      { label: `best ${o.metric}`, data, borderColor: color(0), pointRadius: 0, stepped: true },
      { label: o.metric, data: all, type: 'scatter', backgroundColor: color(7, 0.4), pointRadius: 2 }] },
    options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'evaluations' } },
      y: { title: { display: true, text: o.metric } } } } });
  }

  function paretoAxes(metrics) {
    if (axes) return axes;
    const objs = run.spec.objectives.map((o) => o.metric);
    const names = [...new Set([...objs, ...metrics])];
    const pick = (id, label, value) => {
      const s = h('select', { id, onchange: () => { drawPareto(); } }, names.map((m) => h('option', { value: m, selected: m === value }, m)));
      return [h('label', { for: id }, label), s];
    };
    const [lx, sx] = pick('pareto-x', 'x ', objs[0]);
    const [ly, sy] = pick('pareto-y', ' y ', objs[1]);
    axes = { x: sx, y: sy, el: h('div', { class: 'toolbar' }, lx, sx, ly, sy) };
    return axes;
  }

  function drawPareto() {
    if ((run.spec.objectives || []).length < 2 || !pareto) return;
    const sample = points.values().next().value;
    if (!figs.pareto) {
      figs.pareto = new Figure('chart-pareto', 'Pareto front', '');
      const a = paretoAxes(Object.keys(sample?.metrics || {}).filter((k) => typeof sample.metrics[k] === 'number'));
      figs.pareto.el.insertBefore(a.el, figs.pareto.el.children[1]);
    }
    const mx = axes.x.value, my = axes.y.value;
    const xy = (m) => ({ x: m[mx], y: m[my] });
    const ok = (m) => typeof m[mx] === 'number' && typeof m[my] === 'number';
    const done = [...points.values()].filter((p) => p.state === 'complete' && ok(p.metrics));
    const front = pareto.items.filter((i) => ok(i.metrics)).map((i) => ({ ...xy(i.metrics), hash: i.hash }));
    figs.pareto.note.textContent = `${pareto.pareto_size} on the front; hypervolume ${num(pareto.hypervolume)}` +
      (truncated ? ` · the first ${MAX_POINTS.toLocaleString()} evaluations` : '');
    figs.pareto.draw({ type: 'scatter', data: { datasets: [
      { label: 'Pareto front', data: front.sort((a, b) => a.x - b.x), backgroundColor: color(1), borderColor: color(1), pointRadius: 5, showLine: true, anasd: 'front' },
      { label: 'feasible', data: done.filter((p) => p.feasible).map((p) => xy(p.metrics)), backgroundColor: color(0, 0.45), pointRadius: 3, anasd: 'feasible' },
      { label: 'infeasible', data: done.filter((p) => !p.feasible).map((p) => xy(p.metrics)), backgroundColor: color(7, 0.3), pointRadius: 2, anasd: 'infeasible' }] },
    options: { parsing: false, scales: { x: { title: { display: true, text: mx } }, y: { title: { display: true, text: my } } } } });
  }

  // The top architectures by their accuracy at the last drift time.
  async function drawDrift() {
    const sample = [...points.values()].find((p) => driftTimes(p.metrics).length);
    if (!sample) return;
    const ts = driftTimes(sample.metrics);
    const res = await get(`${base}/evaluations?sort=-acc@${ts[ts.length - 1]}&state=complete&limit=3`);
    figs.drift ||= new Figure('chart-drift', 'Accuracy against time since programming',
      'The three best architectures at the last drift time; bands are ± one standard deviation over the repeats.');
    figs.drift.draw(driftConfig(res.items.filter((e) => driftTimes(e.metrics).length)));
  }

  // Learning curves of the evaluations on the table's page.
  function drawCurves(items) {
    const withCurve = items.filter((e) => e.curve?.length).slice(0, 8);
    if (!withCurve.length) return;
    const key = Object.keys(withCurve[0].curve[0]).find((k) => /@fp$/.test(k)) || 'test_loss';
    figs.curves ||= new Figure('chart-curves', 'Learning curves', '');
    figs.curves.note.textContent = `${key} per epoch, for the evaluations on the table's page (up to 8).`;
    placeCharts();
    figs.curves.draw({ type: 'line', data: { datasets: withCurve.map((e, i) => ({
      label: `seq ${e.seq}${e.state === 'pruned' ? ' (pruned)' : ''}`, data: e.curve.map((c) => ({ x: c.epoch, y: c[key] })),
      borderColor: color(i), backgroundColor: color(i), pointRadius: 2 })) },
    options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { stepSize: 1 } },
      y: { title: { display: true, text: key } } } } });
  }

  function placeCharts() {
    const want = ['best', 'pareto', 'drift', 'curves'].filter((k) => figs[k]).map((k) => figs[k].el);
    if (want.length !== charts.children.length) clear(charts, want);
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    stale = false;
    try {
      run = await get(base);
      if (stopped) return;
      if (!table) {
        clear(spec, h('h2', { id: 'spec-title' }, 'Spec'), specView(run.spec));
        table = new EvalTable(id, run.spec.objectives || [], (items) => drawCurves(items));
        view.append(table.el);
      }
      showHeader();
      showProgress();
      showBest();
      // The table first: one page, however many evaluations the charts read.
      const now = Date.now();
      const changed = run.state !== lastState;
      lastState = run.state;
      if (changed || !table.sort || now - tableAt >= SORTED_EVERY_MS) { tableAt = now; await table.refresh(); }
      await loadPoints();
      if ((run.spec.objectives || []).length >= 2) pareto = await get(`${base}/pareto`);
      drawBest();
      drawPareto();
      if (changed || now - driftAt >= SORTED_EVERY_MS) { driftAt = now; await drawDrift(); }
      placeCharts();
      clear(message);
      if (!ACTIVE.has(run.state) && stopLive) { stopLive(); stopLive = null; }
    } catch (e) {
      if (!stopped) clear(message, errorBox(e));
      if (e.status === 404) { stopped = true; if (stopLive) stopLive(); }
    } finally {
      busy = false;
    }
  }

  stopLive = follow(`${base}/events`, '/api/v1/runs/{id}/events', {
    onEvent: (type, data) => {
      if (type === 'evaluation' && data && typeof data === 'object') addPoint(data);
      stale = true;
    },
    onPoll: async () => { stale = true; },
  });
  tick = setInterval(() => { if (stale) refresh(); }, 1000);
  refresh();
  return () => {
    stopped = true;
    clearInterval(tick);
    if (stopLive) stopLive();
    Object.values(figs).forEach((f) => f.destroy());
  };
}
