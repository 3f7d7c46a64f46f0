// dashboard.mjs - the dashboard in headless Chromium, against a real anasd.
//
//   node dashboard.mjs main URL SHOTS    runs, run, architecture, submit pages
//   node dashboard.mjs token URL TOKEN SHOTS   the token prompt
//
// TAP on stdout. Chromium is the system's (CHROMIUM, default
// /usr/bin/chromium): playwright-core never downloads a browser. Chart.js'
// data is read back from the page with Chart.getChart(canvas).

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [phase, URL, ...rest] = process.argv.slice(2);
let n = 0, failed = 0;
const ok = (cond, desc, ...diag) => {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
  if (!cond) for (const d of diag) console.log(`#   ${String(typeof d === 'string' ? d : JSON.stringify(d)).slice(0, 600)}`);
};
const is = (got, want, desc) => ok(JSON.stringify(got) === JSON.stringify(want), desc, `got:      ${JSON.stringify(got)}`, `expected: ${JSON.stringify(want)}`);

async function api(method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(URL + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: res.status, data };
}

async function waitRun(id, states = ['succeeded', 'failed', 'canceled'], seconds = 300) {
  for (let i = 0; i < seconds * 5; i++) {
    const r = (await api('GET', `/api/v1/runs/${id}`)).data;
    if (states.includes(r.state)) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`run ${id} did not reach ${states} in time`);
}

async function allEvals(id, q = '') {
  const out = [];
  let after = 0;
  for (;;) {
    const { data } = await api('GET', `/api/v1/runs/${id}/evaluations?limit=10000&after=${after}${q}`);
    out.push(...data.items);
    if (data.items.length < 10000) return out;
    after = data.items[data.items.length - 1].seq;
  }
}

async function browser() {
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
}

// A page whose console errors and uncaught exceptions are collected.
async function newPage(b, viewport = { width: 1280, height: 800 }) {
  const ctx = await b.newContext({ viewport });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`${m.text()} ${m.location()?.url || ''}`); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

const chartData = (page, id) => page.evaluate((cid) => {
  const c = window.Chart.getChart(document.getElementById(cid));
  return c ? c.data.datasets.map((d) => ({ label: d.label, kind: d.anasd || null, n: d.data.length })) : null;
}, id);

function specTrain(name, seed, evaluations, trainSubset = 512) {
  return {
    kind: 'search', name, seed,
    space: { name: 'mlp', input: [1, 8, 8], classes: 4 },
    dataset: { name: 'synthetic', train_subset: trainSubset, test_subset: 128 },
    evaluator: { kind: 'train', epochs: 3, batch_size: 32, optimizer: { kind: 'adam', lr: 0.003 },
      hardware: { preset: 'analognas' }, repeats: 2, curve_drift: '1d' },
    optimizer: { kind: 'random', evaluations, batch: 2 },
    objectives: [{ metric: 'acc@1d', goal: 'max' }],
  };
}

const PARETO = {
  kind: 'search', name: 'pareto-analytic', seed: 5,
  space: { name: 'resnet', input: [1, 28, 28], classes: 10 },
  evaluator: { kind: 'analytic' },
  optimizer: { kind: 'random', evaluations: 200 },
  objectives: [{ metric: 'macs', goal: 'min' }, { metric: 'tile_util', goal: 'max' }],
  constraints: [{ metric: 'params', max: 400000 }],
};

