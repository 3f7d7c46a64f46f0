// submit.js - start from an example spec (served by anasd from
// clients/examples/), edit it, submit; a 422 names the offending field by
// its JSON pointer (RFC 6901), which is shown and selected in the editor.

import { get, post } from './api.js';
import { clear, h } from './dom.js';

// Where the value of a JSON pointer starts in the text: walk the parsed
// object's keys in the order they are written, searching forward.
export function locate(text, pointer) {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let pos = 0;
  let value;
  try { value = JSON.parse(text); } catch { return null; }
  let start = pos, end = text.length;
  for (const part of parts) {
    if (Array.isArray(value)) {
      // Counting elements by text is fragile; the array itself is close enough.
      value = value[Number(part)];
      continue;
    }
    if (!value || typeof value !== 'object') break;
    const at = text.indexOf(JSON.stringify(part), pos);
    if (at < 0) break;
    start = at;
    end = at + JSON.stringify(part).length;
    pos = end;
    value = value[part];
  }
  return parts.length ? { start, end } : null;
}

export function mount(view) {
  let stopped = false;
  const pick = h('select', { id: 'example' }, h('option', { value: '' }, 'choose an example…'));
  const editor = h('textarea', { id: 'spec', spellcheck: false, rows: 24, 'aria-describedby': 'spec-error',
    oninput: () => check() });
  const error = h('div', { id: 'spec-error', role: 'alert', class: 'error', hidden: true });
  const ok = h('p', { class: 'muted', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'submit' }, 'Submit run');

  function showError(text, field) {
    error.hidden = false;
    clear(error, text, field ? [' ', h('span', {}, 'at '), h('code', { id: 'error-field' }, field)] : null);
    editor.classList.add('invalid');
    if (field) {
      const at = locate(editor.value, field.startsWith('/') ? field : '');
      if (at) { editor.focus(); editor.setSelectionRange(at.start, at.end); }
    }
  }

  function check() {
    error.hidden = true;
    editor.classList.remove('invalid');
    if (!editor.value.trim()) return false;
    try { JSON.parse(editor.value); return true; } catch (e) { showError(`Not valid JSON: ${e.message}`); return false; }
  }

  async function submit(ev) {
    ev.preventDefault();
    if (!check()) return;
    button.disabled = true;
    ok.textContent = 'Submitting…';
    try {
      const run = await post('/api/v1/runs', editor.value);
      ok.textContent = `Run #${run.id} created.`;
      location.hash = `#/runs/${run.id}`;
    } catch (e) {
      ok.textContent = '';
      const p = e.problem;
      showError(p ? `${p.status} ${p.title}: ${p.detail}` : e.message, p?.field);
    } finally {
      button.disabled = false;
    }
  }

  pick.addEventListener('change', async () => {
    if (!pick.value) return;
    try {
      const text = await fetch(`/examples/${encodeURIComponent(pick.value)}`).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.text();
      });
      editor.value = JSON.stringify(JSON.parse(text), null, 2);
      check();
    } catch (e) {
      showError(`Cannot load ${pick.value}: ${e.message}`);
    }
  });

  clear(view, h('h1', {}, 'Submit a run'),
    h('p', {}, 'Start from an example, edit the JSON (see the API reference, doc/api.md), submit. ' +
      'A field the daemon refuses is named and selected in the editor.'),
    h('form', { id: 'submit-form', onsubmit: submit },
      h('div', { class: 'toolbar' }, h('label', { for: 'example' }, 'Example '), pick),
      h('label', { for: 'spec' }, 'Run spec (JSON)'), editor, error,
      h('div', { class: 'buttons' }, button), ok));

  fetch('/examples/').then((r) => (r.ok ? r.json() : { items: [] })).then((list) => {
    if (stopped) return;
    pick.append(...list.items.map((n) => h('option', { value: n }, n.replace(/\.json$/, ''))));
  }).catch(() => {});
  return () => { stopped = true; };
}
