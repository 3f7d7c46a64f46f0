// app.js - the dashboard's entry: a hash router (#/runs, #/runs/ID,
// #/architectures/HASH, #/submit), the token dialog and the banner that says
// plainly when anasd cannot be reached.

import { get, onState, setToken, setTokenAsker } from './api.js';
import { clear, h } from './dom.js';
import * as runs from './runs.js';
import * as run from './run.js';
import * as arch from './arch.js';
import * as submit from './submit.js';

const view = document.getElementById('view');
const banner = document.getElementById('banner');
let unmount = null;

const routes = [
  [/^#\/runs\/(\d+)$/, run, 'runs'],
  [/^#\/architectures\/([0-9a-f]{16})$/, arch, 'runs'],
  [/^#\/submit$/, submit, 'submit'],
  [/^#\/runs(?:\?state=(\w+))?$/, runs, 'runs'],
];

function route() {
  const hash = location.hash || '#/runs';
  if (unmount) unmount();
  unmount = null;
  for (const [re, page, nav] of routes) {
    const m = re.exec(hash);
    if (!m) continue;
    for (const a of document.querySelectorAll('[data-nav]'))
      a.toggleAttribute('aria-current', a.dataset.nav === nav);
    clear(view);
    unmount = page.mount(view, ...m.slice(1)) || null;
    return;
  }
  clear(view, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, hash), '. ',
    h('a', { href: '#/runs' }, 'See the runs.')));
}

// The banner: unreachable until a request succeeds again.
onState((state, detail) => {
  if (state === 'down') {
    banner.hidden = false;
    banner.textContent = `anasd at ${location.host} cannot be reached (${detail || 'no answer'}). ` +
      'Retrying; the page updates once it answers.';
  } else if (state === 'ok') {
    banner.hidden = true;
  }
});

// A 401 opens the dialog; the request that met it waits for the token.
const dialog = document.getElementById('token-dialog');
const form = document.getElementById('token-form');
const input = document.getElementById('token-input');
const tokenError = document.getElementById('token-error');
let waiting = null;

setTokenAsker((why) => {
  if (!waiting) {
    waiting = new Promise((resolve) => {
      tokenError.hidden = !why;
      tokenError.textContent = why;
      input.value = '';
      if (!dialog.open) dialog.showModal();
      input.focus();
      form.onsubmit = (ev) => {
        ev.preventDefault();
        setToken(input.value.trim());
        dialog.close();
        waiting = null;
        resolve();
      };
    });
  }
  return waiting;
});
// Escape would leave requests waiting forever: the dialog stays until a token.
dialog.addEventListener('cancel', (ev) => ev.preventDefault());

async function heartbeat() {
  const el = document.getElementById('daemon');
  try {
    const hl = await get('/api/v1/health');
    el.textContent = `anasd ${hl.version} · ${hl.runs.running} running, ${hl.runs.queued} queued`;
    el.classList.remove('down');
  } catch {
    el.textContent = 'anasd unreachable';
    el.classList.add('down');
  }
}

window.addEventListener('hashchange', route);
route();
heartbeat();
setInterval(heartbeat, 5000);
