// The shell: session, navigation by role, the hash router, elder mode.
import { t } from './i18n.js';
import { api, setUnauthorizedHandler } from './api.js';
import { h, clear } from './ui.js';
import { session } from './session.js';
import { match, loadView, navFor, homeFor, linkOf } from './screens.js';

function renderNav() {
  const nav = document.getElementById('nav');
  const items = navFor(session.user);
  const cur = parseHash().path;
  clear(nav, items.length ? h('ul', {}, items.map((n) => h('li', {},
    h('a', { href: '#' + linkOf(n), 'aria-current': cur.startsWith(linkOf(n)) ? 'page' : null }, t(n.nav),
      n.badge ? badge : null)))) : null);
  const who = document.getElementById('who');
  who.textContent = session.user
    ? `${session.user.display_name || session.user.name}${t('p.paren', { x: session.user.roles.map((r) => t('role.' + r)).join(t('p.list')) })}`
    : '';
  document.getElementById('logout').hidden = !session.user;
}

// The unread-message count on the navigation: asked for on every screen change and every
// BADGE_MS, and set at once by the message centre when it has the counts anyway.
const BADGE_MS = 30000;
const badge = h('span', { class: 'badge', hidden: true });
let badgeTimer = null;
export async function refreshBadge(counts) {
  clearTimeout(badgeTimer);
  if (!session.user) { badge.hidden = true; return; }
  badgeTimer = setTimeout(() => refreshBadge(), BADGE_MS);
  let c = counts;
  if (!c) { try { c = await api.get('/me/messages/counts'); } catch { return; } }
  badge.hidden = !c.total;
  badge.textContent = c.total >= c.cap ? c.cap + '+' : String(c.total);
  badge.setAttribute('aria-label', t('msg.badge', { n: badge.textContent }));
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
    location.replace('#' + homeFor(session.user));
    return;
  }
  const found = match(path);
  renderNav();
  refreshBadge();
  if (!found) { clear(main, h('h1', {}, t('app.notfound'))); return; }
  if (!found.screen.public && !session.user) {
    location.replace('#/login?next=' + encodeURIComponent(path));
    return;
  }
  clear(main, h('p', { class: 'loading' }, t('app.loading')));
  // What a screen opens (event streams, key handlers) it registers here; it is closed when the
  // user leaves, or at once if the user left before the screen finished loading.
  const cleanups = [];
  const runCleanups = () => { for (const f of cleanups.splice(0)) { try { f(); } catch { /* already gone */ } } };
  try {
    const view = await loadView(found.screen);
    const node = await view({ params: found.params, query, user: session.user, title: t(found.screen.title), go,
      refresh: route, onCleanup: (f) => cleanups.push(f) });
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
