// 数据共享申请与授权 (issue 17, docs/data-sharing.md "申请与授权"): a department's staff request a
// dataset (申请), follow their requests and use their grants (我的授权: masked rows, the aggregate
// builder with small cells shown as "<k" and the privacy budget left, exports); the owner
// department's data officer decides (申请审批: approve / narrow / refuse with a reason).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, choiceGroup, toast, fmtTime, showError, formBody } from '../ui.js';
import { regions } from '../data.js';

const word = (kind, v) => t(`cat.${kind}.${v}`);
const TABS = ['grants', 'requests', 'inbox'];

function table(caption, cols, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t(k))))), h('tbody', {}, rows)));
}

const statusBadge = (s) => h('span', { class: `badge grant-${s}` }, t('grant.status.' + s));

function requestRow(r) {
  return h('tr', { 'data-request': r.id },
    h('td', {}, h('a', { href: `#/dataset/${r.dataset_id}` }, r.dataset_name)), h('td', {}, r.owner_department),
    h('td', {}, r.department), h('td', {}, String(r.fields.length)), h('td', {}, word('mode', r.mode)),
    h('td', {}, r.purpose), h('td', {}, word('status', r.status), r.reason ? h('div', { class: 'muted' }, r.reason) : null),
    h('td', {}, r.grant_id ? h('a', { href: `#/grant/${r.grant_id}` }, t('grant.open')) : ''),
    h('td', {}, fmtTime(r.created_at)));
}

const REQ_COLS = ['cat.col.dataset', 'cat.col.owner', 'cat.col.asker', 'grant.col.nfields', 'cat.col.mode', 'cat.col.purpose',
  'cat.col.status', 'grant.col.grant', 'cat.col.asked'];

// The row scope a grant may be limited to: the whole dataset, or one street or community (the
// grant then reads only rows resolved to that region or below it).
async function scopeOptions() {
  const [streets, communities] = await Promise.all([
    regions('street').catch(() => []), regions('community').catch(() => [])]);
  return [['', t('grant.all_regions')],
    ...streets.map((x) => [String(x.id), t('grant.scope.street', { name: x.name })]),
    ...communities.map((x) => [String(x.id), t('grant.scope.community', { name: x.name })])];
}

// The owner's decision on one pending request.
function decisionForm(r, d, reload, scopes) {
  const label = (name) => (d.fields.find((f) => f.name === name) || { label: name }).label;
  const opts = r.fields.map((n) => [n, label(n)]);
  const form = h('form', { class: 'form card', 'data-form': 'grant-decision', 'data-request': r.id, novalidate: true },
    h('h3', {}, t('grant.decide.heading', { dataset: r.dataset_name, dept: r.department })),
    h('p', {}, t('grant.decide.asked', { purpose: r.purpose, basis: r.legal_basis, days: r.period_days, mode: word('mode', r.mode) })),
    choiceGroup(t('fieldname.decision'), 'radio', 'decision',
      ['approve', 'narrow', 'refuse'].map((v) => [v, t('grant.decision.' + v)]), { checked: ['approve'] }),
    field(t('field.reason'), h('textarea', { name: 'reason', rows: 2, maxlength: 500 }), { names: ['reason'], hint: t('grant.reason.hint') }),
    choiceGroup(t('grant.narrow.fields'), 'checkbox', 'fields', opts, { checked: r.fields }),
    choiceGroup(t('fieldname.unmasked'), 'checkbox', 'unmasked', opts, { names: ['unmasked'] }),
    field(t('fieldname.period_days'), h('input', { type: 'number', name: 'period_days', min: 1, max: r.period_days, value: r.period_days }),
      { names: ['period_days'] }),
    field(t('grant.mode'), select([['rows', word('mode', 'rows')], ['aggregate', word('mode', 'aggregate')]],
      { name: 'mode', value: r.mode }), { names: ['mode'] }),
    field(t('fieldname.region_id'), select(scopes, { name: 'region_id', value: '' }),
      { names: ['region_id'], hint: t('grant.scope.hint') }),
    field(t('fieldname.k_min'), h('input', { type: 'number', name: 'k_min', min: d.k_min || 5, max: 1000, value: d.k_min || 5 }),
      { names: ['k_min'], hint: t('grant.k_min.hint') }),
    field(t('fieldname.epsilon_total'), h('input', { type: 'number', name: 'epsilon_total', min: 0, max: 10, step: 0.1, value: 0 }),
      { names: ['epsilon_total'], hint: t('grant.epsilon_total.hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('grant.decide.go'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const body = formBody(form, [{ name: 'decision' }, { name: 'reason' }, { name: 'fields', type: 'list' },
        { name: 'unmasked', type: 'list', empty: [] }, { name: 'period_days', type: 'int' }, { name: 'mode' },
        { name: 'epsilon_total', type: 'number' }, { name: 'region_id', type: 'int' }, { name: 'k_min', type: 'int' }]);
      if (!body.region_id) delete body.region_id;
      if (body.decision === 'refuse') {
        for (const k of ['fields', 'unmasked', 'period_days', 'mode', 'region_id', 'k_min', 'epsilon_total']) delete body[k];
      }
      await api.post(`/data-requests/${r.id}/decision`, body);
      toast(t('app.saved'));
      await reload();
    } catch (e) { showError(form, e); }
  });
  return form;
}

