// runs.js - the list of runs, newest first, filtered by state and polled
// every few seconds (the runs list is small: one page of 50).

import { get } from './api.js';
import { age, clear, errorBox, h, num, objectivesText, progressBar, spaceText, stateBadge } from './dom.js';

const STATES = ['queued', 'running', 'interrupted', 'succeeded', 'failed', 'canceled'];
const LIMIT = 50;
const POLL_MS = 3000;

function bestText(r) {
  if (!r.best) return '—';
  const m = r.summary?.objectives?.[0]?.metric || r.spec?.objectives?.[0]?.metric;
  return m && r.best.metrics?.[m] !== undefined ? `${num(r.best.metrics[m])} ${m}` : num(r.best.score);
}

function row(r) {
  return h('tr', {},
    h('td', {}, h('a', { href: `#/runs/${r.id}` }, `#${r.id}`)),
    h('td', {}, stateBadge(r.state)),
    h('td', {}, r.kind),
    h('td', { class: 'name' }, r.name || h('span', { class: 'muted' }, '(unnamed)')),
    h('td', {}, spaceText(r.spec)),
    h('td', {}, objectivesText(r.spec)),
    h('td', { class: 'num' }, bestText(r)),
    h('td', {}, progressBar(r.progress)),
    h('td', { title: r.created_at }, age(r.created_at)));
}

export function mount(view, stateFilter) {
  let after = 0;
  const pages = [];
  let timer = null;
  let stopped = false;

  const select = h('select', { id: 'state-filter', onchange: () => {
    location.hash = select.value ? `#/runs?state=${select.value}` : '#/runs';
  } }, h('option', { value: '' }, 'every state'), STATES.map((s) => h('option', { value: s, selected: s === stateFilter }, s)));
  const body = h('tbody');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', disabled: true, onclick: () => { after = pages.pop() || 0; load(); } }, '← Newer');
  const older = h('button', { type: 'button', disabled: true }, 'Older →');
  const table = h('table', { class: 'runs' },
    h('thead', {}, h('tr', {}, ['Run', 'State', 'Kind', 'Name', 'Space', 'Objective', 'Best so far', 'Progress', 'Age']
      .map((t) => h('th', { scope: 'col' }, t)))), body);

  clear(view,
    h('div', { class: 'title' }, h('h1', {}, 'Runs'), h('a', { class: 'button primary', href: '#/submit' }, 'Submit a run')),
    h('div', { class: 'toolbar' }, h('label', { for: 'state-filter' }, 'State '), select),
    h('div', { class: 'scroll' }, table), h('div', { class: 'pager' }, newer, older), status);

  async function load() {
    clearTimeout(timer);
    const q = new URLSearchParams({ limit: LIMIT });
    if (stateFilter) q.set('state', stateFilter);
    if (after) q.set('after', after);
    try {
      const page = await get(`/api/v1/runs?${q}`);
      if (stopped) return;
      clear(body, page.items.map(row));
      if (!page.items.length)
        body.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, stateFilter ? `No ${stateFilter} runs.` : 'No runs yet.')));
      status.textContent = `${page.items.length} run${page.items.length === 1 ? '' : 's'} shown · updated ${new Date().toLocaleTimeString()}`;
      newer.disabled = !after;
      older.disabled = page.next_after === null;
      older.onclick = () => { pages.push(after); after = page.next_after; load(); };
    } catch (e) {
      if (!stopped) clear(status, errorBox(e));
    }
    if (!stopped) timer = setTimeout(load, POLL_MS);
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}
