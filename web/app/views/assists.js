// 协办单 and 吹哨报到 on the case page: every assisting department's sub-task (from a dispatch or a
// whistle) with its deadlines, check-in, answer and assessment; the lead's consolidated draft; the
// whistle form for a street or community official. What each user may do is the server's answer
// (`actions`, `can_whistle`).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, checkbox, choiceGroup, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { departments } from '../data.js';

const RATINGS = ['satisfied', 'basic', 'unsatisfied'];

function stepLabel(s, step) {
  return t(step === 'sign' && s.whistle ? 'assist.step.checkin' : 'assist.step.' + step);
}

function stepForm(s, step, done) {
  const SPEC = step === 'reply' ? [{ name: 'reply', required: true }]
    : [{ name: 'rating', required: true }, { name: 'note' }];
  const form = h('form', { class: 'form assist-step', 'data-form': `assist-${step}`, novalidate: true },
    h('h3', {}, stepLabel(s, step)),
    step === 'reply'
      ? field(t('assist.reply'), h('textarea', { name: 'reply', rows: 3 }), { names: ['reply'], required: true })
      : [choiceGroup(t('assist.rating'), 'radio', 'rating', RATINGS.map((r) => [r, t('assist.rating.' + r)])),
        field(t('assist.assess_note'), h('textarea', { name: 'note', rows: 2 }), { names: ['note'] })],
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api.post(`/assists/${s.id}/${step}`, { version: s.version, ...formBody(form, SPEC) });
      toast(t('assist.done', { step: stepLabel(s, step) }));
      await done();
    } catch (e) { showError(form, e); }
  });
  return form;
}

function lateBadge(late, key) {
  return late ? h('span', { class: 'badge late' }, t(key)) : null;
}

function assistItem(s, done, withCase = false) {
  const slot = h('div', {});
  const sign = async () => {
    try {
      await api.post(`/assists/${s.id}/sign`, { version: s.version });
      toast(t('assist.done', { step: stepLabel(s, 'sign') }));
      await done();
    } catch (e) { toast(e.plain()); }
  };
  return h('li', { class: 'assist', 'data-assist': s.id, 'data-department': s.department.id },
    h('div', {}, h('span', { class: 'badge' }, t(s.whistle ? 'assist.kind.whistle' : 'assist.kind.dispatch')), ' ',
      withCase ? [h('a', { href: `#/case/${s.case_id}` }, s.case_number), ' ', s.case_title, ' · '] : null,
      h('strong', {}, s.department.name), ' ',
      h('span', { class: 'assist-state' }, t((s.whistle ? 'assist.wstate.' : 'assist.state.') + s.state)), ' ',
      s.overdue ? h('span', { class: 'badge late' }, t('assist.overdue')) : null,
      lateBadge(s.sign_late, s.whistle ? 'assist.checkin_late' : 'assist.sign_late'),
      lateBadge(s.reply_late, 'assist.reply_late')),
    h('dl', { class: 'facts' },
      h('dt', {}, t(s.whistle ? 'assist.checkin_deadline' : 'assist.sign_deadline')), h('dd', {}, fmtTime(s.sign_deadline)),
      h('dt', {}, t('assist.deadline')), h('dd', {}, fmtTime(s.deadline)),
      s.signed_at ? [h('dt', {}, t(s.whistle ? 'assist.checked_in_at' : 'assist.signed_at')), h('dd', {}, fmtTime(s.signed_at))] : null,
      s.reply ? [h('dt', {}, t('assist.reply')), h('dd', { class: 'note assist-reply' }, s.reply, h('span', { class: 'muted' }, ` · ${fmtTime(s.replied_at)}`))] : null,
      s.rating ? [h('dt', {}, t('assist.rating')), h('dd', { class: 'assist-rating' }, t('assist.rating.' + s.rating),
        s.assess_note ? h('span', { class: 'muted' }, ` · ${s.assess_note}`) : null)] : null,
      s.send_backs ? [h('dt', {}, t('assist.send_backs')), h('dd', {}, String(s.send_backs))] : null),
    s.actions.length ? h('div', { class: 'buttons' }, s.actions.map((a) => h('button', {
      type: 'button', class: 'primary', 'data-assist-step': a,
      onclick: () => {
        if (a === 'sign') { sign(); return; }
        clear(slot, stepForm(s, a, done));
        slot.querySelector('textarea, input').focus();
      },
    }, stepLabel(s, a)))) : null,
    slot);
}

function localInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