export async function grants({ params, title }) {
  const tab = TABS.includes(params[0]) ? params[0] : 'grants';
  const nav = h('nav', { class: 'tabs', 'aria-label': title }, h('ul', {}, TABS.map((k) => h('li', {},
    h('a', { href: `#/grants/${k}`, 'aria-current': k === tab ? 'page' : null }, t('grant.tab.' + k))))));
  const body = h('div', { class: 'grants-body', 'aria-live': 'polite' });
  const root = h('div', { class: 'grants' }, h('h1', {}, title), nav, body);
  const draw = async () => {
    if (tab === 'grants') {
      const r = await api.get('/data-grants', { limit: 500 });
      clear(body, table(t('grant.tab.grants'), ['cat.col.dataset', 'cat.col.owner', 'grant.col.holder', 'cat.col.mode', 'grant.col.expires',
        'grant.col.budget', 'cat.col.status'],
      r.items.map((g) => h('tr', { 'data-grant': g.id },
        h('td', {}, h('a', { href: `#/grant/${g.id}` }, g.dataset_name)), h('td', {}, g.owner_department), h('td', {}, g.department),
        h('td', {}, word('mode', g.mode)), h('td', {}, fmtTime(g.expires_at)),
        h('td', {}, g.epsilon_total ? t('grant.budget', { left: g.epsilon_left.toFixed(2), total: g.epsilon_total }) : t('grant.no_noise')),
        h('td', {}, statusBadge(g.status)))), t('grant.none')));
    } else if (tab === 'requests') {
      const r = await api.get('/data-requests', { limit: 500 });
      clear(body, h('p', {}, h('a', { class: 'button primary', href: '#/request-data' }, t('grant.request.new'))),
        table(t('grant.tab.requests'), REQ_COLS, r.items.map(requestRow), t('grant.requests.none')));
    } else {
      const r = await api.get('/data-requests', { box: 'inbox', limit: 500 });
      const pending = r.items.filter((x) => x.status === 'pending');
      const forms = [];
      const scopes = pending.length ? await scopeOptions() : [];
      for (const q of pending) forms.push(decisionForm(q, await api.get(`/datasets/${q.dataset_id}`), draw, scopes));
      clear(body, h('h2', {}, t('grant.inbox.pending', { n: pending.length })), forms.length ? forms : h('p', { class: 'muted' }, t('grant.inbox.none')),
        h('h2', {}, t('grant.inbox.decided')), table(t('grant.inbox.decided'), REQ_COLS,
          r.items.filter((x) => x.status !== 'pending').map(requestRow), t('grant.requests.none')));
    }
  };
  await draw();
  return root;
}

