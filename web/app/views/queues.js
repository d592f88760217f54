// Work queues: one list component, configured per role screen (tabs of queue presets).
import { t } from '../i18n.js';
import { api, ApiError } from '../api.js';
import { h, clear, fmtTime, stateBadge, urgencyBadge, field, select, showError, clearErrors, fieldError, localToRfc3339, toast, listTotal } from '../ui.js';
import { categories, categoryOptions, departments, regions } from '../data.js';
import { eventStream, QUEUE_EVENTS } from '../events.js';
import { timeLeft, duration } from '../deadline.js';
import { departmentPicker } from '../pickers.js';

// How long a list reads on by itself when the server stops a short text's page early.
const SEARCH_READ_ON_MS = 3000;

// One case's error in a bulk answer, in the words the single action's error would have.
function apiErrorText(e) {
  const err = new ApiError(e.code === 'conflict' ? 409 : e.code === 'forbidden' ? 403 : 400, e.code, e.message, e.field);
  return err.plain();
}

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

// How long a case has waited in this queue: since it came in (new) or since it came back (the
// return's time when the row read it, else the case's last change).
function waited(c, returnedAt) {
  const from = Date.parse(c.state === 'returned' ? returnedAt || c.updated_at : c.created_at);
  return Number.isNaN(from) ? '' : duration(Date.now() - from);
}

// Why a department sent a case back (the returned queue): its latest return's note, read from
// the case's timeline.
async function returnReasonCell(c) {
  let ev = null;
  try {
    const full = await api.get(`/cases/${c.id}`);
    ev = (full.timeline || []).filter((e) => e.action === 'return').pop();
  } catch { /* the row still shows; the reason is on the case page */ }
  const cell = h('td', { class: 'return-reason' }, ev ? [ev.note || t('case.return_reason.none'),
    ev.actor_label ? h('span', { class: 'muted' }, ` · ${ev.actor_label}`) : null] : '');
  cell.at = ev ? ev.at : null;
  return cell;
}

// What a pending request asks (an extension to a date, a 挂账, an invalid callback) and why:
// the reason is the request's note on the timeline.
function pendingCell(c) {
  const cell = h('td', { class: 'pending-ask' });
  if (!c.pending) return cell;
  cell.append(h('strong', {}, t('action.' + c.pending.request)), c.pending.until ? ` ${t('queue.until', { at: fmtTime(c.pending.until) })}` : '');
  api.get(`/cases/${c.id}`).then((full) => {
    const ev = [...full.timeline].reverse().find((e) => e.action === c.pending.request);
    if (ev && ev.note) cell.append(h('div', { class: 'muted' }, t('queue.because', { why: ev.note })));
  }).catch(() => {});
  return cell;
}

