// evals.js - a run's evaluations table: one page at a time from the server,
// sorted and filtered there, so that it stays fast at 100,000 evaluations.
// In seq order pages follow the `after` cursor; sorted by a metric they
// follow `offset` (the API's next_after is null then).

import { get } from './api.js';
import { clear, errorBox, h, num, stateBadge } from './dom.js';

// Metrics the API sorts by (anything else answers 422 at ?sort).
const SORTABLE = /^(params|macs|tiles|tile_util|nb_convs|avm|(acc|acc_std|neg_mse|neg_mse_std)@\w+)$/;

export class EvalTable {
  // onPage(items): called with every page shown (the run page draws their
  // learning curves).
  constructor(runId, objectives, onPage) {
    this.runId = runId;
    this.objectives = objectives.map((o) => o.metric);
    this.onPage = onPage;
    this.metrics = [...this.objectives];
    this.sort = '';
    this.state = '';
    this.feasible = '';
    this.limit = 50;
    this.after = 0;
    this.offset = 0;
    this.back = [];
    this.body = h('tbody');
    this.head = h('thead');
    this.status = h('p', { class: 'muted', 'aria-live': 'polite' });
    this.prev = h('button', { type: 'button', id: 'evals-prev', onclick: () => this.page(-1) }, '← Previous');
    this.next = h('button', { type: 'button', id: 'evals-next', onclick: () => this.page(1) }, 'Next →');
    const sel = (id, label, opts, key) => {
      const s = h('select', { id, onchange: () => { this[key] = s.value; this.restart(); } },
        opts.map(([v, t]) => h('option', { value: v }, t)));
      return h('label', {}, `${label} `, s);
    };
    this.sortSelect = h('select', { id: 'evals-sort', onchange: () => { this.sort = this.sortSelect.value; this.restart(); } });
    this.el = h('section', { class: 'card', 'aria-labelledby': 'evals-title' },
      h('h2', { id: 'evals-title' }, 'Evaluations'),
      h('div', { class: 'toolbar' },
        h('label', {}, 'Sort ', this.sortSelect),
        sel('evals-state', 'State', [['', 'any'], ['complete', 'complete'], ['failed', 'failed'], ['invalid', 'invalid'], ['pruned', 'pruned']], 'state'),
        sel('evals-feasible', 'Feasible', [['', 'either'], ['true', 'feasible'], ['false', 'infeasible']], 'feasible'),
        sel('evals-limit', 'Per page', [['50', '50'], ['25', '25'], ['100', '100'], ['500', '500']], 'limit')),
      h('div', { class: 'scroll' }, h('table', { class: 'evals', id: 'evals' }, this.head, this.body)),
      h('div', { class: 'pager' }, this.prev, this.next), this.status);
    this.fillSort();
  }

  // Metric names seen in evaluations: the sortable ones become columns.
  learn(metrics) {
    let grew = false;
    for (const k of Object.keys(metrics || {}))
      if (SORTABLE.test(k) && !this.metrics.includes(k)) { this.metrics.push(k); grew = true; }
    if (grew) this.fillSort();
  }

  fillSort() {
    const cur = this.sort;
    clear(this.sortSelect, h('option', { value: '' }, 'seq (order of proposal)'),
      this.metrics.flatMap((m) => [h('option', { value: `-${m}` }, `${m} ↓`), h('option', { value: m }, `${m} ↑`)]));
    this.sortSelect.value = cur;
  }

  restart() {
    this.limit = Number(this.limit);
    this.after = 0;
    this.offset = 0;
    this.back = [];
    this.refresh();
  }

  page(dir) {
    if (dir < 0) {
      const b = this.back.pop();
      if (this.sort) this.offset = b ?? 0; else this.after = b ?? 0;
    } else {
      this.back.push(this.sort ? this.offset : this.after);
      if (this.sort) this.offset += this.limit; else this.after = this.nextAfter;
    }
    this.refresh();
  }

  async refresh() {
    const q = new URLSearchParams({ limit: this.limit + 1 });
    if (this.sort) { q.set('sort', this.sort); q.set('offset', this.offset); } else if (this.after) q.set('after', this.after);
    if (this.state) q.set('state', this.state);
    if (this.feasible) q.set('feasible', this.feasible);
    let res;
    try {
      res = await get(`/api/v1/runs/${this.runId}/evaluations?${q}`);
    } catch (e) {
      clear(this.status, errorBox(e));
      return;
    }
    const items = res.items.slice(0, this.limit);
    for (const e of items) this.learn(e.metrics);
    const more = res.items.length > this.limit;
    this.nextAfter = items.length ? items[items.length - 1].seq : this.after;
    this.render(items);
    this.prev.disabled = this.back.length === 0;
    this.next.disabled = !more;
    const first = this.sort ? this.offset : null;
    this.status.textContent = items.length
      ? (first !== null ? `rows ${first + 1}–${first + items.length}` : `seq ${items[0].seq}–${items[items.length - 1].seq}`) +
        (this.sort ? ` sorted by ${this.sort.replace(/^-/, '')}${this.sort[0] === '-' ? ' descending' : ''}` : '')
      : 'No evaluation matches.';
    this.onPage(items);
  }

  header() {
    const th = (label, key) => {
      const sorted = this.sort === key ? 'ascending' : this.sort === `-${key}` ? 'descending' : null;
      if (!key) return h('th', { scope: 'col' }, label);
      return h('th', { scope: 'col', 'aria-sort': sorted || 'none' },
        h('button', { type: 'button', class: 'sort', 'data-metric': key, onclick: () => {
          this.sort = this.sort === `-${key}` ? key : `-${key}`;
          this.sortSelect.value = this.sort;
          this.restart();
        } }, label, sorted === 'ascending' ? ' ↑' : sorted === 'descending' ? ' ↓' : ''));
    };
    clear(this.head, h('tr', {}, th('seq'), th('rep'), th('state'), th('feasible'), th('architecture'),
      this.metrics.map((m) => th(m, m))));
  }

  render(items) {
    this.header();
    clear(this.body, items.map((e) => h('tr', { 'data-seq': e.seq },
      h('td', { class: 'num' }, e.seq), h('td', { class: 'num' }, e.rep), h('td', {}, stateBadge(e.state),
        e.cached ? h('span', { class: 'muted small' }, ' cached') : null),
      h('td', {}, e.feasible ? 'yes' : 'no'),
      h('td', {}, h('a', { href: `#/architectures/${e.hash}`, class: 'mono' }, e.hash),
        e.error ? h('div', { class: 'error small' }, `${e.error.code}: ${e.error.detail}`) : null),
      this.metrics.map((m) => h('td', { class: 'num' }, num(e.metrics?.[m]))))));
  }
}
