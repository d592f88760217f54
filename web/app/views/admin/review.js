// 办结审核: which categories' replies the centre reviews before the citizen gets them. A rule
// covers the category's subtree (the nearest rule up the tree decides); "all categories" is the
// default. Without any rule, replies go straight to the citizen.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, checkbox, formBody, fmtTime } from '../../ui.js';
import { categoryOptions } from '../../data.js';
import { apiForm, table, rowButton } from './common.js';

const SET = [
  { name: 'category', type: 'int', required: true },
  { name: 'review', type: 'bool' },
];

export async function review(reload) {
  const rules = (await api.get('/review-rules')).items;
  const cats = await categoryOptions(t('review.all'));
  cats[0] = ['0', t('review.all')];
  const create = apiForm(t('review.set'), [
    field(t('admin.rule.category'), select(cats, { name: 'category' }), { names: ['category'], required: true }),
    checkbox(t('review.needed'), 'review', true),
  ], (f) => api.put('/review-rules', formBody(f, SET)), reload);
  const name = (r) => (r.default ? t('review.all') : r.category_name);
  return h('div', {}, h('p', { class: 'muted' }, t('review.explain')),
    table(t('admin.review'), [t('admin.rule.category'), t('review.rule'), t('review.updated'), ''],
      rules.map((r) => [name(r), t(r.review ? 'review.on' : 'review.off'), fmtTime(r.updated_at),
        r.default ? '' : rowButton(t('app.delete'), `${t('app.delete')} ${name(r)}`, () => api.del(`/review-rules/${r.category}`), reload)])),
    create);
}