// 申请: a dataset (any but 不予共享), its fields, rows or aggregates, purpose, legal basis, period.
export async function requestData({ params, title, go }) {
  const all = (await api.get('/datasets', { limit: 2000 })).items.filter((d) => d.share_class !== 'none');
  const ds = select(all.map((d) => [String(d.id), d.name + t('p.paren', { x: d.department })]), { name: 'dataset_id', value: params[0] || (all[0] && all[0].id) });
  const fieldsBox = h('div', {});
  const drawFields = () => {
    const d = all.find((x) => String(x.id) === ds.value);
    clear(fieldsBox, d ? [choiceGroup(t('fieldname.fields'), 'checkbox', 'fields', d.fields.map((f) => [f.name, f.label + t('p.paren', { x: word('mask', f.mask) })]),
      { names: ['fields'] }), d.share_class === 'unconditional' ? h('p', { class: 'muted' }, t('grant.request.unconditional')) : null] : null);
  };
  ds.addEventListener('change', drawFields);
  drawFields();
  const form = h('form', { class: 'form card', 'data-form': 'data-request', novalidate: true },
    field(t('fieldname.dataset_id'), ds, { names: ['dataset_id'], required: true }), fieldsBox,
    field(t('grant.mode'), select([['rows', word('mode', 'rows')], ['aggregate', word('mode', 'aggregate')]], { name: 'mode' }), { names: ['mode'] }),
    field(t('fieldname.purpose'), h('textarea', { name: 'purpose', rows: 3, maxlength: 500 }), { names: ['purpose'], required: true }),
    field(t('fieldname.legal_basis'), h('input', { name: 'legal_basis', maxlength: 500 }), { names: ['legal_basis'], required: true, hint: t('grant.legal_basis.hint') }),
    field(t('fieldname.period_days'), h('input', { type: 'number', name: 'period_days', min: 1, max: 3660, value: 90 }), { names: ['period_days'], required: true }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('grant.request.go'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const body = formBody(form, [{ name: 'dataset_id', type: 'int', required: true }, { name: 'fields', type: 'list', empty: [] },
        { name: 'mode' }, { name: 'purpose', required: true }, { name: 'legal_basis', required: true },
        { name: 'period_days', type: 'int', required: true }]);
      const r = await api.post('/data-requests', body);
      toast(t(r.grant_id ? 'grant.request.granted' : 'grant.request.sent'));
      go(r.grant_id ? `/grant/${r.grant_id}` : '/grants/requests');
    } catch (e) { showError(form, e); }
  });
  return h('div', { class: 'request-data' }, h('h1', {}, title), h('p', { class: 'muted' }, t('grant.request.hint')), form);
}

