// The routing table: which department a category (in a region) goes to.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, formBody } from '../../ui.js';
import { categoryOptions, departments } from '../../data.js';
import { apiForm, table, rowButton } from './common.js';

const CREATE = [
  { name: 'category_id', type: 'int', required: true },
  { name: 'region_id', type: 'int', empty: null },
  { name: 'department_id', type: 'int', required: true },
  { name: 'priority', type: 'int', empty: 0 },
];

export async function routing(reload) {
  let rules;
  try { rules = await api.get('/routing-rules'); } catch (e) {
    if (e.status === 404) return h('p', { class: 'muted' }, t('admin.routing.unavailable'));
    throw e;
  }
  const deps = await departments();
  const cats = await categoryOptions('—');
  const depOpts = deps.map((d) => [String(d.id), d.name]);
  const create = apiForm(t('admin.add'), [
    field(t('admin.rule.category'), select(cats, { name: 'category_id' }), { names: ['category_id'], required: true }),
    field(t('admin.rule.region'), h('input', { name: 'region_id', type: 'number', min: 1 }), { names: ['region_id'] }),
    field(t('admin.rule.department'), select(depOpts, { name: 'department_id' }), { names: ['department_id'], required: true }),
    field(t('admin.priority'), h('input', { name: 'priority', type: 'number', value: '0' }), { names: ['priority'] }),
  ], (f) => api.post('/routing-rules', formBody(f, CREATE)), reload);
  const items = rules.items || [];
  return h('div', {}, table(t('admin.routing'), [t('admin.rule.category'), t('admin.rule.region'), t('admin.rule.department'), t('admin.priority'), ''],
    items.map((r) => [r.category_name || r.category_id, r.region_name || r.region_id || '', r.department_name || (deps.find((d) => d.id === r.department_id) || {}).name || r.department_id,
      r.priority, rowButton(t('app.delete'), `${t('app.delete')} ${r.id}`, () => api.del(`/routing-rules/${r.id}`), reload)])), create);
}
