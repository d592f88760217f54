// 核实与核查: which categories' reports the grid worker verifies on site before dispatch (立案前核实),
// which replies they check on site before closure (结案前核查), and how long they have for each. A
// rule covers the category's subtree (the nearest rule up the tree decides, due times included);
// "all categories" is the default. Without any rule there are no tasks (docs/grid.md §4).
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, checkbox, formBody, fmtTime } from '../../ui.js';
import { categoryOptions } from '../../data.js';
import { apiForm, table } from './common.js';

const SET = [
  { name: 'category', type: 'int', required: true },
  { name: 'verify', type: 'bool' },
  { name: 'check', type: 'bool' },
  { name: 'verify_minutes', type: 'int' },
  { name: 'check_minutes', type: 'int' },
];

export async function gridtasks(reload) {
  const rules = (await api.get('/grid-task-rules')).items;
  const cats = await categoryOptions(t('review.all'));
  cats[0] = ['0', t('review.all')];
  const minutes = (name, value, max) => field(t('field.' + name), h('input', { type: 'number', name, min: '5', max, value: String(value) }), { names: [name] });
  const create = apiForm(t('gridrule.set'), [
    field(t('admin.rule.category'), select(cats, { name: 'category' }), { names: ['category'], required: true }),
    checkbox(t('gridrule.verify'), 'verify', true),
    minutes('verify_minutes', 60, '1440'),
    checkbox(t('gridrule.check'), 'check', false),
    minutes('check_minutes', 120, '10080'),
  ], (f) => api.put('/grid-task-rules', formBody(f, SET)), reload);
  const name = (r) => (r.default ? t('review.all') : r.category_name);
  const onOff = (on, mins) => (on ? t('gridrule.within', { n: mins }) : t('gridrule.none'));
  return h('div', {}, h('p', { class: 'muted' }, t('gridrule.explain')),
    table(t('admin.gridtasks'), [t('admin.rule.category'), t('gridrule.verify_col'), t('gridrule.check_col'), t('review.updated')],
      rules.map((r) => [name(r), onOff(r.verify, r.verify_minutes), onOff(r.check, r.check_minutes), fmtTime(r.updated_at)])),
    create);
}