// One grant: its terms, masked rows page by page, the aggregate builder and the exports.
export async function grantPage({ params, user }) {
  const id = params[0];
  const g = await api.get(`/data-grants/${id}`);
  const mine = (user.departments || []).includes(g.department_id);
  const budget = h('span', { 'data-fact': 'budget' }, g.epsilon_total ? t('grant.budget', { left: g.epsilon_left.toFixed(2), total: g.epsilon_total }) : t('grant.no_noise'));
  const facts = [['dataset', g.dataset_name], ['owner', g.owner_department], ['holder', g.department], ['mode', word('mode', g.mode)],
    ['fields', g.columns.map((c) => c.label + t('p.paren', { x: word('mask', c.mask) })).join(t('p.list'))], ['region', g.region || t('grant.all_regions')],
    ['k', String(g.k_min)], ['budget', budget], ['expires', fmtTime(g.expires_at)], ['status', statusBadge(g.status)]];
  const root = h('div', { class: 'grant-page' }, h('h1', {}, t('grant.page.heading', { dataset: g.dataset_name })),
    h('p', {}, h('a', { href: '#/grants' }, t('grant.back'))),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, t('grant.fact.' + k)), h('dd', {}, v)])),
    g.revoke_reason ? h('p', { class: 'error' }, t('grant.revoked_because', { reason: g.revoke_reason })) : null);
  const owner = user.roles.includes('admin') || (user.roles.includes('data_officer') && (user.departments || []).includes(g.owner_department_id));
  if (owner && g.status === 'active') {
    const rf = h('form', { class: 'form card', 'data-form': 'grant-revoke', novalidate: true },
      field(t('grant.revoke.reason'), h('input', { name: 'reason', maxlength: 500 }), { names: ['reason'], required: true }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'danger' }, t('grant.revoke.go'))));
    rf.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api.post(`/data-grants/${id}/revoke`, formBody(rf, [{ name: 'reason', required: true }]));
        toast(t('grant.revoked'));
        rf.replaceWith(h('p', { class: 'error' }, t('grant.revoked')));
      } catch (e) { showError(rf, e); }
    });
    root.append(h('section', { 'aria-labelledby': 'gr-rev' }, h('h2', { id: 'gr-rev' }, t('grant.revoke.heading')), rf));
  }
  if (!mine || g.status !== 'active') return root.append(await usesSection(id)), root;

  if (g.mode === 'rows') {
    const rowsOut = h('div', { 'aria-live': 'polite' });
    let after = 0;
    const loadRows = async () => {
      const r = await api.get(`/data-grants/${id}/rows`, { after, limit: 50 });
      clear(rowsOut, h('div', { class: 'table-wrap' }, h('table', { 'data-table': 'grant-rows' },
        h('caption', { class: 'sr-only' }, t('grant.rows')),
        h('thead', {}, h('tr', {}, r.columns.map((c) => h('th', { scope: 'col' }, c.label)))),
        h('tbody', {}, r.items.map((it) => h('tr', { 'data-row': it.row_no }, r.columns.map((c) => h('td', {}, it.values[c.name]))))))),
      r.next_after ? h('button', { type: 'button', 'data-action': 'more', onclick: () => { after = r.next_after; loadRows(); } }, t('grant.rows.next')) : null);
    };
    root.append(h('section', { 'aria-labelledby': 'gr-rows' }, h('h2', { id: 'gr-rows' }, t('grant.rows')),
      h('p', { class: 'muted' }, t('grant.rows.hint')), rowsOut,
      h('div', { class: 'buttons downloads' },
        h('a', { class: 'button', href: `/api/v1/data-grants/${id}/export?format=csv`, download: '', 'data-export': 'csv' }, t('grant.export.csv')),
        h('a', { class: 'button', href: `/api/v1/data-grants/${id}/export?format=xlsx`, download: '', 'data-export': 'xlsx' }, t('grant.export.xlsx'))),
      h('p', { class: 'muted' }, t('grant.export.hint'))));
    await loadRows();
  }

  // 统计查询: group by granted fields; count or the sum of a number field; epsilon when the grant has a budget.
  const nums = g.columns.filter((c) => c.type === 'integer' || c.type === 'number');
  const measure = select([['count', t('grant.measure.count')], ...nums.map((c) => ['sum:' + c.name, t('grant.measure.sum', { f: c.label })])], { name: 'measure' });
  const aggOut = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'form card', 'data-form': 'grant-aggregate', novalidate: true },
    choiceGroup(t('fieldname.group_by'), 'checkbox', 'group_by', g.columns.map((c) => [c.name, c.label]), { names: ['group_by'] }),
    field(t('fieldname.measures'), measure, { names: ['measures'] }),
    g.epsilon_total ? field(t('fieldname.epsilon'), h('input', { type: 'number', name: 'epsilon', min: 0.01, max: 10, step: 0.01, value: 0.1 }),
      { names: ['epsilon'], hint: t('grant.epsilon.hint') }) : null,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('grant.aggregate.go'))), aggOut);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const spec = [{ name: 'group_by', type: 'list', empty: [] }];
      if (g.epsilon_total) spec.push({ name: 'epsilon', type: 'number' });
      const body = formBody(form, spec);
      const [op, f] = measure.value.split(':');
      body.measures = [f ? { op, field: f } : { op }];
      const r = await api.post(`/data-grants/${id}/aggregate`, body);
      const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
      clear(aggOut, table(t('grant.aggregate'), [...r.group_by.map(() => 'grant.col.group'), 'grant.col.value'],
        r.cells.map((c) => h('tr', { 'data-cell': c.group.join('|'), 'data-suppressed': String(c.suppressed) },
          c.group.map((x) => h('td', {}, x || t('grant.empty'))),
          h('td', {}, c.suppressed ? h('span', { title: t('grant.suppressed.' + c.suppressed_by) }, t('grant.under_k', { k: r.k })) : fmt(c.values[0])))),
        t('grant.aggregate.none')),
      h('p', {}, t('grant.total', { v: r.totals[0] === null ? t('grant.under_k', { k: r.k }) : fmt(r.totals[0]) })),
      r.noisy ? h('p', { class: 'muted' }, t('grant.noisy', { spent: r.epsilon_spent, left: r.epsilon_left.toFixed(2) })) : null);
      if (g.epsilon_total) budget.textContent = t('grant.budget', { left: r.epsilon_left.toFixed(2), total: g.epsilon_total });
    } catch (e) { showError(form, e); }
  });
  root.append(h('section', { 'aria-labelledby': 'gr-agg' }, h('h2', { id: 'gr-agg' }, t('grant.aggregate')),
    h('p', { class: 'muted' }, t('grant.aggregate.hint', { k: g.k_min })), form), await usesSection(id));
  return root;
}

// 使用记录: the grant's uses, newest first (each one an audit entry).
async function usesSection(id) {
  const r = await api.get(`/data-grants/${id}/uses`, { limit: 50 });
  return h('section', { 'aria-labelledby': 'gr-uses' }, h('h2', { id: 'gr-uses' }, t('grant.uses')),
    h('p', { class: 'muted' }, t('grant.uses.hint')),
    h('div', { 'data-table': 'grant-uses' }, table(t('grant.uses'), ['grant.col.at', 'grant.col.user', 'grant.col.action', 'grant.col.rows', 'grant.col.epsilon'],
      r.items.map((u) => h('tr', {}, h('td', {}, h('time', { datetime: u.at }, fmtTime(u.at))), h('td', {}, u.user),
        h('td', {}, t('grant.use.' + u.action)), h('td', {}, String(u.rows)), h('td', {}, u.epsilon ? String(u.epsilon) : '—'))),
      t('grant.uses.none'))));
}
