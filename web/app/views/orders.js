// 督办单: a supervisor's formal orders to departments. The list screen (supervisors and department
// staff, filtered by state, level, department and overdue) and the section of the case page where
// an order is issued, answered (书面答复), accepted or sent back. What each user may do with an
// order is the server's answer (`actions`, `can_issue`).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, checkbox, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { departments } from '../data.js';
import { duration } from '../deadline.js';

const LEVELS = ['general', 'key', 'listed'];
const STATES = ['issued', 'answered', 'accepted'];

export function levelBadge(level) {
  return h('span', { class: `badge order-${level}` }, t('order.level.' + level));
}

// Time left to answer, how late it is, or whether the answer came in time.
export function orderTime(o, now = Date.now()) {
  if (o.on_time !== null && o.on_time !== undefined && o.state !== 'issued') {
    return h('span', { class: `time-left ${o.on_time ? 'ok' : 'late'}` }, t(o.on_time ? 'order.on_time' : 'order.late_answer'));
  }
  const due = Date.parse(o.deadline);
  if (o.state !== 'issued' || Number.isNaN(due)) return null;
  const left = due - now;
  if (o.overdue || left < 0) return h('span', { class: 'time-left late' }, t('time.late', { d: duration(-left) }));
  return h('span', { class: `time-left ${left < 86400000 ? 'soon' : 'ok'}` }, t('time.left', { d: duration(left) }));
}

const STEP_FORMS = {
  answer: { fields: [{ name: 'answer', key: 'answer', required: true }], label: 'order.answer', area: true },
  accept: { fields: [{ name: 'note', key: 'note' }], label: 'field.note', area: true },
  send_back: { fields: [{ name: 'reason', key: 'reason', required: true }, { name: 'deadline', key: 'deadline', type: 'date' }],
    label: 'field.reason', area: true, deadline: true },
};
const STEP_PATH = { answer: 'answer', accept: 'accept', send_back: 'send-back' };

// One step's form on an order: its text, and for a send-back an optional new deadline.
function stepForm(o, step, done) {
  const spec = STEP_FORMS[step];
  const form = h('form', { class: 'form order-step', 'data-form': `order-${step}`, novalidate: true },
    h('h3', {}, t('order.step.' + step)),
    field(t(spec.label), h('textarea', { name: spec.fields[0].name, rows: 3 }), { names: [spec.fields[0].key], required: spec.fields[0].required }),
    spec.deadline ? field(t('order.new_deadline'), h('input', { type: 'datetime-local', name: 'deadline' }), { names: ['deadline'] }) : null,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const body = { version: o.version, ...formBody(form, spec.fields) };
      await api.post(`/supervision-orders/${o.id}/${STEP_PATH[step]}`, body);
      toast(t('order.done', { step: t('order.step.' + step) }));
      await done();
    } catch (e) { showError(form, e); }
  });
  return form;
}

function orderItem(o, done, withCase) {
  const slot = h('div', {});
  return h('li', { class: 'order', 'data-order': o.id },
    h('div', {}, levelBadge(o.level), ' ', h('strong', {}, t('order.state.' + o.state)), ' ', orderTime(o),
      withCase ? [' ', h('a', { href: `#/case/${o.case.id}` }, o.case.number), ' ', o.case.title] : null),
    h('dl', { class: 'facts' },
      h('dt', {}, t('order.department')), h('dd', {}, o.department.name),
      h('dt', {}, t('order.deadline')), h('dd', {}, fmtTime(o.deadline)),
      h('dt', {}, t('order.instruction')), h('dd', { class: 'note' }, o.instruction),
      o.answer ? [h('dt', {}, t('order.answer')), h('dd', { class: 'note order-answer' }, o.answer, h('span', { class: 'muted' }, ` · ${fmtTime(o.answered_at)}`))] : null,
      o.decision_note ? [h('dt', {}, t(o.state === 'accepted' ? 'order.accept_note' : 'order.send_back_reason')),
        h('dd', { class: 'note order-decision' }, o.decision_note)] : null,
      o.send_backs ? [h('dt', {}, t('order.send_backs')), h('dd', {}, String(o.send_backs))] : null),
    o.actions.length ? h('div', { class: 'buttons' }, o.actions.map((a) => h('button', {
      type: 'button', class: a === 'send_back' ? 'secondary' : 'primary', 'data-order-step': a,
      onclick: () => { clear(slot, stepForm(o, a, done)); slot.querySelector('textarea').focus(); },
    }, t('order.step.' + a)))) : null,
    slot);
}

