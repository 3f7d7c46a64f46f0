// dom.js - small helpers to build elements and format numbers and times.

// h('a', {href: '#/runs', class: 'x'}, 'text', child...) → element. Strings
// become text nodes (never HTML), so values from the API cannot inject markup.
export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

export function clear(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined));
  return el;
}

export function num(v, digits = 4) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return v.toPrecision(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export function duration(s) {
  if (s === null || s === undefined || !isFinite(s)) return '—';
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function age(iso) {
  if (!iso) return '—';
  const s = (Date.now() - Date.parse(iso)) / 1000;
  return `${duration(s)} ago`;
}

export function stateBadge(state) {
  return h('span', { class: `state state-${state}` }, state);
}

// <progress> with a text label, for a run's {done, total}.
export function progressBar(p) {
  const done = p?.done ?? 0, total = p?.total ?? 0;
  const label = total ? `${done} / ${total}` : `${done}`;
  return h('span', { class: 'progress' },
    h('progress', { max: total || 1, value: total ? done : 0, 'aria-label': `progress ${label}` }),
    h('span', { class: 'muted' }, label));
}

export function objectivesText(spec) {
  const objs = spec?.objectives || [];
  return objs.map((o) => `${o.goal} ${o.metric}`).join(', ') || '—';
}

export function spaceText(spec) {
  const s = spec?.space;
  if (!s) return '—';
  if (typeof s === 'string') return s;
  return s.input ? `${s.name} ${s.input.join('×')}` : s.name;
}

export function errorBox(e) {
  const p = e.problem;
  return h('div', { class: 'error', role: 'alert' },
    p ? `${p.status} ${p.title}: ${p.detail}${p.field ? ` (at ${p.field})` : ''}` : e.message);
}
