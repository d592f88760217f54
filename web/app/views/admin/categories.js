// Categories: their department, urgency and SLA profile (edit), and new categories under a parent.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, formBody } from '../../ui.js';
import { categoryOptions, departments } from '../../data.js';
import { apiForm, table, code } from './common.js';

const EDIT = [
  { name: 'cat', key: 'id', type: 'int', required: true },
  { name: 'urgency' },
  { name: 'department_id', type: 'int' },
];
// The SLA profile is sent only when all three limits are given (else the category inherits).
const SLA = [
  { name: 'sign', key: 'sla.sign', type: 'int' },
  { name: 'reply', key: 'sla.reply', type: 'int' },
  { name: 'resolve', key: 'sla.resolve', type: 'int' },
  { name: 'unit', key: 'sla.unit' },
];
const CREATE = [
  { name: 'parent', key: 'parent_id', type: 'int', empty: null },
  { name: 'code', required: true },
  { name: 'cname', key: 'name', required: true },
  { name: 'department_id', type: 'int' },
  { name: 'keywords' },
];

export async function categories(reload) {
  const cats = (await api.get('/categories', { limit: 1000 })).items;
  const deps = await departments();
  const depName = (id) => (deps.find((d) => d.id === id) || {}).name || '';
  const slaText = (s) => (s ? `${s.sign}/${s.reply}/${s.resolve} ${t('admin.unit.' + s.unit)}` : t('admin.inherit'));
  const edit = apiForm(t('app.edit'), [
    field(t('field.category'), select(await categoryOptions('—'), { name: 'cat' }), { names: ['id'], required: true }),
    h('div', { class: 'cols' },
      field(t('admin.sla.sign'), h('input', { name: 'sign', type: 'number', min: 0 }), { names: ['sla.sign'] }),
      field(t('admin.sla.reply'), h('input', { name: 'reply', type: 'number', min: 0 }), { names: ['sla.reply'] }),
      field(t('admin.sla.resolve'), h('input', { name: 'resolve', type: 'number', min: 0 }), { names: ['sla.resolve', 'sla'] }),
      field(t('admin.sla.unit'), select(['work_hours', 'work_days', 'hours'].map((u) => [u, t('admin.unit.' + u)]), { name: 'unit' }), { names: ['sla.unit'] })),
    field(t('field.urgency'), select([['normal', t('urgency.normal')], ['urgent', t('urgency.urgent')], ['emergency', t('urgency.emergency')]], { name: 'urgency' }), { names: ['urgency'] }),
    field(t('field.department'), select([['', '—'], ...deps.map((d) => [String(d.id), d.name])], { name: 'department_id' }), { names: ['department_id'] }),
  ], (f) => {
    const { id, ...body } = formBody(f, EDIT);
    const { sla } = formBody(f, SLA);
    if (sla.sign !== undefined && sla.reply !== undefined && sla.resolve !== undefined) body.sla = sla;
    return api.patch(`/categories/${id}`, body);
  }, reload);
  edit.cat.addEventListener('change', () => {
    const c = cats.find((x) => x.id === Number(edit.cat.value));
    if (!c) return;
    edit.urgency.value = c.urgency; edit.department_id.value = c.department_id || '';
    if (c.sla) { edit.sign.value = c.sla.sign; edit.reply.value = c.sla.reply; edit.resolve.value = c.sla.resolve; edit.unit.value = c.sla.unit; }
  });
  const create = apiForm(t('admin.add'), [
    field(t('admin.parent'), select(await categoryOptions('—'), { name: 'parent' }), { names: ['parent_id'] }),
    field(t('admin.code'), h('input', { name: 'code', inputmode: 'numeric' }), { names: ['code'], required: true }),
    field(t('admin.name'), h('input', { name: 'cname' }), { names: ['name'], required: true }),
    field(t('field.department'), select([['', '—'], ...deps.map((d) => [String(d.id), d.name])], { name: 'department_id' }), { names: ['department_id'] }),
    field(t('admin.keywords'), h('input', { name: 'keywords' }), { names: ['keywords'] }),
  ], (f) => {
    const body = formBody(f, CREATE);
    const parent = cats.find((x) => x.id === body.parent_id);
    body.level = parent ? parent.level + 1 : 1;
    return api.post('/categories', body);
  }, reload);
  const shown = cats.filter((c) => c.level <= 2);
  return h('div', {}, edit, create, table(t('admin.categories'), [t('admin.code'), t('admin.name'), t('field.department'), t('admin.sla'), t('field.urgency')],
    shown.map((c) => [code(c.code), (c.level > 1 ? '\u3000' : '') + c.name, depName(c.department_id), slaText(c.sla), t('urgency.' + c.urgency)])));
}