async function whistleForm(c, done) {
  const deps = await departments().catch(() => []);
  const SPEC = [{ name: 'departments', type: 'list', of: 'int', required: true }, { name: 'reason', required: true },
    { name: 'deadline', type: 'date', required: true }, { name: 'checkin_hours', type: 'int', required: true }];
  const form = h('form', { class: 'form whistle-form', 'data-form': 'whistle', novalidate: true },
    h('h3', {}, t('assist.whistle')),
    choiceGroup(t('assist.whistle_departments'), 'checkbox', 'departments',
      deps.filter((d) => d.id !== c.department_id).map((d) => [String(d.id), d.name])),
    field(t('assist.whistle_reason'), h('textarea', { name: 'reason', rows: 3 }), { names: ['reason'], required: true }),
    field(t('assist.joint_deadline'), h('input', { type: 'datetime-local', name: 'deadline', value: localInput(Date.now() + 3 * 86400000) }),
      { names: ['deadline'], required: true }),
    field(t('assist.checkin_hours'), h('input', { type: 'number', name: 'checkin_hours', min: 1, max: 72, value: 2 }),
      { names: ['checkin_hours'], required: true }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('assist.whistle_submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api.post(`/cases/${c.id}/whistles`, formBody(form, SPEC));
      toast(t('assist.whistled'));
      await done();
    } catch (e) { showError(form, e); }
  });
  return form;
}

// The section; hidden when the case has no sub-task and the caller may not blow the whistle.
export function caseAssists(c) {
  const box = h('section', { class: 'card case-assists', hidden: true, 'aria-labelledby': 'as-h' });
  async function draw() {
    let r;
    try { r = await api.get(`/cases/${c.id}/assists`); } catch { box.hidden = true; return; }
    if (!r.items.length && !r.can_whistle) { box.hidden = true; return; }
    const formSlot = h('div', {});
    clear(box, h('h2', { id: 'as-h' }, t('assist.heading')),
      r.whistles.map((w) => h('div', { class: 'whistle', 'data-whistle': w.id },
        h('p', {}, h('strong', {}, t('assist.whistle_by', { who: w.blown_by || t('assist.someone') })), ' · ', fmtTime(w.blown_at)),
        h('p', { class: 'note' }, w.reason),
        h('p', { class: 'muted' }, t('assist.whistle_limits', { checkin: fmtTime(w.checkin_deadline), deadline: fmtTime(w.deadline) })))),
      r.items.length ? h('ol', { class: 'assists' }, r.items.map((s) => assistItem(s, draw))) : h('p', { class: 'muted' }, t('assist.none')),
      r.draft ? h('div', { class: 'assist-draft' }, h('h3', {}, t('assist.draft')), r.draft.split('\n').map((line) => h('p', { class: 'note' }, line))) : null,
      r.can_whistle ? h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', 'data-assist-step': 'whistle',
        onclick: async () => { clear(formSlot, await whistleForm(c, draw)); formSlot.querySelector('input').focus(); } }, t('assist.whistle'))) : null,
      formSlot);
    box.hidden = false;
  }
  draw();
  return box;
}

// The 协办单 screen: the sub-tasks of the caller's departments across cases, open ones first.
export async function assistsList({ title, query }) {
  const root = h('div', { class: 'assists-screen' });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': t('assist.filters') },
    field(t('assist.state'), select([['issued,signed', t('assist.open')], ['', t('assist.any')],
      ...['issued', 'signed', 'replied', 'assessed', 'cancelled'].map((x) => [x, t('assist.state.' + x)])],
    { name: 'state', value: query.state ?? 'issued,signed' }), { names: ['state'] }),
    checkbox(t('assist.overdue_only'), 'overdue', query.overdue === 'true'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('assist.search'))));
  const list = h('div', { 'aria-live': 'polite' });
  async function draw() {
    const f = new FormData(filters);
    const params = { limit: 200 };
    if (f.get('state')) params.state = f.get('state');
    if (f.get('overdue')) params.overdue = 'true';
    try {
      const r = await api.get('/assists', params);
      clear(list, h('p', { class: 'muted' }, t('assist.count', { n: r.total })),
        r.items.length ? h('ol', { class: 'assists' }, r.items.map((s) => assistItem(s, draw, true))) : h('p', { class: 'empty' }, t('app.none')));
    } catch (e) { clear(list, h('p', { class: 'error' }, e.plain())); }
  }
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); draw(); });
  await draw();
  clear(root, h('h1', {}, title), filters, list);
  return root;
}
