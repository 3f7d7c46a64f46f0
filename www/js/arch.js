// arch.js - one architecture: its layers, its analytic metrics and every
// evaluation of it across runs.

import { get } from './api.js';
import { clear, errorBox, h, num, stateBadge } from './dom.js';

const shape = (s) => (Array.isArray(s) ? s.join('×') : '—');

export function mount(view, hash) {
  clear(view, h('h1', {}, 'Architecture ', h('span', { class: 'mono' }, hash)), h('p', { class: 'muted' }, 'Loading…'));
  let stopped = false;
  get(`/api/v1/architectures/${hash}`).then((a) => {
    if (stopped) return;
    const metricNames = [...new Set(a.evaluations.flatMap((e) => Object.keys(e.metrics || {})))]
      .filter((k) => !/^(train_s|epochs)$/.test(k)).slice(0, 10);
    clear(view,
      h('h1', {}, 'Architecture ', h('span', { class: 'mono' }, a.hash)),
      h('p', {}, `space ${a.space} · input ${shape(a.input)} · ${a.classes} classes`),
      h('div', { class: 'grid' },
        h('section', { class: 'card', 'aria-labelledby': 'am' }, h('h2', { id: 'am' }, 'Metrics'),
          h('dl', { class: 'metrics' }, Object.entries(a.metrics).map(([k, v]) => [h('dt', {}, k), h('dd', {}, num(v))]))),
        h('section', { class: 'card', 'aria-labelledby': 'ac' }, h('h2', { id: 'ac' }, 'Configuration'),
          h('dl', { class: 'metrics' }, Object.entries(a.config).map(([k, v]) => [h('dt', {}, k), h('dd', {}, num(v))])))),
      h('section', { class: 'card', 'aria-labelledby': 'al' }, h('h2', { id: 'al' }, `Layers (${a.layers.length})`),
        h('div', { class: 'scroll' }, h('table', { id: 'layers' },
          h('thead', {}, h('tr', {}, ['#', 'name', 'kind', 'input', 'output', 'kernel', 'stride', 'padding', 'params', 'MACs', 'tiles']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, a.layers.map((l, i) => h('tr', {}, h('td', { class: 'num' }, i + 1), h('td', { class: 'mono' }, l.name), h('td', {}, l.kind),
            h('td', {}, shape(l.input)), h('td', {}, shape(l.output)), h('td', { class: 'num' }, l.kernel ?? '—'),
            h('td', { class: 'num' }, l.stride ?? '—'), h('td', { class: 'num' }, l.padding ?? '—'),
            h('td', { class: 'num' }, num(l.params)), h('td', { class: 'num' }, num(l.macs)), h('td', { class: 'num' }, num(l.tiles)))))))),
      h('section', { class: 'card', 'aria-labelledby': 'ae' }, h('h2', { id: 'ae' }, `Evaluations across runs (${a.evaluations.length})`),
        !a.evaluations.length ? h('p', { class: 'muted' }, 'Not evaluated by any run.') :
          h('div', { class: 'scroll' }, h('table', { id: 'arch-evals' },
            h('thead', {}, h('tr', {}, ['run', 'seq', 'rep', 'state', ...metricNames].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, a.evaluations.map((e) => h('tr', {},
              h('td', {}, h('a', { href: `#/runs/${e.run}` }, `#${e.run}`)), h('td', { class: 'num' }, e.seq),
              h('td', { class: 'num' }, e.rep), h('td', {}, stateBadge(e.state)),
              metricNames.map((m) => h('td', { class: 'num' }, num(e.metrics?.[m]))))))))));
  }).catch((e) => { if (!stopped) clear(view, h('h1', {}, 'Architecture ', h('span', { class: 'mono' }, hash)), errorBox(e)); });
  return () => { stopped = true; };
}