async function main(shots) {
  const created = async (spec) => {
    const r = await api('POST', '/api/v1/runs', spec);
    if (r.status !== 201) throw new Error(`POST /runs: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data.id;
  };
  const pid = await created(PARETO);
  await waitRun(pid);
  const tid = await created(specTrain('analog-train', 4, 6));
  const trained = await waitRun(tid);
  ok(trained.state === 'succeeded', 'the analog training search succeeded', trained.error);

  const b = await browser();
  const page = await newPage(b);
  const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: name !== 'dashboard' });

  // --- the runs page ---
  await page.goto(`${URL}/#/runs`);
  await page.waitForSelector('table.runs tbody tr a');
  const listed = await api('GET', '/api/v1/runs');
  await page.waitForFunction((k) => document.querySelectorAll('table.runs tbody tr').length === k, listed.data.items.length);
  is(await page.locator('table.runs tbody tr').count(), listed.data.items.length, 'the runs page lists every run');
  await page.selectOption('#state-filter', 'succeeded');
  await page.waitForFunction(() => location.hash === '#/runs?state=succeeded');
  await page.waitForSelector('table.runs tbody tr .state');
  const states = await page.locator('table.runs tbody tr .state').allTextContents();
  ok(states.length === 2 && states.every((s) => s === 'succeeded'), 'filtered by state, only succeeded runs', states);
  await shot('runs');

  // --- the Pareto run: charts, sorting, pagination ---
  await page.goto(`${URL}/#/runs/${pid}`);
  await page.waitForSelector('#evals tbody tr');
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('chart-pareto')));
  const front = (await api('GET', `/api/v1/runs/${pid}/pareto`)).data;
  const feasible = await allEvals(pid, '&state=complete&feasible=true');
  const pd = await chartData(page, 'chart-pareto');
  is(pd.find((d) => d.kind === 'front').n, front.pareto_size, `the Pareto chart draws the front's ${front.pareto_size} points`);
  is(pd.find((d) => d.kind === 'feasible').n, feasible.length, `and the ${feasible.length} feasible evaluations`);
  await page.screenshot({ path: `${shots}/dashboard.png` });
  await page.selectOption('#pareto-y', 'params');
  const pd2 = await chartData(page, 'chart-pareto');
  is(pd2.find((d) => d.kind === 'feasible').n, feasible.length, 'other axes (macs, params) draw as many points');
  await shot('run-pareto');

  const firstSeqs = async () => (await page.locator('#evals tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq))));
  is((await firstSeqs()).length, 50, 'the evaluations table shows a page of 50');
  await page.click('#evals-next');
  await page.waitForFunction(() => document.querySelector('#evals tbody tr')?.dataset.seq === '51');
  const page2 = (await api('GET', `/api/v1/runs/${pid}/evaluations?after=50&limit=50`)).data.items.map((e) => e.seq);
  is(await firstSeqs(), page2, 'Next shows the next 50 by seq');
  await page.click('#evals-prev');
  await page.waitForFunction(() => document.querySelector('#evals tbody tr')?.dataset.seq === '1');
  await page.click('th button[data-metric="macs"]');
  const byMacs = (await api('GET', `/api/v1/runs/${pid}/evaluations?sort=-macs&limit=100`)).data.items.map((e) => e.seq);
  await page.waitForFunction((s) => document.querySelector('#evals tbody tr')?.dataset.seq === String(s), byMacs[0]);
  is(await firstSeqs(), byMacs.slice(0, 50), 'a click on the macs header sorts by macs, descending, on the server');
  await page.click('#evals-next');
  await page.waitForFunction((s) => document.querySelector('#evals tbody tr')?.dataset.seq === String(s), byMacs[50]);
  is(await firstSeqs(), byMacs.slice(50, 100), 'and Next shows rows 51-100 in that order');
  await page.selectOption('#evals-feasible', 'false');
  await page.waitForFunction(() => [...document.querySelectorAll('#evals tbody tr td:nth-child(4)')].every((td) => td.textContent === 'no'));
  const infeasible = (await api('GET', `/api/v1/runs/${pid}/evaluations?sort=-macs&feasible=false&limit=50`)).data.items.map((e) => e.seq);
  is(await firstSeqs(), infeasible, 'the feasible filter shows the infeasible ones only');

  // --- the analog training run: drift and learning curves ---
  await page.goto(`${URL}/#/runs/${tid}`);
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('chart-drift')) &&
    window.Chart.getChart(document.getElementById('chart-curves')));
  const dd = await chartData(page, 'chart-drift');
  const means = dd.filter((d) => d.kind === 'mean');
  is(means.map((d) => d.n), [4, 4, 4], 'the drift chart draws 3 architectures at the 4 drift times');
  is(dd.filter((d) => d.kind === 'band').length, 6, 'each with its ±std band');
  const top = (await api('GET', `/api/v1/runs/${tid}/evaluations?sort=-acc@30d&state=complete&limit=3`)).data.items;
  is(means.map((d) => d.label), top.map((e) => `${e.hash} (seq ${e.seq})`), 'the three best at 30 d, in order');
  const cd = await chartData(page, 'chart-curves');
  is(cd.map((d) => d.n), [3, 3, 3, 3, 3, 3], 'learning curves: 6 trainings of 3 epochs');
  is(await page.locator('#best-value').textContent(), `${trained.best.metrics['acc@1d']} acc@1d`, 'the best is shown');
  await shot('run-analog');

  // --- the architecture page ---
  const hash = trained.best.hash;
  await page.goto(`${URL}/#/architectures/${hash}`);
  await page.waitForSelector('#layers tbody tr');
  const arch = (await api('GET', `/api/v1/architectures/${hash}`)).data;
  is(await page.locator('#layers tbody tr').count(), arch.layers.length, `the architecture's ${arch.layers.length} layers`);
  is(await page.locator('#arch-evals tbody tr').count(), arch.evaluations.length, 'and its evaluations across runs');
  await shot('architecture');

  // --- live: a queued run followed to its end without a reload ---
  const blocker = await created(specTrain('blocker', 7, 100000, 4096));
  await waitRun(blocker, ['running']);
  const live = await created(specTrain('live', 9, 6));
  await page.goto(`${URL}/#/runs/${live}`);
  await page.waitForSelector('h1 .state');
  is(await page.locator('h1 .state').textContent(), 'queued', 'the live run is shown queued behind the blocker');
  const cancel = await api('POST', `/api/v1/runs/${blocker}/cancel`);
  is(cancel.status, 200, 'the blocker is canceled');
  await page.waitForFunction(() => document.querySelector('h1 .state')?.textContent === 'succeeded', null, { timeout: 240000 });
  const done = (await api('GET', `/api/v1/runs/${live}`)).data;
  is(await page.locator('#best-value').textContent(), `${done.best.metrics['acc@1d']} acc@1d`, 'the page shows the final best without a reload');
  await page.waitForFunction(() => document.querySelectorAll('#evals tbody tr').length === 6);
  is(await page.locator('#evals tbody tr').count(), 6, 'and all 6 evaluations');
  is(await page.locator('.progress span').first().textContent(), '6 / 6', 'and the progress 6 / 6');

  // --- submit: a bad field, then a run ---
  await page.goto(`${URL}/#/submit`);
  await page.waitForSelector('#example option[value="fashion-resnet-analytic.json"]', { state: 'attached' });
  await page.selectOption('#example', 'fashion-resnet-analytic.json');
  await page.waitForFunction(() => document.getElementById('spec').value.includes('"kind"'));
  const bad = { ...PARETO, name: 'from-the-dashboard', optimizer: { kind: 'random', evaluations: 0 } };
  await page.fill('#spec', JSON.stringify(bad, null, 2));
  await page.click('#submit');
  await page.waitForSelector('#spec-error:not([hidden]) #error-field');
  const expected = (await api('POST', '/api/v1/runs', bad)).data.field;
  is(await page.locator('#error-field').textContent(), expected, `a refused field is named (${expected})`);
  const sel = await page.evaluate(() => { const t = document.getElementById('spec'); return t.value.slice(t.selectionStart, t.selectionEnd); });
  is(sel, '"evaluations"', 'and selected in the editor');
  await shot('submit-error');
  await page.fill('#spec', JSON.stringify({ ...bad, optimizer: { kind: 'random', evaluations: 5 } }, null, 2));
  await page.click('#submit');
  await page.waitForFunction(() => /^#\/runs\/\d+$/.test(location.hash));
  const newId = Number((await page.evaluate(() => location.hash)).split('/')[2]);
  const made = await api('GET', `/api/v1/runs/${newId}`);
  is(made.data.name, 'from-the-dashboard', 'a good spec creates the run and the page goes to it');

  // --- keyboard, narrow screen, unreachable daemon ---
  await page.goto(`${URL}/#/runs`);
  await page.reload();
  await page.waitForSelector('table.runs tbody tr');
  await page.keyboard.press('Tab');
  is(await page.evaluate(() => document.activeElement.textContent), 'Skip to content', 'Tab reaches the skip link first');
  const narrow = await newPage(b, { width: 390, height: 844 });
  for (const [name, hashRoute, sel2] of [['runs-narrow', '#/runs', 'table.runs tbody tr'], ['run-narrow', `#/runs/${tid}`, '#evals tbody tr']]) {
    await narrow.goto(`${URL}/${hashRoute}`);
    await narrow.waitForSelector(sel2);
    const wide = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    ok(wide <= 0, `${name}: nothing wider than a 390 px screen`, `${wide} px too wide`);
    await narrow.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  }
  ok(narrow.errors.length === 0, 'no console errors on the narrow screen', ...narrow.errors);
  await narrow.context().close();

  // The one error expected: the browser's note of the refused submission.
  const clean = page.errors.filter((e) => !/status of 422 .*\/api\/v1\/runs$/.test(e));
  ok(clean.length === 0, 'no console errors on any page', ...clean);
  await page.route('**/api/**', (r) => r.abort());
  await page.waitForSelector('#banner:not([hidden])', { timeout: 20000 });
  ok(/cannot be reached/.test(await page.locator('#banner').textContent()), 'an unreachable daemon is said plainly');
  await shot('unreachable');
  await page.unroute('**/api/**');
  await page.waitForSelector('#banner[hidden]', { state: 'attached', timeout: 20000 });
  ok(await page.locator('#banner').isHidden(), 'and the banner goes when it answers again');
  await b.close();
}

async function tokenPhase(token, shots) {
  const b = await browser();
  const page = await newPage(b);
  await page.goto(`${URL}/#/runs`);
  await page.waitForSelector('#token-dialog[open]');
  ok(true, 'the dashboard asks for a token');
  await page.screenshot({ path: `${shots}/token.png` });
  await page.fill('#token-input', 'wrong');
  await page.click('#token-form button');
  await page.waitForSelector('#token-error:not([hidden])');
  ok(await page.locator('#token-dialog').evaluate((d) => d.open), 'a wrong token is refused and asked again');
  await page.fill('#token-input', token);
  await page.click('#token-form button');
  await page.waitForSelector('table.runs tbody tr');
  ok(!(await page.locator('#token-dialog').evaluate((d) => d.open)), 'the right token opens the dashboard');
  const stored = await page.evaluate(() => ({ s: sessionStorage.getItem('anasd-token'), l: localStorage.length }));
  is(stored, { s: token, l: 0 }, 'the token is kept in sessionStorage only');
  const other = await page.context().newPage();
  await other.goto(`${URL}/#/runs`);
  await other.waitForSelector('#token-dialog[open]');
  ok(true, 'another tab asks again');
  const real = page.errors.filter((e) => !/status of 401/.test(e));
  ok(real.length === 0, 'no console errors but the 401s', ...real);
  await b.close();
}

try {
  if (phase === 'token') {
    mkdirSync(rest[1], { recursive: true });
    await tokenPhase(rest[0], rest[1]);
  } else {
    mkdirSync(rest[0], { recursive: true });
    await main(rest[0]);
  }
} catch (e) {
  console.log(`not ok ${++n} - ${phase}: ${String(e.message).split('\n')[0]}`);
  console.log(`# ${String(e.stack).split('\n').slice(0, 6).join('\n# ')}`);
  failed++;
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