async function caseTable(items, caption, { suggestions, reload, selected, waiting, reasons, urges, pending } = {}) {
  if (!items.length) return h('p', { class: 'empty' }, t('queue.empty'));
  const sugg = suggestions ? await Promise.all(items.map((c) => suggestionCell(c, reload))) : null;
  const why = reasons ? await Promise.all(items.map((c) => returnReasonCell(c))) : null;
  // With a selection, each row the user may act on has a box; the header box takes them all.
  const pick = (c) => {
    if (!selected || !c.actions.includes(selected.action || 'dispatch')) return h('td', {}, '');
    const box = h('input', { type: 'checkbox', 'aria-label': t('bulk.pick', { number: c.number }), checked: selected.has(c.id),
      onchange: (e) => { if (e.target.checked) selected.set(c.id, c); else selected.delete(c.id); selected.changed(); } });
    return h('td', {}, box);
  };
  const all = selected ? h('input', { type: 'checkbox', 'aria-label': t('bulk.all'), onchange: (e) => {
    for (const box of e.target.closest('table').querySelectorAll('tbody input[type=checkbox]')) {
      if (box.checked !== e.target.checked) { box.checked = e.target.checked; box.dispatchEvent(new Event('change')); }
    }
  } }) : null;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cases' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {},
      selected ? h('th', { scope: 'col' }, all) : null,
      h('th', { scope: 'col' }, t('col.number')), h('th', { scope: 'col' }, t('col.title')),
      h('th', { scope: 'col' }, t('col.state')), h('th', { scope: 'col', class: 'opt' }, t('col.category')),
      h('th', { scope: 'col', class: 'opt' }, t('col.department')), h('th', { scope: 'col', class: 'opt' }, t('col.deadline')),
      waiting ? h('th', { scope: 'col' }, t('col.waited')) : null,
      urges ? h('th', { scope: 'col' }, t('col.urges')) : null,
      pending ? h('th', { scope: 'col' }, t('col.pending')) : null,
      why ? h('th', { scope: 'col' }, t('case.return_reason')) : null,
      sugg ? h('th', { scope: 'col', class: 'opt' }, t('col.suggested')) : null)),
    h('tbody', {}, items.map((c, i) => h('tr', { 'data-case': c.id, class: c.overdue ? 'overdue' : '' },
      selected ? pick(c) : null,
      h('td', {}, h('a', { href: `#/case/${c.id}` }, c.number)),
      h('td', {}, c.title),
      // Time left sits with the state (not in the deadline column, hidden at phone width): the
      // handler on a phone sees it too.
      h('td', {}, stateBadge(c.state), ' ', urgencyBadge(c.urgency), ' ',
        timeLeft(c) || (c.overdue ? h('span', { class: 'badge overdue' }, t('case.overdue')) : null)),
      h('td', { class: 'opt' }, c.category || ''),
      h('td', { class: 'opt' }, c.department || ''),
      h('td', { class: 'opt' }, fmtTime(c.deadlines && c.deadlines.resolve)),
      waiting ? h('td', {}, waited(c, why && why[i].at)) : null,
      urges ? h('td', {}, t('queue.urges', { n: c.urge_count || 0 })) : null,
      pending ? pendingCell(c) : null,
      why ? why[i] : null,
      sugg ? sugg[i] : null)))));
}

// The dispatcher's bulk bar: the selected cases go to one department (with assisting ones and a
// note), each dispatched as its own action; what failed is said per case.
async function bulkBar(selected, reload) {
  const deps = await departments();
  const dep = select([['', t('bulk.department.pick')], ...deps.map((d) => [String(d.id), d.name])], { name: 'department' });
  const note = h('input', { type: 'text', name: 'note', maxlength: 500 });
  const count = h('span', { class: 'bulk-count', 'aria-live': 'polite' });
  const go = h('button', { type: 'submit', class: 'primary' }, t('bulk.dispatch'));
  const assist = await departmentPicker({ exclude: () => dep.value });
  const form = h('form', { class: 'form inline bulk-bar', 'aria-label': t('bulk.heading') }, count,
    field(t('field.department'), dep, { names: ['department'] }), assist.wrap,
    field(t('field.note'), note, { names: ['note'] }), go);
  selected.changed = () => {
    count.textContent = t('bulk.count', { n: selected.size });
    go.disabled = !selected.size;
  };
  selected.changed();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!dep.value) { showError(form, { field: 'department', plain: () => t('bulk.department.pick') }); return; }
    go.disabled = true;
    try {
      const body = { action: 'dispatch', department: Number(dep.value),
        cases: [...selected.values()].map((c) => ({ id: c.id, version: c.version })) };
      if (note.value.trim()) body.note = note.value.trim();
      if (assist.value.length) body.assisting = assist.value;
      const r = await api.post('/cases/bulk', body);
      const failed = r.items.filter((x) => !x.ok).map((x) => `${selected.get(x.id).number}${t('p.colon')}${apiErrorText(x.error)}`);
      toast(t('bulk.done', { n: r.done }) + (failed.length ? t('p.semi') + t('bulk.failed', { list: failed.join(t('p.list')) }) : ''));
      selected.clear();
      assist.reset();
      await reload();
    } catch (e) { showError(form, e); go.disabled = false; }
  });
  return form;
}

