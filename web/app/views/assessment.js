// The assessment screen (考核): a month, a quarter, a year or any range of days, by department or
// by region, the weights in force, the ranking with 三率, the further KPIs (及时签收率, 整改率,
// 返工率, 延期率, the backlog at the period's end), each department's 协办单 and the counts behind them; each count opens
// the cases behind it; the same figures download as XLSX, CSV and the 通报 PDF for the period shown.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, showError } from '../ui.js';

const pad = (n) => String(n).padStart(2, '0');
const bj = (day) => `${day}T00:00:00+08:00`;
// A Beijing month as the API's half-open period.
function monthPeriod(ym) {
  const [y, m] = ym.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${pad(m + 1)}`;
  return { from: bj(`${ym}-01`), to: bj(`${next}-01`) };
}
function quarterPeriod(y, q) {
  const m = 3 * (q - 1) + 1;
  const next = q === 4 ? `${y + 1}-01-01` : `${y}-${pad(m + 3)}-01`;
  return { from: bj(`${y}-${pad(m)}-01`), to: bj(next) };
}
const yearPeriod = (y) => ({ from: bj(`${y}-01-01`), to: bj(`${y + 1}-01-01`) });
// A custom range of whole days, the last one included.
function rangePeriod(a, b) {
  const end = new Date(`${b}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  return { from: bj(a), to: bj(end.toISOString().slice(0, 10)) };
}
const pctText = (v) => (v === null || v === undefined ? t('assess.undefined') : `${(v * 100).toFixed(1)}%`);
const sum = (rows, k) => rows.reduce((a, r) => a + (r[k] || 0), 0);

// Triage's weekly accuracy per category: the share of the dispatchers' classifications that
// kept triage's first suggestion, per final category and week (Monday), worst first.
async function triageSection(p) {
  const cell = (x) => (x.n ? t('assess.triage.cell', { p: pctText(x.accuracy), k: x.kept, n: x.n }) : t('assess.triage.none'));
  let r;
  try {
    r = await api.get('/assessment/triage-accuracy', { from: p.from, to: p.to });
  } catch (e) {
    return h('section', { class: 'triage-accuracy' }, h('h2', {}, t('assess.triage.title')), h('p', { class: 'error' }, e.plain ? e.plain() : String(e)));
  }
  return h('section', { class: 'triage-accuracy', 'aria-labelledby': 'triage-acc-h' },
    h('h2', { id: 'triage-acc-h' }, t('assess.triage.title')),
    h('p', { class: 'muted' }, t('assess.triage.note')),
    r.items.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'triage-acc' },
      h('caption', { class: 'sr-only' }, t('assess.triage.title')),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('assess.triage.category')),
        r.weeks.map((w) => h('th', { scope: 'col' }, t('assess.triage.week', { d: w.monday }))),
        h('th', { scope: 'col' }, t('assess.triage.total')))),
      h('tbody', {}, r.items.map((x) => h('tr', { 'data-category': x.category_id },
        h('th', { scope: 'row' }, x.name),
        x.weeks.map((w) => h('td', {}, cell(w))),
        h('td', {}, cell(x)))))))
      : h('p', { class: 'empty' }, t('assess.triage.empty')));
}

// 诉求类型: the period's cases per kind of request (咨询, 求助, 投诉 ...) and how they ended; each
// count of received cases opens them.
async function kindSection(p) {
  let r;
  try {
    r = await api.get('/stats/kinds', { from: p.from, to: p.to });
  } catch (e) {
    return h('section', { class: 'kinds' }, h('h2', {}, t('assess.kinds.title')), h('p', { class: 'error' }, e.plain ? e.plain() : String(e)));
  }
  const open = (x) => `#/cases?${new URLSearchParams({ kind: x.kind, from: p.from, to: p.to })}`;
  return h('section', { class: 'kinds', 'aria-labelledby': 'kinds-h' },
    h('h2', { id: 'kinds-h' }, t('assess.kinds.title')),
    r.rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'assess-kinds' },
      h('caption', { class: 'sr-only' }, t('assess.kinds.title')),
      h('thead', {}, h('tr', {}, ['kind', 'received', 'answered', 'closed', 'close_rate', 'evaluated', 'satisfy']
        .map((k) => h('th', { scope: 'col' }, t('assess.kinds.col.' + k))))),
      h('tbody', {}, r.rows.map((x) => h('tr', { 'data-kind': x.kind },
        h('th', { scope: 'row' }, t('kind.' + x.kind)),
        h('td', {}, h('a', { href: open(x), 'aria-label': t('assess.kinds.open', { n: x.received, kind: t('kind.' + x.kind) }) }, String(x.received))),
        h('td', {}, String(x.answered)), h('td', {}, String(x.closed)), h('td', {}, pctText(x.close_rate)),
        h('td', {}, String(x.evaluated)), h('td', {}, pctText(x.satisfaction_rate)))))))
      : h('p', { class: 'empty' }, t('assess.kinds.empty')));
}

