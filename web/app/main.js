// The shell: session, navigation by role, the hash router, elder mode.
import { t } from './i18n.js';
import { api, setUnauthorizedHandler } from './api.js';
import { h, clear } from './ui.js';
import { session } from './session.js';
import * as views from './views/index.js';

// Screens by role, in the order they appear in the navigation; the first is the role's home.
const NAV = [
  { path: '/report', key: 'nav.report', roles: ['citizen', 'grid_worker'] },
  { path: '/mine', key: 'nav.mine', roles: ['citizen', 'grid_worker'] },
  { path: '/intake', key: 'nav.intake', roles: ['operator', 'admin'] },
  { path: '/callback', key: 'nav.callback', roles: ['operator'] },
  { path: '/dispatch', key: 'nav.dispatch', roles: ['dispatcher', 'admin'] },
  { path: '/workbench', key: 'nav.workbench', roles: ['handler'] },
  { path: '/supervise', key: 'nav.supervise', roles: ['supervisor', 'admin'] },
  { path: '/dashboard', key: 'nav.dashboard', roles: ['supervisor', 'data_officer', 'admin', 'dispatcher'] },
  { path: '/cases', key: 'nav.cases', roles: ['operator', 'dispatcher', 'supervisor', 'data_officer', 'admin', 'grid_worker', 'handler'] },
  { path: '/admin', key: 'nav.admin', roles: ['admin'] },
  { path: '/lookup', key: 'nav.lookup', roles: ['citizen'] },
];

const ROUTES = [
  [/^\/login$/, views.login, { public: true }],
  [/^\/lookup$/, views.lookup, { public: true }],
  [/^\/report$/, views.report],
  [/^\/mine$/, views.mine],
  [/^\/case\/(\d+)$/, views.casePage],
  [/^\/intake$/, views.intake],
  [/^\/callback$/, views.callback],
  [/^\/dispatch$/, views.dispatch],
  [/^\/workbench$/, views.workbench],
  [/^\/supervise$/, views.supervise],
  [/^\/dashboard$/, views.dashboard],
  [/^\/cases$/, views.allCases],
  [/^\/admin(?:\/(\w+))?$/, views.admin],
];

function navFor(user) {
  if (!user) return [];
  return NAV.filter((n) => n.roles.some((r) => user.roles.includes(r)));
}

function renderNav() {
  const nav = document.getElementById('nav');
  const items = navFor(session.user);
  const cur = parseHash().path;
  clear(nav, items.length ? h('ul', {}, items.map((n) => h('li', {},
    h('a', { href: '#' + n.path, 'aria-current': cur.startsWith(n.path) ? 'page' : null }, t(n.key))))) : null);
  const who = document.getElementById('who');
  who.textContent = session.user
    ? `${session.user.display_name || session.user.name}${t('p.paren', { x: session.user.roles.map((r) => t('role.' + r)).join(t('p.list')) })}`
    : '';
  document.getElementById('logout').hidden = !session.user;
}

export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?');
  return { path, query: new URLSearchParams(query || '') };
}

let renderSeq = 0;
async function route() {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const main = document.getElementById('main');
  if (session.cleanup) { session.cleanup(); session.cleanup = null; }
  if (path === '/' || path === '') {
    const home = navFor(session.user)[0];
    location.replace('#' + (home ? home.path : session.user ? '/cases' : '/login'));
    return;
  }
  let found = null;
  for (const [re, view, opts] of ROUTES) {
    const m = path.match(re);
    if (m) { found = { view, opts: opts || {}, params: m.slice(1) }; break; }
  }
  renderNav();
  if (!found) { clear(main, h('h1', {}, t('app.notfound'))); return; }
  if (!found.opts.public && !session.user) {
    location.replace('#/login?next=' + encodeURIComponent(path));
    return;
  }
  clear(main, h('p', { class: 'loading' }, t('app.loading')));
  // What a screen opens (event streams, key handlers) it registers here; it is closed when the
  // user leaves, or at once if the user left before the screen finished loading.
  const cleanups = [];
  const runCleanups = () => { for (const f of cleanups.splice(0)) { try { f(); } catch { /* already gone */ } } };
  try {
    const node = await found.view({ params: found.params, query, user: session.user, go, refresh: route,
      onCleanup: (f) => cleanups.push(f) });
    if (seq !== renderSeq) { runCleanups(); return; }
    session.cleanup = runCleanups;
    clear(main, node);
  } catch (e) {
    runCleanups();
    if (seq !== renderSeq) return;
    clear(main, h('h1', {}, t('app.title')), h('p', { class: 'error', role: 'alert' }, e.plain ? e.plain() : String(e)));
  }
  // Move focus to the new screen's heading so screen readers announce it.
  const h1 = main.querySelector('h1');
  if (h1 && !main.contains(document.activeElement)) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  document.title = (h1 ? h1.textContent + ' · ' : '') + t('app.title');
}

export function go(path) {
  if (location.hash === '#' + path) route();
  else location.hash = path;
}

function setElder(on) {
  document.documentElement.classList.toggle('elder', on);
  const b = document.getElementById('elder');
  b.setAttribute('aria-pressed', on ? 'true' : 'false');
  b.textContent = on ? t('app.elder.on') : t('app.elder.off');
  localStorage.setItem('gl.elder', on ? '1' : '0');
}

async function boot() {
  document.documentElement.lang = 'zh-CN';
  document.querySelector('.skip').textContent = t('app.skip');
  document.getElementById('nav').setAttribute('aria-label', t('app.nav'));
  document.getElementById('logout').textContent = t('app.logout');
  setElder(localStorage.getItem('gl.elder') === '1');
  document.getElementById('elder').addEventListener('click', () =>
    setElder(!document.documentElement.classList.contains('elder')));
  document.getElementById('logout').addEventListener('click', async () => {
    await api.logout();
    session.user = null;
    go('/login');
  });
  setUnauthorizedHandler(() => {
    session.user = null;
    const { path } = parseHash();
    if (path !== '/login') location.hash = '/login?next=' + encodeURIComponent(path);
  });
  try { session.user = await api.me(); } catch { session.user = null; }
  session.onChange = renderNav;
  window.addEventListener('hashchange', route);
  await route();
}

boot();