// The supervisor's batch 督办 of selected overdue cases: each urged as its own action, with one
// instruction for all; optionally a formal 督办单 for each as well (level and answer deadline,
// the instruction as its text), as the case page issues one.
const ORDER_LEVELS = ['general', 'key', 'listed'];
function urgeBar(selected, reload) {
  selected.action = 'urge';
  const note = h('input', { type: 'text', name: 'note', maxlength: 500 });
  const count = h('span', { class: 'bulk-count', 'aria-live': 'polite' });
  const go = h('button', { type: 'submit', class: 'primary' }, t('bulk.urge'));
  const withOrder = h('input', { type: 'checkbox', name: 'with_order' });
  const level = select(ORDER_LEVELS.map((l) => [l, t('order.level.' + l)]), { name: 'level' });
  const deadline = h('input', { type: 'datetime-local', name: 'deadline' });
  const orderFields = h('span', { class: 'order-fields', hidden: true },
    field(t('order.level'), level, { names: ['level'] }), field(t('order.deadline'), deadline, { names: ['deadline'] }));
  withOrder.addEventListener('change', () => { orderFields.hidden = !withOrder.checked; });
  const form = h('form', { class: 'form inline bulk-bar', 'aria-label': t('bulk.urge'), novalidate: true }, count,
    field(t('bulk.urge.note'), note, { names: ['note'] }),
    h('label', { class: 'check' }, withOrder, ' ', t('bulk.order')), orderFields, go);
  selected.changed = () => { count.textContent = t('bulk.count', { n: selected.size }); go.disabled = !selected.size; };
  selected.changed();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const order = withOrder.checked;
    if (order && !note.value.trim()) { showError(form, fieldError('note', t('bulk.order.note'))); return; }
    if (order && !deadline.value) { showError(form, fieldError('deadline', t('err.required', { label: t('order.deadline') }))); return; }
    go.disabled = true;
    try {
      const picked = [...selected.values()];
      const body = { action: 'urge', cases: picked.map((c) => ({ id: c.id, version: c.version })) };
      if (note.value.trim()) body.note = note.value.trim();
      const r = await api.post('/cases/bulk', body);
      const failed = r.items.filter((x) => !x.ok).map((x) => `${selected.get(x.id).number}${t('p.colon')}${apiErrorText(x.error)}`);
      let msg = t('bulk.urged', { n: r.done });
      if (order) {
        // One 督办单 per case, each its own audited request; a refusal is named with its case.
        const at = localToRfc3339(deadline.value);
        let issued = 0;
        for (const c of picked) {
          try {
            await api.post(`/cases/${c.id}/supervision-orders`, { level: level.value, instruction: note.value.trim(), deadline: at });
            issued++;
          } catch (e) { failed.push(`${c.number}${t('p.colon')}${e.plain()}`); }
        }
        msg += t('p.semi') + t('bulk.ordered', { n: issued });
      }
      toast(msg + (failed.length ? t('p.semi') + t('bulk.failed', { list: failed.join(t('p.list')) }) : ''));
      selected.clear();
      await reload();
    } catch (e) { showError(form, e); go.disabled = false; }
  });
  return form;
}

// Cards instead of a table for the citizen's own list (reads better on a phone and aloud).
function caseCards(items) {
  if (!items.length) return h('p', { class: 'empty' }, t('mine.empty'));
  return h('ul', { class: 'case-cards' }, items.map((c) => h('li', { 'data-case': c.id },
    h('a', { href: `#/case/${c.id}` }, h('strong', {}, c.title)),
    h('div', {}, stateBadge(c.state, true), ' ', h('span', { class: 'muted' }, `${c.number} · ${fmtTime(c.created_at)}`)),
    // A reply waiting for the citizen's word is the one thing to do here: say so plainly.
    c.actions.includes('evaluate') ? h('a', { class: 'button primary', href: `#/case/${c.id}`,
      'aria-label': `${t('mine.evaluate')} ${c.title}` }, t('mine.evaluate')) : null)));
}

