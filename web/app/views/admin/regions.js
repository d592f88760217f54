// The region tree (district, street, community, grid) and new regions with a GeoJSON boundary.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select, formBody } from '../../ui.js';
import { apiForm, table, code } from './common.js';

const CREATE = [
  { name: 'code', required: true },
  { name: 'rname', key: 'name', required: true },
  { name: 'level' },
  { name: 'parent_id', type: 'int', empty: null },
  { name: 'boundary', type: 'json' },
];

export async function regions(reload) {
  const rs = (await api.get('/regions')).items;
  const byId = new Map(rs.map((r) => [r.id, r]));
  const create = apiForm(t('admin.add'), [
    field(t('admin.code'), h('input', { name: 'code' }), { names: ['code'], required: true }),
    field(t('admin.name'), h('input', { name: 'rname' }), { names: ['name'], required: true }),
    field(t('admin.level'), select(['district', 'street', 'community', 'grid'].map((l) => [l, t('admin.level.' + l)]), { name: 'level' }), { names: ['level'] }),
    field(t('admin.parent'), select([['', '—'], ...rs.filter((r) => r.level !== 'grid').map((r) => [String(r.id), `${r.code} ${r.name}`])], { name: 'parent_id' }), { names: ['parent_id'] }),
    field(t('admin.boundary'), h('textarea', { name: 'boundary', rows: 3 }), { names: ['boundary'] }),
  ], (f) => api.post('/regions', formBody(f, CREATE)), reload);
  const shown = rs.filter((r) => r.level !== 'grid');
  return h('div', {}, table(t('admin.regions'), [t('admin.code'), t('admin.name'), t('admin.level'), t('admin.parent')],
    shown.map((r) => [code(r.code), r.name, t('admin.level.' + r.level), (byId.get(r.parent_id) || {}).name || ''])),
  h('p', { class: 'muted' }, `${rs.length - shown.length} ${t('admin.level.grid')}`), create);
}
