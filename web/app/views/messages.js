// The message centre (消息中心): the notifications addressed to this person (GET /me/messages),
// grouped the way the centre speaks of them (新派单, 催办督办, 审批, 答复, 评价), each tab with its
// unread count; opening a message marks it read and goes to its case. The list is fed by the
// event stream: a new notice reloads it while the screen is open.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, fmtTime, toast, checkbox } from '../ui.js';
import { eventStream, ALL_EVENTS } from '../events.js';
import { refreshBadge } from '../main.js';

export const GROUPS = ['assign', 'urge', 'approval', 'reply', 'evaluation', 'other'];

export async function messages({ title, query, onCleanup }) {
  const group = GROUPS.includes(query.get('group')) ? query.get('group') : '';
  const unreadOnly = checkbox(t('msg.unread_only'), 'unread', query.get('unread') === '1');
  const list = h('ul', { class: 'messages', 'aria-live': 'polite' });
  const status = h('p', { class: 'list-status' });
  const counts = new Map();
  const tabs = h('nav', { class: 'tabs', 'aria-label': title }, h('ul', {}, ['', ...GROUPS].map((g) => h('li', {},
    h('a', { href: '#/messages' + (g ? '?group=' + g : ''), 'aria-current': g === group ? 'page' : null, 'data-group': g || 'all' },
      t('msg.group.' + (g || 'all')), counts.set(g, h('span', { class: 'count' })).get(g))))));
  const more = h('button', { type: 'button', class: 'small', hidden: true }, t('msg.more'));
  const readAll = h('button', { type: 'button', class: 'small secondary' }, t('msg.read_all'));
  let before = 0;

  function showCounts(u) {
    for (const [g, el] of counts) {
      const n = g ? u.groups[g] : u.total;
      el.textContent = n ? t('msg.tab.count', { n: n >= u.cap ? u.cap + '+' : n }) : '';
    }
    refreshBadge(u);
  }

  async function open(m) {
    if (!m.read) {
      try { showCounts(await api.post('/me/messages/read', { ids: [m.id] })); } catch (e) { toast(e.plain()); }
    }
    if (m.case_id) location.hash = `#/case/${m.case_id}`;
  }

  function item(m) {
    return h('li', { class: m.read ? 'msg read' : 'msg unread', 'data-message': m.id },
      h('button', { type: 'button', class: 'link msg-open', onclick: () => open(m) },
      m.read ? null : h('span', { class: 'dot', 'aria-hidden': 'true' }),
      m.read ? null : h('span', { class: 'sr-only' }, t('msg.unread')),
      h('span', { class: 'msg-kind' }, t('msg.group.' + m.group)),
      h('span', { class: 'msg-text' }, m.message)),
      h('span', { class: 'muted msg-at' }, fmtTime(m.at)));
  }

  async function load(append) {
    const params = { limit: 30, ...(group ? { group } : {}), ...(unreadOnly.querySelector('input').checked ? { unread: 1 } : {}) };
    if (append && before) params.before = before;
    let r;
    try { r = await api.get('/me/messages', params); } catch (e) { status.textContent = e.plain(); return; }
    if (!append) clear(list);
    list.append(...r.items.map(item));
    before = r.next_before || 0;
    more.hidden = !r.next_before;
    status.textContent = list.children.length
      ? t('msg.shown', { shown: list.children.length, total: r.total }) : t('msg.none');
    showCounts(r.unread);
  }

  more.addEventListener('click', () => load(true));
  unreadOnly.querySelector('input').addEventListener('change', () => load(false));
  readAll.addEventListener('click', async () => {
    try { showCounts(await api.post('/me/messages/read', { all: true })); await load(false); } catch (e) { toast(e.plain()); }
  });
  const stream = eventStream(ALL_EVENTS, () => load(false));
  onCleanup(() => stream.close());
  await load(false);
  return h('section', { class: 'message-centre' }, h('h1', {}, title), tabs,
    h('div', { class: 'buttons' }, unreadOnly, readAll), status, list, more);
}