// The issue form on the case page.
function issueForm(c, done) {
  const SPEC = [{ name: 'level', required: true }, { name: 'instruction', required: true },
    { name: 'deadline', type: 'date', required: true }];
  const form = h('form', { class: 'form order-issue', 'data-form': 'order-issue', novalidate: true },
    h('h3', {}, t('order.issue')),
    field(t('order.level'), select(LEVELS.map((l) => [l, t('order.level.' + l)]), { name: 'level' }), { names: ['level'], required: true }),
    field(t('order.instruction'), h('textarea', { name: 'instruction', rows: 3 }), { names: ['instruction'], required: true }),
    field(t('order.deadline'), h('input', { type: 'datetime-local', name: 'deadline' }), { names: ['deadline'], required: true }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('order.issue'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api.post(`/cases/${c.id}/supervision-orders`, formBody(form, SPEC));
      toast(t('order.issued'));
      await done();
    } catch (e) { showError(form, e); }
  });
  return form;
}

// The case page's 督办单 section: hidden for whom the server refuses the list (citizens, and
// roles that do not follow orders).
export function caseOrders(c) {
  const box = h('section', { class: 'card case-orders', hidden: true, 'aria-labelledby': 'ord-h' });
  async function draw() {
    let r;
    try { r = await api.get(`/cases/${c.id}/supervision-orders`); } catch { box.hidden = true; return; }
    if (!r.items.length && !r.can_issue) { box.hidden = true; return; }
    const formSlot = h('div', {});
    clear(box, h('h2', { id: 'ord-h' }, t('order.heading')),
      r.items.length ? h('ol', { class: 'orders' }, r.items.map((o) => orderItem(o, draw, false))) : h('p', { class: 'muted' }, t('order.none')),
      r.can_issue ? h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', 'data-order-step': 'issue',
        onclick: () => { clear(formSlot, issueForm(c, draw)); formSlot.querySelector('textarea').focus(); } }, t('order.issue'))) : null,
      formSlot);
    box.hidden = false;
  }
  draw();
  return box;
}

// The list screen.
export async function ordersList({ title, query }) {
  const root = h('div', { class: 'orders-screen' });
  const deps = await departments().catch(() => []);
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': t('order.filters') },
    field(t('order.state'), select([['', t('order.any')], ['issued,answered', t('order.open')], ...STATES.map((s) => [s, t('order.state.' + s)])],
      { name: 'state', value: query.state || '' }), { names: ['state'] }),
    field(t('order.level'), select([['', t('order.any')], ...LEVELS.map((l) => [l, t('order.level.' + l)])], { name: 'level', value: query.level || '' }), { names: ['level'] }),
    deps.length > 1 ? field(t('order.department'), select([['', t('order.any')], ...deps.map((d) => [String(d.id), d.name])],
      { name: 'department', value: query.department || '' }), { names: ['department'] }) : null,
    checkbox(t('order.overdue_only'), 'overdue', query.overdue === 'true'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('order.search'))));
  const list = h('div', { 'aria-live': 'polite' });
  async function draw() {
    const f = new FormData(filters);
    const params = { limit: 200 };
    for (const k of ['state', 'level', 'department']) if (f.get(k)) params[k] = f.get(k);
    if (f.get('overdue')) params.overdue = 'true';
    try {
      const r = await api.get('/supervision-orders', params);
      clear(list, h('p', { class: 'muted' }, t('order.count', { n: r.total })),
        r.items.length ? h('ol', { class: 'orders' }, r.items.map((o) => orderItem(o, draw, true))) : h('p', { class: 'empty' }, t('app.none')));
    } catch (e) { clear(list, h('p', { class: 'error' }, e.plain())); }
  }
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); draw(); });
  await draw();
  clear(root, h('h1', {}, title), filters, list);
  return root;
}
