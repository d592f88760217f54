// Browser-test helper: the real server on loopback over a fresh demo database, Debian's
// chromium driven by playwright-core, axe-core checks, and screenshots as artifacts.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, readdirSync, cpSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
const require = createRequire(join(ROOT, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const AXE = require.resolve('axe-core/axe.min.js');

export const BIN = process.env.GRIDLOOP_BIN || join(ROOT, 'build', 'gridloop');
export const WEB = process.env.GRIDLOOP_WEB || join(ROOT, 'build', 'web');
export const ARTIFACTS = join(HERE, 'artifacts');
export const PASSWORD = 'demo';
mkdirSync(ARTIFACTS, { recursive: true });

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRIDLOOP_')));

function initDemo(db, init) {
  execFileSync(BIN, ['init', '--db', db, '--demo', '--demo-password', PASSWORD, ...init], { env: cleanEnv(), stdio: 'ignore' });
}

// A new demo database in 'dir'. With GRIDLOOP_BROWSER_TEMPLATES set to a directory (`make browser`
// makes a fresh one per run and removes it after), `gridloop init --demo` runs once per distinct
// 'init' for the whole run and every server gets a copy of that database with the files beside it
// (.key, .audit-key, .triage, .files/): the copy the API suite's servers get (tests/api/conftest.py,
// copy_db). An init takes 1.8 s of CPU, 5-9 s wall on a loaded machine, and nearly every file
// starts a server. Two files that make the same template at once both init; the first rename wins.
// Without the variable (a file run by hand), each server inits its own database as before.
function newDemoDb(dir, init) {
  const db = join(dir, 'demo.db');
  const root = process.env.GRIDLOOP_BROWSER_TEMPLATES;
  if (!root) { initDemo(db, init); return db; }
  const tpl = join(root, createHash('sha256').update(JSON.stringify([BIN, init])).digest('hex').slice(0, 16));
  if (!existsSync(tpl)) {
    const tmp = mkdtempSync(join(root, 'making-'));
    initDemo(join(tmp, 'demo.db'), init);
    try { renameSync(tmp, tpl); } catch (e) {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      rmSync(tmp, { recursive: true, force: true }); // another file's template came first
    }
  }
  // Files keep their modes (the keys' 0600); directories too: --demo-cases stores its photos in
  // demo.db.files/.
  for (const f of readdirSync(tpl)) cpSync(join(tpl, f), join(dir, f), { recursive: true });
  return db;
}

// Start `gridloop serve` on a free loopback port over a new demo database ('init': more
// arguments for `gridloop init`, e.g. ['--district', '东城区']).
export async function startServer(extraArgs = [], { init = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gl-browser-'));
  const db = newDemoDb(dir, init);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--web', WEB,
    '--login-max-user-failures', '1000', '--login-max-ip-failures', '100000', ...extraArgs],
  { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 15000;
  for (;;) {
    try { const r = await fetch(url + '/healthz'); if (r.ok) break; } catch { /* not yet */ }
    if (proc.exitCode !== null) throw new Error('server exited: ' + stderr);
    if (Date.now() > deadline) throw new Error('server did not start: ' + stderr);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    db, // the server's SQLite file, for tests that write rows the UI cannot (the register)
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
    // A bearer-token API call, for checks beside the browser (the UI never uses this).
    async api(user, method, path, body) {
      const tok = await token(url, user);
      const r = await fetch(url + '/api/v1' + path, { method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: r.status === 204 ? null : await r.json() };
    },
  };
}

const tokens = new Map();
async function token(url, user) {
  const k = url + user;
  if (!tokens.has(k)) {
    const r = await fetch(url + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: user, password: PASSWORD }) });
    tokens.set(k, (await r.json()).token);
  }
  return tokens.get(k);
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
}

// A page for one role, signed in through the login form. Page errors fail the test that reads
// `page.errors`.
export async function loginPage(browser, srv, user, { viewport = { width: 1280, height: 900 }, elder = false, geolocation } = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    ...(geolocation ? { geolocation, permissions: ['geolocation'] } : {}) });
  if (elder) await ctx.addInitScript(() => localStorage.setItem('gl.elder', '1'));
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // Anything the Content-Security-Policy blocks is a page error too: the app must work under it.
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/.test(m.text())) page.errors.push(m.text()); });
  await page.goto(srv.url + '/#/login');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.locator('#logout:not([hidden])').waitFor();
  await page.locator('main h1').waitFor();
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true });
}

// axe-core over the current screen; returns the serious and critical violations.
export async function axe(page) {
  // Evaluated through the DevTools protocol, not as an inline <script>: the page's
  // Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// A tiny real PNG (2x2, red), for photo uploads.
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==', 'base64');

export async function goto(page, srv, hash) {
  await page.goto(srv.url + '/#' + hash);
  await page.locator('main h1').waitFor();
  await page.locator('main .loading').waitFor({ state: 'detached' }).catch(() => {});
}

// What a person reads on a zh-CN screen holds no English (server messages, internal words), no raw
// string key ("action.merge_in") and no bare internal id ("协办部门 3"). The allowed Latin words are
// names (the product, the map's data, file formats) and the keys as printed on a keyboard.
const LATIN_OK = new Set(['gridloop', 'Open311', 'OpenStreetMap', 'Leaflet', 'JPEG', 'PNG', 'WebP', 'XLSX', 'CSV', 'PDF', 'GeoJSON', 'Excel',
  'Ctrl', 'Alt', 'Enter', 'Shift', 'Tab', 'Esc']);
export async function readableProblems(page) {
  const text = await page.evaluate(() => {
    // Visible text only; the map's tiles carry no words of ours.
    const skip = document.querySelectorAll('.leaflet-control-attribution, script, style, noscript');
    for (const el of skip) el.dataset.scanSkip = '1';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const out = [];
    const literal = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[data-scan-skip]') || !el.getClientRects().length) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      // translate="no": what one types as is (account names); English there is not a leak.
      (el.closest('[translate="no"]') ? literal : out).push(n.textContent);
    }
    // Labels people hear too: aria-label, title, placeholder, alt.
    // A button in a table row that names its row's record (a login, a registered name) quotes it.
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
      const quotes = el.closest('[translate="no"]') || (el.closest('tr') && el.closest('tr').querySelector('[translate="no"]'));
      for (const a of ['aria-label', 'title', 'placeholder', 'alt']) if (el.getAttribute(a)) (quotes ? literal : out).push(el.getAttribute(a));
    }
    return { text: out.join('\n'), literal: literal.join('\n') };
  });
  const problems = [];
  const { text: words, literal } = text;
  for (const m of words.matchAll(/[A-Za-z][A-Za-z0-9'’]{2,}/g)) if (!LATIN_OK.has(m[0])) problems.push(`English "${m[0]}"`);
  for (const m of (words + '\n' + literal).matchAll(/\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:[._][a-z]+)*\b/g)) problems.push(`raw key "${m[0]}"`);
  // An id shows as a thing's kind and a number where its name belongs ("协办部门 3", "工单 41").
  for (const m of words.matchAll(/(?:部门|单位|区域|网格|分类|用户|工单|账号)[ ：:]?\d{1,9}(?![\d\-年月日件天时分%])/g)) problems.push(`bare id "${m[0]}"`);
  return [...new Set(problems)];
}