// The filters a list may add to its tab's preset: one row per query parameter of GET /cases.
// `options` builds the choices (async: organisation lists); '' is "any".
const FILTERS = [
  { name: 'state', options: async () => STATES.map((x) => [x, t('state.' + x)]) },
  { name: 'kind', options: async () => KINDS.map((x) => [x, t('kind.' + x)]) },
  { name: 'urgency', options: async () => ['emergency', 'urgent', 'normal'].map((x) => [x, t('urgency.' + x)]) },
  { name: 'channel', options: async () => CHANNELS.map((x) => [x, t('channel.' + x)]) },
  { name: 'overdue', options: async () => [['true', t('filter.overdue.yes')], ['false', t('filter.overdue.no')]] },
  { name: 'category', options: async () => (await categoryOptions(t('filter.any'))).slice(1) },
  { name: 'department', options: async () => (await departments()).map((d) => [String(d.id), d.name]) },
  { name: 'region', options: async () => (await regions('street')).map((r) => [String(r.id), r.name]) },
];
// The place filters of GET /cases that only a map sets.
const PLACE_KEYS = ['bbox', 'near', 'radius', 'open'];
const STATES = ['new', 'dispatched', 'returned', 'processing', 'hanging', 'reviewing', 'replied', 'rectifying', 'closed', 'cancelled', 'merged'];
export const KINDS = ['complaint', 'consult', 'help', 'report', 'suggestion', 'praise'];
const CHANNELS = ['hotline', 'web', 'app', 'wechat', 'grid', 'sensor', 'open311', 'other'];
const SORTS = ['created', 'deadline', 'updated'];
const PAGE = 50;

