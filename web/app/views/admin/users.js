// Users and their roles, region and departments.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, formBody } from '../../ui.js';
import { departments } from '../../data.js';
import { knownRoles } from '../../screens.js';
import { apiForm, table, rowButton } from './common.js';

const CREATE = [
  { name: 'name', required: true },
  { name: 'display_name' },
  { name: 'password', trim: false, required: true },
  { name: 'roles', type: 'list', empty: [] },
  { name: 'region' },
  { name: 'departments', type: 'list', of: 'int' },
  { name: 'phone' },
];
// An edit sets roles, region and departments as shown: an emptied one is cleared.
const EDIT = [
  { name: 'user', key: 'id', type: 'int', required: true },
  { name: 'roles', type: 'list', empty: [] },
  { name: 'region', empty: null },
  { name: 'departments', type: 'list', of: 'int', empty: [] },
];

export async function users(reload) {
  const r = await api.get('/users');
  const deps = await departments();
  // The roles offered are those the web has screens for (the screen registry).
  const roleBoxes = (prefix) => h('fieldset', { class: 'field choices', 'data-fields': 'roles' },
    h('legend', {}, t('admin.roles')),
    knownRoles().map((ro) => { const id = `${prefix}-${ro}`; return h('span', { class: 'choice' },
      h('input', { type: 'checkbox', id, name: 'roles', value: ro }), h('label', { for: id }, t('role.' + ro))); }),
    h('div', { class: 'error', role: 'alert', hidden: true }));
  const depSel = () => { const s = select(deps.map((d) => [String(d.id), d.name]), { name: 'departments', multiple: true }); s.size = 4; return s; };
  const create = apiForm(t('admin.add'), [
    field(t('login.name'), h('input', { name: 'name', autocomplete: 'off' }), { names: ['name'], required: true }),
    field(t('admin.display_name'), h('input', { name: 'display_name' }), { names: ['display_name'] }),
    field(t('admin.password'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }), { names: ['password'], required: true }),
    roleBoxes('new-role'),
    field(t('admin.region'), h('input', { name: 'region' }), { names: ['region'] }),
    field(t('admin.departments.ids'), depSel(), { names: ['departments'] }),
    field(t('admin.phone'), h('input', { name: 'phone', type: 'tel' }), { names: ['phone'] }),
  ], (f) => api.post('/users', formBody(f, CREATE)), reload);
  const edit = apiForm(t('app.edit'), [
    field(t('login.name'), select([['', '—'], ...r.items.map((u) => [String(u.id), `${u.name} ${u.display_name || ''}`])], { name: 'user' }), { names: ['id'], required: true }),
    roleBoxes('edit-role'),
    field(t('admin.region'), h('input', { name: 'region' }), { names: ['region'] }),
    field(t('admin.departments.ids'), depSel(), { names: ['departments'] }),
  ], (f) => { const { id, ...body } = formBody(f, EDIT); return api.patch(`/users/${id}`, body); }, reload);
  edit.user.addEventListener('change', () => {
    const u = r.items.find((x) => x.id === Number(edit.user.value));
    if (!u) return;
    for (const b of edit.querySelectorAll('input[name=roles]')) b.checked = u.roles.includes(b.value);
    edit.region.value = u.region || '';
    for (const o of edit.departments.options) o.selected = (u.departments || []).includes(Number(o.value));
  });
  // The login is an identifier one types, shown as is (translate="no"); people are named by
  // their display name.
  const rows = r.items.map((u) => [h('code', { translate: 'no' }, u.name), h('span', { translate: 'no' }, u.display_name), u.roles.map((x) => t('role.' + x)).join(t('p.list')), u.region || '',
    u.active ? t('app.yes') : t('app.no'),
    rowButton(u.active ? t('admin.disable') : t('admin.enable'), `${u.active ? t('admin.disable') : t('admin.enable')} ${u.display_name || u.name}`,
      () => api.patch(`/users/${u.id}`, { active: !u.active }), reload)]);
  return h('div', {}, table(t('admin.users'), [t('login.name'), t('admin.display_name'), t('admin.roles'), t('admin.region'), t('admin.active'), ''], rows), edit, create);
}