// 协办单: each group's sub-tasks issued in the period (派单协办 and 吹哨报到), with the on-time
// sign / check-in and answer rates, the lead's ratings and 协办满意率 (docs/assessment.md, "协办单");
// from the ranking's rows, no request of its own.
const ASSIST_COLS = ['assists', 'dispatch', 'whistle', 'sign', 'reply', 'satisfied', 'basic', 'unsatisfied', 'satisfaction', 'send_backs', 'overdue'];
function assistSection(rows) {
  const rate = (v, k, n) => (n ? t('assess.assists.rate', { p: pctText(v), k, n }) : pctText(null));
  const mine = rows.filter((x) => x.assists);
  return h('section', { class: 'assist-stats', 'aria-labelledby': 'assist-stats-h' },
    h('h2', { id: 'assist-stats-h' }, t('assess.assists.title')),
    h('p', { class: 'muted' }, t('assess.assists.intro')),
    mine.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'assess-assists' },
      h('caption', { class: 'sr-only' }, t('assess.assists.title')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('assess.col.name')),
        ASSIST_COLS.map((k) => h('th', { scope: 'col' }, t('assess.assists.col.' + k))))),
      h('tbody', {}, mine.map((x) => h('tr', { 'data-assist-group': x.id },
        h('th', { scope: 'row' }, x.name || t('assess.none_group')),
        h('td', {}, String(x.assists)), h('td', {}, String(x.assists_dispatch)), h('td', {}, String(x.assists_whistle)),
        h('td', { 'data-rate': 'sign' }, rate(x.assist_sign_rate, x.assists_signed_on_time, x.assists_sign_due)),
        h('td', { 'data-rate': 'reply' }, rate(x.assist_reply_rate, x.assists_replied_on_time, x.assists_reply_due)),
        h('td', {}, String(x.assists_satisfied)), h('td', {}, String(x.assists_basic)), h('td', {}, String(x.assists_unsatisfied)),
        h('td', { 'data-rate': 'satisfaction' }, pctText(x.assist_satisfaction_rate)),
        h('td', {}, String(x.assists_send_backs)), h('td', {}, String(x.assists_overdue)))))))
      : h('p', { class: 'empty' }, t('assess.assists.empty')));
}

// 层级处置: the period's closed cases per street by the level that closed them, with
// 小事不出网格率 and 大事不出社区率 (docs/assessment.md); the whole period first.
const LADDER_LEVELS = ['grid', 'community', 'street', 'district'];
async function ladderSection(p) {
  let r;
  try {
    r = await api.get('/stats/ladder', { from: p.from, to: p.to });
  } catch (e) {
    return h('section', { class: 'ladder-stats' }, h('h2', {}, t('assess.ladder.title')), h('p', { class: 'error' }, e.plain ? e.plain() : String(e)));
  }
  const row = (x, head) => h('tr', { 'data-street': x.code || '' },
    h('th', { scope: 'row' }, head),
    h('td', {}, String(x.closed)),
    LADDER_LEVELS.map((l) => h('td', {}, String(x.closed_by_level[l]))),
    h('td', {}, t('assess.ladder.kept', { k: x.grid_kept, n: x.grid_entered })), h('td', { 'data-rate': 'grid' }, pctText(x.grid_rate)),
    h('td', {}, t('assess.ladder.kept', { k: x.community_kept, n: x.community_entered })), h('td', { 'data-rate': 'community' }, pctText(x.community_rate)));
  return h('section', { class: 'ladder-stats', 'aria-labelledby': 'ladder-stats-h' },
    h('h2', { id: 'ladder-stats-h' }, t('assess.ladder.title')),
    h('p', { class: 'muted' }, t('assess.ladder.intro')),
    r.total.closed ? h('div', { class: 'table-wrap' }, h('table', { class: 'assess-ladder' },
      h('caption', { class: 'sr-only' }, t('assess.ladder.title')),
      h('thead', {}, h('tr', {}, ['street', 'closed', ...LADDER_LEVELS.map((l) => 'at_' + l), 'grid_kept', 'grid_rate', 'community_kept', 'community_rate']
        .map((k) => h('th', { scope: 'col' }, t('assess.ladder.col.' + k))))),
      h('tbody', {}, row(r.total, t('assess.ladder.total')), r.rows.map((x) => row(x, x.name || t('assess.ladder.no_street'))))))
      : h('p', { class: 'empty' }, t('assess.ladder.empty')));
}