// The filter form of a searchable list: the search box (a case number, a phone number, a name,
// an address or words), the filters above, a date range and the sort. Saved filters are the
// user's own, kept on the server (GET/POST/DELETE /api/v1/me/filters).
async function filterForm(onApply, initial) {
  const controls = await Promise.all(FILTERS.map(async (f) => {
    const s = select([['', t('filter.any')], ...await f.options()], { name: f.name });
    return field(t('filter.' + f.name), s, { names: [f.name] });
  }));
  // A list opened from a map (the dashboard's grids, clusters and hot places) carries a grid
  // that is not among the streets offered, and a place that no control shows: the grid becomes
  // an option, the place a note with a button that drops it.
  const regionSel = controls[FILTERS.findIndex((f) => f.name === 'region')].querySelector('select');
  if (initial && initial.region && ![...regionSel.options].some((o) => o.value === initial.region)) {
    const r = (await regions()).find((x) => String(x.id) === initial.region);
    if (r) regionSel.append(h('option', { value: String(r.id) }, r.name));
  }
  const placeBox = h('div', { class: 'map-filter' });
  function setPlace(v) {
    const keys = PLACE_KEYS.filter((k) => v && v[k] !== undefined && v[k] !== '');
    clear(placeBox, keys.length ? [keys.map((k) => h('input', { type: 'hidden', name: k, value: v[k] })),
      h('p', { class: 'muted' }, t(v.bbox ? 'filter.place.box' : v.near ? 'filter.place.near' : 'filter.place.open', { m: v.radius || 500 }), ' ',
        h('button', { type: 'button', class: 'small link', onclick: () => { setPlace(null); onApply(values()); } }, t('filter.place.clear')))] : null);
  }
  const q = h('input', { type: 'search', name: 'q', maxlength: 100 });
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const sort = select(SORTS.map((x) => [x, t('sort.' + x)]), { name: 'sort' });
  const form = h('form', { class: 'form filters', role: 'search' },
    field(t('queue.search'), q, { names: ['q'], hint: t('queue.search.hint') }),
    placeBox,
    h('details', { class: 'filter-more' }, h('summary', {}, t('filter.more')),
      h('div', { class: 'cols filter-grid' }, controls,
        field(t('filter.from'), from, { names: ['from'] }), field(t('filter.to'), to, { names: ['to'] }),
        field(t('filter.sort'), sort, { names: ['sort'] }))),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('queue.search.go')),
      h('button', { type: 'button', onclick: () => { form.reset(); setPlace(null); onApply(values()); } }, t('filter.clear'))));
  function values() {
    const v = {};
    for (const el of form.elements) {
      if (!el.name || !el.value) continue;
      // A date is a whole local day: "to" takes the day itself; a time a map gave is kept
      // while its day is left as it was.
      if ((el.name === 'from' || el.name === 'to') && el.dataset.exact && toDay(el.dataset.exact, el.name === 'to') === el.value) v[el.name] = el.dataset.exact;
      else if (el.name === 'from') v.from = new Date(el.value + 'T00:00:00').toISOString();
      else if (el.name === 'to') v.to = new Date(new Date(el.value + 'T00:00:00').getTime() + 86400000).toISOString();
      else v[el.name] = el.name === 'q' ? el.value.trim() : el.value;
    }
    if (v.sort === 'created') delete v.sort;
    return v;
  }
  function set(v) {
    form.reset();
    setPlace(v);
    for (const el of form.elements) {
      if (el.dataset) delete el.dataset.exact;
      if (!el.name || v[el.name] === undefined || PLACE_KEYS.includes(el.name)) continue;
      el.value = (el.name === 'from' || el.name === 'to') ? toDay(v[el.name], el.name === 'to') : v[el.name];
      if (el.name === 'from' || el.name === 'to') el.dataset.exact = v[el.name];
    }
    if (Object.keys(v).some((k) => k !== 'q' && !PLACE_KEYS.includes(k))) form.querySelector('details').open = true;
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); onApply(values()); });
  if (initial) set(initial);
  return { form, values, set };
}

function toDay(iso, end) {
  const d = new Date(new Date(iso).getTime() - (end ? 86400000 : 0));
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// The user's saved filters (a name and the query), listed as buttons beside the filter form.
async function savedFilters(filters, onPick) {
  const box = h('div', { class: 'saved-filters' });
  async function draw() {
    let items = [];
    try { items = (await api.get('/me/filters')).items; } catch { /* the list stays usable without them */ }
    const name = h('input', { type: 'text', name: 'name', maxlength: 40 });
    const save = h('form', { class: 'form inline' },
      field(t('filter.save.name'), name, { names: ['name'] }),
      h('button', { type: 'submit' }, t('filter.save')));
    save.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api.post('/me/filters', { name: name.value.trim(), query: filters.values() });
        toast(t('filter.saved'));
        await draw();
      } catch (e) { showError(save, e); }
    });
    clear(box, items.length ? h('ul', { class: 'chips', 'aria-label': t('filter.saved.list') }, items.map((x) => h('li', {},
      h('button', { type: 'button', class: 'small', onclick: () => { filters.set(x.query); onPick(x.query); } }, x.name),
      h('button', { type: 'button', class: 'small secondary', 'aria-label': t('filter.delete', { name: x.name }),
        onclick: async () => { try { await api.del(`/me/filters/${x.id}`); await draw(); } catch (e) { toast(e.plain()); } } }, '×')))) : null,
    save);
  }
  await draw();
  return box;
}

