// Public progress lookup by number + check code (what the QR code on a case opens).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, showError, clearErrors, formBody, fmtTime, stateBadge, toast } from '../ui.js';
import { appealSection } from '../appeal.js';

const FIELDS = [{ name: 'number', required: true }, { name: 'check_code', required: true }];

export async function lookup({ query, title }) {
  const number = h('input', { type: 'text', name: 'number', inputmode: 'numeric', value: query.get('number') || '' });
  const code = h('input', { type: 'text', name: 'check_code', inputmode: 'numeric', value: query.get('code') || '' });
  const out = h('div', { class: 'lookup-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'form narrow', novalidate: true },
    field(t('field.number'), number, { names: ['number'], required: true }),
    field(t('field.check_code'), code, { names: ['check_code'], required: true, hint: t('field.check_code.hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('lookup.submit'))));
  async function run() {
    clearErrors(form);
    try {
      const r = await api.get('/cases/lookup', formBody(form, FIELDS), { noAuthRedirect: true });
      clear(out, h('section', { class: 'card' },
        h('h2', {}, `${r.number} ${r.title}`),
        h('p', {}, stateBadge(r.state, true), r.department ? ` · ${r.department}` : ''),
        // The answer first: it is what the citizen came for.
        r.reply ? h('section', { class: 'reply-box' }, h('h3', {}, t('lookup.reply')), h('p', { class: 'note' }, r.reply)) : null,
        h('ol', { class: 'timeline' }, r.timeline.map((e) => h('li', {},
          h('time', { datetime: e.at }, fmtTime(e.at)), ' ', t('action.' + e.action), e.to ? ` → ${t('cstate.' + e.to)}` : '')))),
        // 申诉: the number and the check code prove the citizen here too.
        appealSection(r, async (body) => {
          const q = formBody(form, FIELDS);
          await api.post('/cases/lookup/appeals', { ...body, ...q }, { noAuthRedirect: true });
          toast(t('appeal.sent'));
          await run();
        }));
    } catch (e) {
      if (e.status === 404) e.field = 'number'; // err.not_found.number: no such number and code
      clear(out);
      showError(form, e);
    }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  if (number.value && code.value) setTimeout(run, 0);
  return h('div', {}, h('h1', {}, title), form, out,
    h('p', { class: 'hint' }, h('a', { href: '#/decisions' }, t('decisions.link'))));
}
