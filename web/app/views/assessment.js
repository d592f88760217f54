// The assessment screen (考核): a month (or any period), by department or by region, the
// weights in force, the ranking with 三率 and the counts behind them; each count opens the
// cases behind it; the same figures download as XLSX or CSV, and the month as the 通报 PDF.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, showError } from '../ui.js';

const pad = (n) => String(n).padStart(2, '0');
// A Beijing month as the API's half-open period.
function monthPeriod(ym) {
  const [y, m] = ym.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${pad(m + 1)}`;
  return { from: `${ym}-01T00:00:00+08:00`, to: `${next}-01T00:00:00+08:00` };
}
const pctText = (v) => (v === null || v === undefined ? t('assess.undefined') : `${(v * 100).toFixed(1)}%`);

export async function assessment({ title, query }) {
  const now = new Date();
  const month = h('input', { type: 'month', name: 'month', value: query.get('month') || `${now.getFullYear()}-${pad(now.getMonth() + 1)}` });
  const by = select([['department', t('assess.by.department')], ['region', t('assess.by.region')]], { name: 'by', value: query.get('by') || 'department' });
  const form = h('form', { class: 'form inline', 'aria-label': t('assess.period') },
    field(t('assess.month'), month, { names: ['from', 'to'] }),
    field(t('assess.by'), by, { names: ['by'] }),
    h('button', { type: 'submit', class: 'primary' }, t('assess.show')));
  const out = h('div', { class: 'assess-out', 'aria-live': 'polite' });
  const downloads = h('div', { class: 'buttons downloads' });
  function params() {
    const p = { ...monthPeriod(month.value), by: by.value };
    if (by.value === 'region') p.level = 'street';
    return p;
  }
  const href = (format) => `/api/v1/stats/assessment?${new URLSearchParams({ ...params(), format })}`;
  // A count opens the cases behind it: the group's cases created in the period (the list's
  // filters); a region row filters by region, a department row by department.
  function drill(row, p, extra = {}) {
    const q = { from: p.from, to: p.to, ...extra };
    if (row.id) q[p.by === 'region' ? 'region' : 'department'] = row.id;
    return `#/cases?${new URLSearchParams(q)}`;
  }
  async function load() {
    const p = params();
    clear(out, h('p', { class: 'loading' }, t('app.loading')));
    let r;
    try { r = await api.get('/stats/assessment', p); } catch (e) { clear(out); showError(form, e); return; }
    clear(downloads,
      h('a', { class: 'button', href: href('xlsx'), download: '' }, t('assess.xlsx')),
      h('a', { class: 'button', href: href('csv'), download: '' }, t('assess.csv')),
      h('a', { class: 'button primary', href: href('pdf'), download: '' }, t('assess.pdf')));
    const w = r.weights;
    const rows = r.rows.map((x) => h('tr', { 'data-group': x.id },
      h('td', {}, x.rank ? String(x.rank) : t('assess.unranked')),
      h('th', { scope: 'row' }, x.name || t('assess.none_group')),
      h('td', {}, x.score === null ? t('assess.undefined') : x.score.toFixed(2)),
      h('td', {}, pctText(x.response_rate)), h('td', {}, pctText(x.solve_rate)), h('td', {}, pctText(x.satisfaction_rate)),
      h('td', {}, pctText(x.on_time_rate)),
      h('td', {}, h('a', { href: drill(x, p), 'aria-label': t('assess.drill', { n: x.dispatched, name: x.name || t('assess.none_group'), what: t('assess.col.dispatched') }) }, String(x.dispatched))),
      h('td', {}, String(x.closed)),
      h('td', {}, h('a', { href: drill(x, p, { overdue: 'true' }), 'aria-label': t('assess.drill', { n: x.overdue, name: x.name || t('assess.none_group'), what: t('assess.col.overdue') }) }, String(x.overdue))),
      h('td', {}, String(x.evaluations))));
    clear(out,
      h('p', { class: 'muted' }, t('assess.weights', { r: w.response, s: w.solve, m: w.satisfy, k: r.k })),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'assess' },
        h('caption', { class: 'sr-only' }, title),
        h('thead', {}, h('tr', {}, ['rank', 'name', 'score', 'response', 'solve', 'satisfy', 'on_time', 'dispatched', 'closed', 'overdue', 'evaluations']
          .map((k) => h('th', { scope: 'col' }, t('assess.col.' + k))))),
        h('tbody', {}, rows))) : h('p', { class: 'empty' }, t('assess.empty')));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  await load();
  return h('div', { class: 'assessment' }, h('h1', {}, title), form, downloads, out);
}
