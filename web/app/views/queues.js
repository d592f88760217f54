// Work queues: one list component, configured per role screen (tabs of queue presets).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, fmtTime, stateBadge, urgencyBadge, field, toast } from '../ui.js';
import { categories, departments } from '../data.js';
import { eventStream, QUEUE_EVENTS } from '../events.js';

// The dispatcher's queue shows what triage suggested at intake (`suggested`, staff only) with a
// one-click dispatch to the suggested department.
async function suggestionCell(c, reload) {
  const s = c.suggested;
  if (!s || !s.department_id) return h('td', { class: 'opt' }, '');
  const [cats, deps] = await Promise.all([categories(), departments()]);
  const cat = cats.find((x) => x.id === s.category_id);
  const dep = deps.find((x) => x.id === s.department_id);
  const label = `${cat ? cat.name + ' → ' : ''}${dep ? dep.name : s.department_id}`;
  return h('td', { class: 'opt' }, label, ' ', c.actions.includes('dispatch') ? h('button', {
    type: 'button', class: 'small', 'aria-label': `${t('queue.dispatch.suggested')} ${c.number}`,
    onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        const body = { action: 'dispatch', version: c.version, department: s.department_id };
        if (!c.category_id && s.category_id) body.category = s.category_id;
        await api.action(c.id, body);
        toast(t('case.done', { action: t('action.dispatch') }));
        await reload();
      } catch (e) { ev.target.disabled = false; toast(e.plain()); }
    },
  }, t('queue.dispatch.suggested')) : null);
}

async function caseTable(items, caption, { suggestions, reload } = {}) {
  if (!items.length) return h('p', { class: 'empty' }, t('queue.empty'));
  const sugg = suggestions ? await Promise.all(items.map((c) => suggestionCell(c, reload))) : null;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cases' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('col.number')), h('th', { scope: 'col' }, t('col.title')),
      h('th', { scope: 'col' }, t('col.state')), h('th', { scope: 'col', class: 'opt' }, t('col.category')),
      h('th', { scope: 'col', class: 'opt' }, t('col.department')), h('th', { scope: 'col', class: 'opt' }, t('col.deadline')),
      sugg ? h('th', { scope: 'col', class: 'opt' }, t('col.suggested')) : null)),
    h('tbody', {}, items.map((c, i) => h('tr', { 'data-case': c.id, class: c.overdue ? 'overdue' : '' },
      h('td', {}, h('a', { href: `#/case/${c.id}` }, c.number)),
      h('td', {}, c.title),
      h('td', {}, stateBadge(c.state), ' ', urgencyBadge(c.urgency), c.overdue ? h('span', { class: 'badge overdue' }, t('case.overdue')) : null),
      h('td', { class: 'opt' }, c.category || ''),
      h('td', { class: 'opt' }, c.department || ''),
      h('td', { class: 'opt' }, fmtTime(c.deadlines && c.deadlines.resolve)),
      sugg ? sugg[i] : null)))));
}

// Cards instead of a table for the citizen's own list (reads better on a phone and aloud).
function caseCards(items) {
  if (!items.length) return h('p', { class: 'empty' }, t('mine.empty'));
  return h('ul', { class: 'case-cards' }, items.map((c) => h('li', { 'data-case': c.id },
    h('a', { href: `#/case/${c.id}` }, h('strong', {}, c.title)),
    h('div', {}, stateBadge(c.state), ' ', h('span', { class: 'muted' }, `${c.number} · ${fmtTime(c.created_at)}`)),
    // A reply waiting for the citizen's word is the one thing to do here: say so plainly.
    c.actions.includes('evaluate') ? h('a', { class: 'button primary', href: `#/case/${c.id}`,
      'aria-label': `${t('mine.evaluate')} ${c.title}` }, t('mine.evaluate')) : null)));
}

async function tabbed({ heading, tabs, query, cards, search, live = true, onCleanup }) {
  const wanted = query.get('tab');
  const cur = tabs.find((x) => x.key === wanted) || tabs[0];
  const list = h('div', { class: 'queue-list' });
  const nav = tabs.length > 1 ? h('nav', { class: 'tabs', 'aria-label': heading }, h('ul', {}, tabs.map((x) => h('li', {},
    h('a', { href: `#${location.hash.replace(/^#/, '').split('?')[0]}?tab=${x.key}`, 'aria-current': x === cur ? 'page' : null }, t(x.label)))))) : null;
  let q = '';
  async function load() {
    clear(list, h('p', { class: 'loading' }, t('app.loading')));
    const params = { ...cur.params };
    if (q) params.q = q;
    const r = await api.cases(params, 200);
    clear(list, cards ? caseCards(r.items) : await caseTable(r.items, t(cur.label), { suggestions: cur.suggestions, reload: load }));
  }
  let searchForm = null;
  if (search) {
    const inp = h('input', { type: 'search', name: 'q', maxlength: 100 });
    searchForm = h('form', { class: 'form inline', role: 'search' },
      field(t('queue.search'), inp, { names: ['q'] }),
      h('button', { type: 'submit' }, t('queue.search.go')));
    searchForm.addEventListener('submit', (ev) => { ev.preventDefault(); q = inp.value.trim(); load(); });
  }
  await load();
  // Queues follow the event stream: a notification in this user's scope reloads the list.
  if (live) {
    let timer = null;
    const later = () => { clearTimeout(timer); timer = setTimeout(() => load().catch(() => {}), 600); };
    const es = eventStream(QUEUE_EVENTS, later);
    onCleanup(() => { es.close(); clearTimeout(timer); });
  }
  return h('div', { class: 'queue' }, h('h1', {}, heading), nav, searchForm,
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'small', onclick: load }, t('app.refresh'))), list);
}

export const mine = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, cards: true, query,
  tabs: [{ key: 'mine', label: 'queue.mine', params: { queue: 'mine' } }] });

export const callback = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'replied', label: 'queue.replied', params: { state: 'replied', sort: 'updated' } },
    { key: 'mine', label: 'queue.mine', params: { queue: 'mine' } }] });

export const dispatch = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'to_dispatch', label: 'queue.to_dispatch', params: { queue: 'to_dispatch' }, suggestions: true },
    { key: 'returned', label: 'queue.returned', params: { queue: 'returned' } }] });

export const workbench = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'to_sign', label: 'queue.to_sign', params: { queue: 'to_sign' } },
    { key: 'to_handle', label: 'queue.to_handle', params: { queue: 'to_handle', sort: 'deadline' } },
    { key: 'overdue', label: 'queue.overdue', params: { queue: 'overdue', sort: 'deadline' } }] });

export const supervise = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'overdue', label: 'queue.overdue', params: { queue: 'overdue', sort: 'deadline' } },
    { key: 'pending', label: 'queue.pending', params: { queue: 'pending' } },
    { key: 'rectifying', label: 'queue.rectifying', params: { state: 'rectifying', sort: 'deadline' } }] });

export const allCases = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query, search: true,
  tabs: [{ key: 'all', label: 'queue.all', params: {} }] });
