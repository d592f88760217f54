// 申诉 as the citizen sees it: the appeals of a case with their outcome (the reason a person wrote),
// and, when the server says something may be appealed now (`appealable`), a button that opens the
// form. Used by the case page (signed in) and the public lookup (number and check code).
import { t } from './i18n.js';
import { h, clear, field, select, formBody, showError, clearErrors, fmtTime } from './ui.js';

// The reasons each kind of appeal may give, in the order offered ('other' last).
const REASONS = {
  closure: ['not_solved', 'evaluation_ignored', 'other'],
  category: ['wrong_category', 'other'],
  routing: ['wrong_department', 'other'],
  duplicate: ['not_duplicate', 'other'],
};
const SPEC = [
  { name: 'kind', required: true },
  { name: 'reason', required: true },
  { name: 'text', required: true },
];

// One appeal: what was appealed, when, and the outcome with the written reason.
export function appealItem(a) {
  return h('li', { class: 'appeal', 'data-status': a.status },
    h('div', {}, h('strong', {}, t('appeal.kind.' + a.kind)), ' · ', t('appeal.reason.' + a.reason), ' · ',
      h('time', { datetime: a.filed_at }, fmtTime(a.filed_at)), ' ',
      h('span', { class: `badge appeal-${a.status}` }, t('appeal.status.' + a.status))),
    h('p', { class: 'note' }, a.text),
    a.decision ? h('div', { class: 'appeal-decision' },
      h('strong', {}, t('appeal.decision')), ' ', h('span', { class: 'note' }, a.decision),
      a.category ? h('div', {}, t('appeal.corrected.category', { x: a.category.name })) : null,
      a.department ? h('div', {}, t('appeal.corrected.department', { x: a.department.name })) : null) : null);
}

// The section: `info` is {appeals, appealable, appeal_until}; `submit(body)` files an appeal and
// resolves when done (the caller reloads what it shows).
export function appealSection(info, submit) {
  const appeals = info.appeals || info.items || [];
  const kinds = info.appealable || [];
  if (!appeals.length && !kinds.length) return null;
  const slot = h('div', { class: 'appeal-form' });
  const open = kinds.length ? h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false',
    onclick: () => { open.setAttribute('aria-expanded', 'true'); clear(slot, form(kinds, submit)); slot.querySelector('select').focus(); } },
  t('appeal.button')) : null;
  return h('section', { class: 'card appeals', 'aria-labelledby': 'ap-h' },
    h('h2', { id: 'ap-h' }, t('appeal.heading')),
    appeals.length ? h('ol', { class: 'appeal-list' }, appeals.map(appealItem)) : null,
    kinds.length ? h('p', { class: 'hint' }, t('appeal.intro'),
      info.appeal_until ? ' ' + t('appeal.until', { at: fmtTime(info.appeal_until) }) : '',
      ' ', h('a', { href: '#/decisions' }, t('appeal.register_link'))) : null,
    open, slot);
}

function form(kinds, submit) {
  const kind = select(kinds.map((k) => [k, t('appeal.kind.' + k)]), { name: 'kind' });
  const reason = select([], { name: 'reason' });
  const fill = () => {
    const v = reason.value;
    clear(reason, REASONS[kind.value].map((r) => h('option', { value: r }, t('appeal.reason.' + r))));
    if (REASONS[kind.value].includes(v)) reason.value = v;
  };
  kind.addEventListener('change', fill);
  fill();
  const text = h('textarea', { name: 'text', rows: 4, maxlength: 2000 });
  const f = h('form', { class: 'form', novalidate: true },
    field(t('appeal.kind'), kind, { names: ['kind'], required: true }),
    field(t('appeal.reason'), reason, { names: ['reason'], required: true }),
    field(t('appeal.text'), text, { names: ['text'], required: true, hint: t('appeal.text.hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('appeal.submit'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    try {
      await submit(formBody(f, SPEC));
    } catch (e) {
      showError(f, e);
    }
  });
  return f;
}