export async function assessment({ title, query }) {
  const now = new Date();
  const year = now.getFullYear();
  const kind = select(['month', 'quarter', 'year', 'custom'].map((k) => [k, t('assess.kind.' + k)]),
    { name: 'period', value: query.get('period') || 'month' });
  const month = h('input', { type: 'month', name: 'month', value: query.get('month') || `${year}-${pad(now.getMonth() + 1)}` });
  const qYear = h('input', { type: 'number', name: 'year', min: '2000', max: '2999', step: '1', value: query.get('year') || String(year) });
  const quarter = select([1, 2, 3, 4].map((n) => [String(n), t('assess.quarter.n', { n })]),
    { name: 'quarter', value: query.get('quarter') || String(Math.floor(now.getMonth() / 3) + 1) });
  const today = `${year}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const dFrom = h('input', { type: 'date', name: 'from', value: query.get('from') || `${year}-${pad(now.getMonth() + 1)}-01` });
  const dTo = h('input', { type: 'date', name: 'to', value: query.get('to') || today });
  const by = select([['department', t('assess.by.department')], ['region', t('assess.by.region')]], { name: 'by', value: query.get('by') || 'department' });
  // By region: at which level of the region tree.
  const level = select(['district', 'street', 'community', 'grid'].map((l) => [l, t('assess.level.' + l)]),
    { name: 'level', value: query.get('level') || 'street' });
  const levelField = field(t('assess.level'), level, { names: ['level'] });
  const showLevel = () => { levelField.hidden = by.value !== 'region'; };
  by.addEventListener('change', showLevel);
  showLevel();
  // The weights of the composite score: the centre's settings until someone changes them here
  // (what-if rankings; the settings themselves change in the configuration).
  const WEIGHTS = ['response', 'solve', 'satisfy', 'on_time'];
  const weightIn = Object.fromEntries(WEIGHTS.map((k) => [k, h('input', { type: 'number', name: 'w_' + k, min: '0', max: '1', step: '0.05', inputmode: 'decimal' })]));
  let weightsTouched = false;
  for (const el of Object.values(weightIn)) el.addEventListener('input', () => { weightsTouched = true; });
  const weightBox = h('fieldset', { class: 'weights' }, h('legend', {}, t('assess.weights.legend')),
    WEIGHTS.map((k) => field(t('assess.weight.' + k), weightIn[k], { names: ['weights'] })));
  // The controls of each kind of period, shown only for the kinds that use them.
  const controls = [
    [['month'], field(t('assess.month'), month, { names: ['from', 'to'] })],
    [['quarter', 'year'], field(t('assess.year'), qYear, { names: ['from', 'to'] })],
    [['quarter'], field(t('assess.quarter'), quarter, { names: ['quarter'] })],
    [['custom'], field(t('assess.from'), dFrom, { names: ['from'] })],
    [['custom'], field(t('assess.to'), dTo, { names: ['to'] })],
  ];
  const showKind = () => { for (const [kinds, el] of controls) el.hidden = !kinds.includes(kind.value); };
  kind.addEventListener('change', showKind);
  showKind();
  const form = h('form', { class: 'form inline', 'aria-label': t('assess.period') },
    field(t('assess.kind'), kind, { names: ['period'] }),
    ...controls.map((c) => c[1]),
    field(t('assess.by'), by, { names: ['by'] }),
    levelField,
    weightBox,
    h('button', { type: 'submit', class: 'primary' }, t('assess.show')));
  const out = h('div', { class: 'assess-out', 'aria-live': 'polite' });
  const downloads = h('div', { class: 'buttons downloads' });
  function period() {
    switch (kind.value) {
      case 'quarter': return quarterPeriod(Number(qYear.value), Number(quarter.value));
      case 'year': return yearPeriod(Number(qYear.value));
      case 'custom': return rangePeriod(dFrom.value, dTo.value);
      default: return monthPeriod(month.value);
    }
  }
  function params() {
    const p = { ...period(), by: by.value };
    if (by.value === 'region') p.level = level.value;
    if (weightsTouched) p.weights = WEIGHTS.map((k) => Number(weightIn[k].value) || 0).join(',');
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
      h('a', { class: 'button primary', href: href('pdf'), download: '' }, t(kind.value === 'month' ? 'assess.pdf' : 'assess.pdf.' + kind.value)));
    const w = r.weights;
    // The boxes show the weights the figures were computed with.
    for (const k of WEIGHTS) if (w[k] !== undefined && !weightsTouched) weightIn[k].value = String(w[k]);
    const rows = r.rows.map((x) => h('tr', { 'data-group': x.id },
      h('td', {}, x.rank ? String(x.rank) : t('assess.unranked')),
      h('th', { scope: 'row' }, x.name || t('assess.none_group')),
      h('td', {}, x.score === null ? t('assess.undefined') : x.score.toFixed(2)),
      h('td', {}, pctText(x.response_rate)), h('td', {}, pctText(x.solve_rate)), h('td', {}, pctText(x.satisfaction_rate)),
      h('td', {}, pctText(x.on_time_rate)),
      h('td', {}, h('a', { href: drill(x, p), 'aria-label': t('assess.drill', { n: x.dispatched, name: x.name || t('assess.none_group'), what: t('assess.col.dispatched') }) }, String(x.dispatched))),
      h('td', {}, String(x.closed)),
      h('td', {}, h('a', { href: drill(x, p, { overdue: 'true' }), 'aria-label': t('assess.drill', { n: x.overdue, name: x.name || t('assess.none_group'), what: t('assess.col.overdue') }) }, String(x.overdue))),
      h('td', {}, String(x.evaluations)),
      h('td', {}, pctText(x.sign_rate)), h('td', {}, pctText(x.rectify_rate)),
      h('td', {}, pctText(x.rework_rate)), h('td', {}, pctText(x.extension_rate)),
      h('td', {}, t('assess.repeat_n', { n: x.repeated, r: pctText(x.repeat_rate) })),
      h('td', {}, t('assess.backlog_n', { n: x.backlog, o: x.backlog_overdue })),
      // 督办单 issued in the period, and the share answered by their deadline.
      h('td', {}, String(x.orders || 0)), h('td', {}, pctText(x.order_on_time_rate))));
    const answered = sum(r.rows, 'answered');
    const dispatched = sum(r.rows, 'dispatched');
    clear(out,
      h('p', { class: 'muted' }, t('assess.weights', { r: w.response, s: w.solve, m: w.satisfy, k: r.k })),
      h('p', { class: 'assess-summary' }, t('assess.summary', {
        from: p.from.slice(0, 10), to: new Date(Date.parse(r.to) + 8 * 3600e3 - 1).toISOString().slice(0, 10),
        d: dispatched, a: answered,
        r: pctText(answered + dispatched ? answered / (answered + dispatched) : null),
        b: sum(r.rows, 'backlog'), o: sum(r.rows, 'backlog_overdue') })),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'assess' },
        h('caption', { class: 'sr-only' }, title),
        h('thead', {}, h('tr', {}, ['rank', 'name', 'score', 'response', 'solve', 'satisfy', 'on_time', 'dispatched', 'closed', 'overdue', 'evaluations',
          'sign', 'rectify', 'rework', 'extension', 'repeat', 'backlog', 'orders', 'order_on_time']
          .map((k) => h('th', { scope: 'col' }, t('assess.col.' + k))))),
        h('tbody', {}, rows))) : h('p', { class: 'empty' }, t('assess.empty')),
      assistSection(r.rows),
      await kindSection(p),
      await ladderSection(p),
      await triageSection(p));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  await load();
  return h('div', { class: 'assessment' }, h('h1', {}, title), form, downloads, out);
}
