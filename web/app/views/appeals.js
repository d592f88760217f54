// 申诉审核: the supervisors' queue of citizens' appeals (their scope, the server's decision). Each
// appeal shows the case, what was appealed and what triage had decided; a person upholds it (the
// case is reopened, its category corrected or its merge undone) or rejects it, and writes the
// reason the citizen will read.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, choiceGroup, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { departments } from '../data.js';
import { categoryPicker } from '../pickers.js';

const TABS = [['open', 'appeals.tab.open'], ['all', 'appeals.tab.all']];

export async function appeals({ title, query }) {
  const status = TABS.some(([k]) => k === query.get('status')) ? query.get('status') : 'open';
  const list = h('div', { class: 'appeal-queue', 'aria-live': 'polite' });
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('appeals.tabs') },
    TABS.map(([k, key]) => h('a', { href: `#/appeals?status=${k}`, 'aria-current': k === status ? 'page' : null }, t(key))));
  async function load() {
    const r = await api.get('/appeals', { status, limit: 200 });
    clear(list,
      h('p', { class: 'muted' }, t('appeals.total', { n: r.total })),
      r.items.length ? h('ol', { class: 'cards' }, await Promise.all(r.items.map((a) => item(a, load)))) : h('p', {}, t('appeals.empty')));
  }
  await load();
  return h('div', {}, h('h1', {}, title), h('p', { class: 'hint' }, t('appeals.intro')), tabs, list);
}

async function item(a, reload) {
  const triage = [
    a.triage_category ? t('appeals.triage_category', { x: a.triage_category.name }) : null,
    a.triage_department ? t('appeals.triage_department', { x: a.triage_department.name }) : null,
  ].filter(Boolean).join(t('p.semi'));
  return h('li', { class: 'card appeal', 'data-appeal': a.id, 'data-status': a.status },
    h('h2', {}, h('a', { href: `#/case/${a.case_id}` }, t('case.heading', { number: a.case_number })), ' ', a.case_title),
    h('p', {}, h('strong', {}, t('appeal.kind.' + a.kind)), ' · ', t('appeal.reason.' + a.reason), ' · ',
      t('appeals.filed', { at: fmtTime(a.filed_at) }), a.by_lookup ? ' · ' + t('appeals.by_lookup') : '', ' · ',
      t('appeals.case_state', { x: t('state.' + a.case_state) })),
    h('p', { class: 'note' }, a.text),
    triage ? h('p', { class: 'muted' }, triage) : null,
    a.status === 'open' ? await decisionForm(a, reload)
      : h('p', {}, h('span', { class: `badge appeal-${a.status}` }, t('appeal.status.' + a.status)), ' ',
        a.decided_by ? t('appeals.decided_by', { who: a.decided_by, at: fmtTime(a.decided_at) }) : '', ' ',
        h('span', { class: 'note' }, a.decision)));
}

async function decisionForm(a, reload) {
  const decision = choiceGroup(t('appeals.decision'), 'radio', 'decision',
    [['uphold', t('appeals.uphold.' + a.kind)], ['reject', t('appeals.reject')]]);
  const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000 });
  const extra = h('div', {});
  const spec = [{ name: 'decision', required: true }, { name: 'note', required: true }];
  if (a.kind === 'category') {
    const picker = await categoryPicker({ label: t('appeals.right_category'), name: 'category' });
    extra.append(picker.wrap);
    spec.push({ name: 'category', type: 'int' });
  }
  if (a.kind === 'category' || a.kind === 'routing') {
    const deps = await departments();
    extra.append(field(t('appeals.right_department'),
      select([['', t('app.none')], ...deps.map((d) => [String(d.id), d.name])], { name: 'department' }),
      { names: ['department'] }));
    spec.push({ name: 'department', type: 'int' });
  }
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': t('appeals.decide_for', { number: a.case_number }) },
    decision, extra,
    field(t('appeals.note'), note, { names: ['note'], required: true, hint: t('appeals.note.hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('appeals.submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api.post(`/appeals/${a.id}/decision`, formBody(form, spec));
      toast(t('appeals.done'));
      await reload();
    } catch (e) {
      showError(form, e);
    }
  });
  return form;
}
