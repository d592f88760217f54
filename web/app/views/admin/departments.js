// Departments: code, name, phone and the regions they serve.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, formBody } from '../../ui.js';
import { apiForm, table, code } from './common.js';

const CREATE = [
  { name: 'code', required: true },
  { name: 'dname', key: 'name', required: true },
  { name: 'phone' },
  { name: 'region_ids', type: 'list', of: 'int' },
];
// An edit sends every field as shown: an emptied phone or region list is cleared.
const EDIT = [
  { name: 'dep', key: 'id', type: 'int', required: true },
  { name: 'dname', key: 'name', empty: '' },
  { name: 'phone', empty: '' },
  { name: 'region_ids', type: 'list', of: 'int', empty: [] },
];

export async function departments(reload) {
  const deps = (await api.get('/departments')).items;
  const create = apiForm(t('admin.add'), [
    field(t('admin.code'), h('input', { name: 'code' }), { names: ['code'], required: true }),
    field(t('admin.name'), h('input', { name: 'dname' }), { names: ['name'], required: true }),
    field(t('admin.phone'), h('input', { name: 'phone', type: 'tel' }), { names: ['phone'] }),
    field(t('admin.region_ids'), h('input', { name: 'region_ids' }), { names: ['region_ids'] }),
  ], (f) => api.post('/departments', formBody(f, CREATE)), reload);
  const edit = apiForm(t('app.edit'), [
    field(t('field.department'), select([['', '—'], ...deps.map((d) => [String(d.id), `${d.code} ${d.name}`])], { name: 'dep' }), { names: ['id'], required: true }),
    field(t('admin.name'), h('input', { name: 'dname' }), { names: ['name'] }),
    field(t('admin.phone'), h('input', { name: 'phone', type: 'tel' }), { names: ['phone'] }),
    field(t('admin.region_ids'), h('input', { name: 'region_ids' }), { names: ['region_ids'] }),
  ], (f) => { const { id, ...body } = formBody(f, EDIT); return api.patch(`/departments/${id}`, body); }, reload);
  edit.dep.addEventListener('change', () => {
    const d = deps.find((x) => x.id === Number(edit.dep.value));
    if (!d) return;
    edit.dname.value = d.name; edit.phone.value = d.phone || ''; edit.region_ids.value = (d.region_ids || []).join(',');
  });
  return h('div', {}, table(t('admin.departments'), [t('admin.code'), t('admin.name'), t('admin.phone'), t('admin.active')],
    deps.map((d) => [code(d.code), d.name, d.phone || '', d.active ? t('app.yes') : t('app.no')])), edit, create);
}