async function tabbed({ heading, tabs, query, cards, search, live = true, onCleanup }) {
  const wanted = query.get('tab');
  const cur = tabs.find((x) => x.key === wanted) || tabs[0];
  const list = h('div', { class: 'queue-list' });
  const status = h('p', { class: 'list-status', 'aria-live': 'polite' });
  const counts = new Map();
  const base = location.hash.replace(/^#/, '').split('?')[0];
  const nav = tabs.length > 1 ? h('nav', { class: 'tabs', 'aria-label': heading }, h('ul', {}, tabs.map((x) => h('li', {},
    h('a', { href: `#${base}?tab=${x.key}`, 'aria-current': x === cur ? 'page' : null }, t(x.label),
      counts.set(x.key, h('span', { class: 'count' })).get(x.key)))))) : null;
  // Every tab shows how many cases it holds (its list's total with limit=1).
  async function countTabs() {
    if (!nav) return;
    await Promise.all(tabs.map(async (x) => {
      try {
        const r = await api.get('/cases', { ...x.params, limit: 1 });
        counts.get(x.key).textContent = t('queue.tab.count', { n: listTotal(r) });
      } catch { counts.get(x.key).textContent = ''; }
    }));
  }
  let extra = {};
  let cursors = [null];
  let offsets = [0];
  let page = 0;
  const prev = h('button', { type: 'button', class: 'small', onclick: () => { page--; load(); } }, t('list.prev'));
  const next = h('button', { type: 'button', class: 'small', onclick: () => { page++; load(); } }, t('list.next'));
  const pager = h('div', { class: 'buttons pager' }, prev, next);
  // The dispatcher's tabs: rows to select for a bulk dispatch, and 特急 cases pinned above the
  // list (they are left out of it, so nothing shows twice).
  const selected = cur.bulk || cur.urge ? new Map() : null;
  const bar = cur.urge ? urgeBar(selected, () => load()) : selected ? await bulkBar(selected, () => load()) : null;
  const pinned = h('div', { class: 'pinned' });
  const exportBox = search ? h('div', { class: 'buttons exports' }) : null;
  async function load() {
    clear(list, h('p', { class: 'loading' }, t('app.loading')));
    const params = { ...cur.params, ...extra, limit: PAGE };
    if (cursors[page]) params.cursor = cursors[page];
    let pinnedN = 0;
    if (cur.pin && !extra.urgency) {
      const top = await api.get('/cases', { ...cur.params, ...extra, urgency: 'emergency', limit: 200 });
      clear(pinned, top.items.length ? h('section', { 'aria-labelledby': 'pin-h' }, h('h2', { id: 'pin-h' }, t('queue.emergency')),
        await caseTable(top.items, t('queue.emergency'), { suggestions: cur.suggestions, reload: load, selected, waiting: cur.waiting, reasons: cur.reasons, urges: cur.urges, pending: cur.pending })) : null);
      params.urgency = 'normal,urgent';
      pinnedN = top.items.length;
    }
    if (selected) { selected.clear(); selected.changed(); }
    if (exportBox) {
      // The list as it stands, as a file (the same filters; the server caps the rows).
      const q = new URLSearchParams(Object.entries({ ...cur.params, ...extra }).filter(([, v]) => v !== undefined && v !== ''));
      clear(exportBox,
        h('a', { class: 'button small', download: '', href: `/api/v1/cases/export?${q}&format=xlsx` }, t('list.export.xlsx')),
        h('a', { class: 'button small', download: '', href: `/api/v1/cases/export?${q}&format=csv` }, t('list.export.csv')));
    }
    const r = await api.get('/cases', params);
    // A search of one or two characters has no index: the server stops a page after a few ms of
    // reading (searched_to says how far back it got) and the next cursor reads on. Read on here
    // for a few seconds; past them the pager's next button reads on.
    const until = Date.now() + SEARCH_READ_ON_MS;
    while ('searched_to' in r && r.next_cursor && r.items.length < PAGE && Date.now() < until) {
      const more = await api.get('/cases', { ...params, cursor: r.next_cursor, limit: PAGE - r.items.length });
      r.items.push(...more.items);
      r.next_cursor = more.next_cursor;
      if ('searched_to' in more) r.searched_to = more.searched_to; else delete r.searched_to;
    }
    cursors[page + 1] = r.next_cursor;
    offsets[page + 1] = offsets[page] + r.items.length;
    const from = offsets[page] + 1;
    status.textContent = r.items.length
      ? t('list.status', { from, to: from + r.items.length - 1, total: listTotal(r) })
      : t(pinnedN ? 'queue.emergency.only' : 'searched_to' in r ? 'list.status.none.yet' : 'list.status.none');
    if ('searched_to' in r) {
      status.textContent += ' ' + (r.searched_to ? t('list.searched', { at: fmtTime(r.searched_to) }) : t('list.searched.some'));
    }
    prev.disabled = page === 0;
    next.disabled = !r.next_cursor;
    pager.hidden = page === 0 && !r.next_cursor;
    // With 特急 cases pinned above, an empty rest needs no second "empty" line.
    clear(list, cards ? caseCards(r.items) : !r.items.length && pinnedN ? null : await caseTable(r.items, t(cur.label),
      { suggestions: cur.suggestions, reload: load, selected, waiting: cur.waiting, reasons: cur.reasons, urges: cur.urges, pending: cur.pending }));
  }
  const apply = (v) => { extra = v; cursors = [null]; offsets = [0]; page = 0; load(); };
  let filters = null;
  let saved = null;
  if (search) {
    filters = await filterForm(apply, Object.fromEntries(query.entries()));
    extra = filters.values();
    saved = await savedFilters(filters, apply);
  }
  await Promise.all([load(), countTabs()]);
  // Queues follow the event stream: a notification in this user's scope reloads the list.
  if (live) {
    let timer = null;
    const later = () => { clearTimeout(timer); timer = setTimeout(() => { load().catch(() => {}); countTabs(); }, 600); };
    const es = eventStream(QUEUE_EVENTS, later);
    onCleanup(() => { es.close(); clearTimeout(timer); });
  }
  return h('div', { class: 'queue' }, h('h1', {}, heading), nav, filters ? filters.form : null, saved,
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'small', onclick: () => { load(); countTabs(); } }, t('app.refresh'))),
    bar, pinned, exportBox, status, list, pager);
}

