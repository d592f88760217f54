import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, field, checkbox, select, showError, clearErrors, formBody } from '../ui.js';
import { regions } from '../data.js';

// 我的资料 and 我的数据 (docs/citizens.md): the profile only the citizen edits, everything stored
// about them, and deleting the account. The ID number is never sent back in clear: left empty,
// the stored one stays.
const FIELDS = [
  { name: 'name', empty: '' }, { name: 'id_number' }, { name: 'region_id', type: 'int' },
  { name: 'address', empty: '' }, { name: 'consent_offers', type: 'bool' },
];

function memberRow(m = {}) {
  const name = h('input', { type: 'text', class: 'member-name', value: m.name || '' });
  const rel = h('input', { type: 'text', class: 'member-relation', value: m.relation || '' });
  const row = h('div', { class: 'member' },
    field(t('profile.member.name'), name), field(t('profile.member.relation'), rel));
  row.append(h('button', { type: 'button', onclick: () => row.remove() }, t('profile.member.remove')));
  return row;
}

export async function profile({ title, go }) {
  const [p, data, communities] = await Promise.all([api.get('/me/profile'), api.get('/me/data'),
    regions('community').catch(() => [])]);
  const region = select([['', t('profile.region.none')], ...communities.map((r) => [String(r.id), r.name])],
    { name: 'region_id', value: p.region_id ? String(p.region_id) : '' });
  const members = h('div', { class: 'members' }, p.household.map(memberRow));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('profile.save'));
  const saved = h('p', { class: 'muted', role: 'status' });
  const form = h('form', { class: 'form narrow', novalidate: true },
    field(t('profile.name'), h('input', { type: 'text', name: 'name', value: p.name, autocomplete: 'name' }), { names: ['name'] }),
    field(t('profile.id_number'), h('input', { type: 'text', name: 'id_number', autocomplete: 'off', placeholder: p.id_number }),
      { names: ['id_number'], hint: p.id_number ? t('profile.id_number.kept') : null }),
    field(t('profile.region'), region, { names: ['region_id'] }),
    field(t('profile.address'), h('input', { type: 'text', name: 'address', value: p.address }), { names: ['address'] }),
    h('fieldset', { class: 'field', 'data-fields': 'household' }, h('legend', {}, t('profile.household')), members,
      h('button', { type: 'button', onclick: () => members.append(memberRow()) }, t('profile.member.add')),
      h('div', { class: 'error', role: 'alert', hidden: true })),
    checkbox(t('profile.consent'), 'consent_offers', p.consent_offers),
    h('div', { class: 'buttons' }, submit), saved);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    saved.textContent = '';
    let body;
    try { body = formBody(form, FIELDS); } catch (e) { showError(form, e); return; }
    if (!body.region_id) delete body.region_id;
    body.household = [...members.querySelectorAll('.member')].map((m) => ({
      name: m.querySelector('.member-name').value.trim(), relation: m.querySelector('.member-relation').value.trim() }));
    submit.disabled = true;
    try {
      await api.put('/me/profile', body);
      saved.textContent = t('profile.saved');
    } catch (e) {
      // household[2].relation: the message goes under the household as a whole.
      showError(form, e.field && e.field.startsWith('household') ? Object.assign(e, { field: 'household' }) : e);
    } finally { submit.disabled = false; }
  });

  const del = h('button', { type: 'button', class: 'danger' }, t('profile.delete'));
  del.addEventListener('click', async () => {
    if (!window.confirm(t('profile.delete.confirm'))) return;
    await api.del('/me?confirm=erase');
    go('/login');
  });
  return h('div', {},
    h('h1', {}, title), form,
    h('h2', {}, t('profile.data')),
    h('p', {}, t('profile.data.intro')),
    h('h3', {}, t('profile.data.cases')),
    data.cases.length ? h('ul', {}, data.cases.map((c) => h('li', {}, h('a', { href: `#/case/${c.id}` }, c.number), ' ', c.title, t('p.paren', { x: t('cstate.' + c.state) }))))
      : h('p', { class: 'muted' }, t('profile.data.none')),
    h('h3', {}, t('profile.data.messages')),
    data.messages.length ? h('ul', {}, data.messages.map((m) => h('li', {}, m.text.replace('{code}', t('profile.data.code')))))
      : h('p', { class: 'muted' }, t('profile.data.none')),
    h('h2', {}, t('profile.delete.heading')),
    h('p', {}, t('profile.delete.intro')), del);
}
