// The region tree (district, street, community, grid, micro-grid): a map of the grids, new
// regions with a GeoJSON boundary, a whole region file imported at once (all or nothing, with
// the report of refused features and of gaps, overlaps and regions outside their parent), and
// the export (docs/grid.md §1).
import { t, has } from '../../i18n.js';
import { api } from '../../api.js';
import { h, clear, field, select, formBody, showError, clearErrors, toast } from '../../ui.js';
import { regionMap } from '../../map.js';
import { apiForm, table, code } from './common.js';

const CREATE = [
  { name: 'code', required: true },
  { name: 'rname', key: 'name', required: true },
  { name: 'level' },
  { name: 'parent_id', type: 'int', empty: null },
  { name: 'boundary', type: 'json' },
];
const LEVELS = ['district', 'street', 'community', 'grid', 'micro'];

const m2 = (v) => Math.round(v).toLocaleString('zh-CN');
const where = (i) => `${i.lat.toFixed(5)}, ${i.lon.toFixed(5)}`;

// A refused file in words: which feature, which field, why (never the server's English).
function refusal(rep) {
  const fieldName = (f) => t(has('rimp.f.' + f) ? 'rimp.f.' + f : 'fieldname.unknown');
  const why = (f) => t(has('rimp.why.' + f) ? 'rimp.why.' + f : 'rimp.why.other');
  return h('div', { class: 'import-report' },
    h('p', { class: 'error', role: 'alert' }, t('rimp.failed', { n: rep.errors_total })),
    table(t('rimp.title'), [t('rimp.col.feature'), t('rimp.col.code'), t('rimp.col.field'), t('rimp.col.why')],
      rep.errors.map((e) => [e.feature ? t('rimp.feature', { n: e.feature }) : t('rimp.whole_file'),
        e.code ? code(e.code) : '', fieldName(e.field), why(e.field)])),
    rep.errors_total > rep.errors.length
      ? h('p', { class: 'muted' }, t('rimp.more', { n: rep.errors_total - rep.errors.length })) : null);
}

// The tiling check of an imported file: warnings, the file was imported.
function tiling(rep) {
  const what = (i) => t('rimp.issue.' + i.kind, { parent: i.parent_code, code: i.code || '', other: i.other_code || '' });
  return h('div', {},
    h('p', {}, t('rimp.issues', { gaps: rep.gaps, overlaps: rep.overlaps, outside: rep.outside })),
    rep.issues.length ? table(t('rimp.issues.caption'), [t('rimp.col.issue'), t('rimp.col.area'), t('rimp.col.where')],
      rep.issues.map((i) => [what(i), m2(i.area_m2), where(i)])) : null);
}

export async function regions(reload) {
  const rs = (await api.get('/regions')).items;
  const byId = new Map(rs.map((r) => [r.id, r]));
  const create = apiForm(t('admin.add'), [
    field(t('admin.code'), h('input', { name: 'code' }), { names: ['code'], required: true }),
    field(t('admin.name'), h('input', { name: 'rname' }), { names: ['name'], required: true }),
    field(t('admin.level'), select(LEVELS.map((l) => [l, t('admin.level.' + l)]), { name: 'level' }), { names: ['level'] }),
    field(t('admin.parent'), select([['', '—'], ...rs.filter((r) => r.level !== 'micro').map((r) => [String(r.id), `${r.code} ${r.name}`])], { name: 'parent_id' }), { names: ['parent_id'] }),
    field(t('admin.boundary'), h('textarea', { name: 'boundary', rows: 3 }), { names: ['boundary'] }),
  ], (f) => api.post('/regions', formBody(f, CREATE)), reload);

  const counts = Object.fromEntries(LEVELS.map((l) => [l, rs.filter((r) => r.level === l).length]));
  const shown = rs.filter((r) => r.level !== 'grid' && r.level !== 'micro');

  // The grids on the map: every grid the tree holds, with its name on hover.
  const mapEl = h('div', { class: 'map regions-map' });
  regionMap(mapEl, { label: t('rimp.map'), grids: true }).catch(() => { mapEl.hidden = true; });

  const file = h('input', { type: 'file', name: 'file', accept: '.geojson,.json,application/geo+json' });
  const report = h('div', { 'aria-live': 'polite' });
  const importForm = h('form', { class: 'form card', novalidate: true },
    h('h2', {}, t('rimp.title')),
    field(t('rimp.file'), file, { names: ['file'], hint: t('rimp.hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('rimp.send'))),
    report);
  importForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(importForm);
    clear(report);
    const f = file.files[0];
    if (!f) { clear(report, h('p', { class: 'error', role: 'alert' }, t('rimp.choose'))); return; }
    try {
      const rep = await api.upload('/regions/import', new Blob([f], { type: 'application/geo+json' }));
      clear(report, h('p', { class: 'ok', role: 'status' }, t('rimp.done', { n: rep.features, created: rep.created, updated: rep.updated })),
        tiling(rep), h('button', { type: 'button', onclick: reload }, t('rimp.show')));
      toast(t('app.saved'));
    } catch (e) {
      if (e.body && e.body.report) clear(report, refusal(e.body.report));
      else showError(importForm, e);
    }
  });
  const exports = h('div', { class: 'card' }, h('h2', {}, t('rimp.export')),
    h('p', {}, h('a', { href: '/api/v1/regions/export', download: 'regions.geojson' }, t('rimp.export.link'))));

  return h('div', {},
    h('p', { class: 'muted' }, t('rimp.counts', counts)),
    mapEl,
    table(t('admin.regions'), [t('admin.code'), t('admin.name'), t('admin.level'), t('admin.parent')],
      shown.map((r) => [code(r.code), r.name, t('admin.level.' + r.level), (byId.get(r.parent_id) || {}).name || ''])),
    create, importForm, exports);
}