export const mine = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, cards: true, query,
  tabs: [{ key: 'mine', label: 'queue.mine', params: { queue: 'mine' } }] });

export const callback = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'replied', label: 'queue.replied', params: { state: 'replied', sort: 'updated' } },
    { key: 'mine', label: 'queue.mine', params: { queue: 'mine' } }] });

export const dispatch = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'to_dispatch', label: 'queue.to_dispatch', params: { queue: 'to_dispatch' }, suggestions: true, bulk: true, pin: true, waiting: true },
    { key: 'returned', label: 'queue.returned', params: { queue: 'returned' }, pin: true, waiting: true, reasons: true },
    { key: 'reviewing', label: 'queue.reviewing', params: { state: 'reviewing', sort: 'updated' } }] });

export const workbench = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'to_sign', label: 'queue.to_sign', params: { queue: 'to_sign' } },
    { key: 'to_handle', label: 'queue.to_handle', params: { queue: 'to_handle', sort: 'deadline' } },
    { key: 'overdue', label: 'queue.overdue', params: { queue: 'overdue', sort: 'deadline' } }] });

export const supervise = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query,
  tabs: [{ key: 'overdue', label: 'queue.overdue', params: { queue: 'overdue', sort: 'deadline' }, urge: true, urges: true },
    { key: 'pending', label: 'queue.pending', params: { queue: 'pending' }, pending: true },
    { key: 'reviewing', label: 'queue.reviewing', params: { state: 'reviewing', sort: 'updated' } },
    { key: 'rectifying', label: 'queue.rectifying', params: { state: 'rectifying', sort: 'deadline' } }] });

export const allCases = ({ query, title, onCleanup }) => tabbed({ onCleanup, heading: title, query, search: true,
  tabs: [{ key: 'all', label: 'queue.all', params: {} }] });
