// 感知设备 (issue 16, docs/warning.md §5 and §7): the device registry for the centre's staff —
// each device's type, whether it reports, its place and its last report (GET /devices); a
// device's page with its conditions (超标中 since when, and the case it opened) and a chart of
// each metric's readings (GET /devices/{id}, /devices/{id}/readings, drawn with ECharts);
// registering and editing devices for admins and data officers (POST/PATCH /devices); the
// thresholds per type, edited by supervisors and admins (GET/PUT /sensor-thresholds); and the
// state of the data feed (GET /sensors/status).
import { t, has } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, checkbox, toast, showError, clearErrors, fmtTime, formBody, loadScript, laidOut } from '../ui.js';
import { departments } from '../data.js';

const KNOWN_TYPES = ['noise', 'water_level', 'manhole', 'smoke', 'gas', 'water_quality'];
const typeName = (ty) => t(has('device.type.' + ty) ? 'device.type.' + ty : 'device.type.other');
const isEditor = (user) => ['admin', 'data_officer'].some((r) => user.roles.includes(r));
const canThreshold = (user) => ['supervisor', 'admin'].some((r) => user.roles.includes(r));

// A device's code is its name on the wire: letters, digits, '-', '_', '.' (as the server checks).
function deviceError(e) {
  if (e && e.status === 400 && e.field === 'code') return Object.assign(e, { plain: () => t('device.err.code') });
  if (e && e.status === 400 && e.field === 'type') return Object.assign(e, { plain: () => t('device.err.type') });
  if (e && e.status === 400 && (e.field === 'lat' || e.field === 'lon')) return Object.assign(e, { plain: () => t('device.err.place') });
  if (e && e.status === 403 && e.reason === 'scope') return Object.assign(e, { plain: () => t('device.err.scope') });
  return e;
}

// A sentence with a unit in it (dB, %LEL, NTU): the unit symbol is kept as written, not translated.
function withUnit(key, vars, unit) {
  const parts = t(key, { ...vars, unit: '\u0000' }).split('\u0000');
  return parts.flatMap((p, i) => (i && unit ? [h('span', { translate: 'no' }, unit), p] : [p]));
}

// 在线, 离线, 尚未上报 (registered, never heard from) or 已停用.
const stateOf = (d) => (!d.active ? 'inactive' : d.online ? 'online' : d.last_seen_at ? 'offline' : 'never');
function onlineBadge(d) {
  const k = stateOf(d);
  return h('span', { class: `badge dev-${k}` }, t('device.state.' + k));
}

async function typeOptions() {
  const th = await api.get('/sensor-thresholds').catch(() => ({ items: [] }));
  const types = [...new Set([...KNOWN_TYPES, ...th.items.map((x) => x.type)])];
  return types.map((ty) => [ty, typeName(ty)]);
}

// The register / edit form: a new device when `d` is null.
async function deviceForm(d, onSaved) {
  const [types, depts] = await Promise.all([typeOptions(), departments().catch(() => [])]);
  const code = h('input', { type: 'text', name: 'code', maxlength: 64, autocomplete: 'off', value: d ? d.code : '', disabled: !!d });
  const form = h('form', { class: 'form device-form', 'data-form': d ? 'device-edit' : 'device-new', novalidate: true },
    h('h2', {}, t(d ? 'device.edit' : 'device.register')),
    field(t('device.col.code'), code, { names: ['code'], required: !d, hint: d ? t('device.code_kept') : t('device.code_hint') }),
    field(t('device.col.type'), select(types, { name: 'type', value: d ? d.type : types[0][0] }), { names: ['type'], required: true }),
    field(t('device.col.name'), h('input', { type: 'text', name: 'name', maxlength: 100, value: d ? d.name : '' }), { names: ['name'], required: true }),
    h('div', { class: 'row' },
      field(t('device.col.lat'), h('input', { type: 'text', inputmode: 'decimal', name: 'lat', value: d && d.lat !== null ? String(d.lat) : '' }), { names: ['lat'], hint: t('device.place_hint') }),
      field(t('device.col.lon'), h('input', { type: 'text', inputmode: 'decimal', name: 'lon', value: d && d.lon !== null ? String(d.lon) : '' }), { names: ['lon'] })),
    field(t('device.col.interval'), h('input', { type: 'number', name: 'interval_s', min: 10, step: 1, value: d ? String(d.interval_s) : '300' }),
      { names: ['interval_s'], hint: t('device.interval_hint') }),
    field(t('device.col.department'), select([['', t('device.no_department')], ...depts.map((x) => [String(x.id), x.name])],
      { name: 'department_id', value: d && d.department_id ? d.department_id : '' }), { names: ['department_id'] }),
    d ? checkbox(t('device.active'), 'active', d.active) : null,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t(d ? 'device.save' : 'device.register_submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const spec = [{ name: 'type', required: true }, { name: 'name', required: true },
        { name: 'lat', type: 'number', empty: null }, { name: 'lon', type: 'number', empty: null },
        { name: 'interval_s', type: 'int' }, { name: 'department_id', type: 'int', empty: null }];
      if (!d) spec.unshift({ name: 'code', required: true });
      else spec.push({ name: 'active', type: 'bool' });
      const body = formBody(form, spec);
      const saved = d ? await api.patch(`/devices/${d.id}`, body) : await api.post('/devices', body);
      toast(t(d ? 'device.saved' : 'device.registered', { name: saved.name }));
      onSaved(saved);
    } catch (e) { showError(form, deviceError(e)); }
  });
  return form;
}

// The thresholds per type and metric; supervisors and admins change the levels in place.
async function thresholdsSection(user) {
  const box = h('section', { class: 'thresholds', 'aria-labelledby': 'th-h' }, h('h2', { id: 'th-h' }, t('threshold.heading')),
    h('p', { class: 'muted' }, t('threshold.hint')));
  const body = h('div');
  box.append(body);
  const edit = canThreshold(user);
  async function draw() {
    const r = await api.get('/sensor-thresholds');
    const cols = ['type', 'metric', 'unit', 'high', 'clear', 'category'];
    clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'threshold-table' },
      h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t('threshold.col.' + k))),
        edit ? h('th', { scope: 'col' }, t('threshold.col.action')) : null)),
      h('tbody', {}, r.items.map((x) => row(x))))));
  }
  function row(x) {
    const tr = h('tr', { 'data-threshold': `${x.type}.${x.metric}` },
      h('td', {}, typeName(x.type)), h('td', {}, x.label), h('td', { translate: 'no' }, x.unit || ''), h('td', {}, String(x.high)),
      h('td', {}, String(x.clear)), h('td', {}, x.category || t('threshold.no_category')));
    if (!edit) return tr;
    tr.append(h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => tr.replaceWith(editRow(x)) },
      t('threshold.edit', { label: x.label }))));
    return tr;
  }
  function editRow(x) {
    const form = h('form', { class: 'form inline threshold-form', 'data-form': 'threshold', novalidate: true },
      field(t('threshold.col.metric'), h('input', { type: 'text', name: 'label', value: x.label, maxlength: 32 }), { names: ['label'], required: true }),
      field(t('threshold.col.unit'), h('input', { type: 'text', name: 'unit', value: x.unit || '', maxlength: 16 }), { names: ['unit'] }),
      field(t('threshold.col.high'), h('input', { type: 'text', inputmode: 'decimal', name: 'high', value: String(x.high) }), { names: ['high'], required: true }),
      field(t('threshold.col.clear'), h('input', { type: 'text', inputmode: 'decimal', name: 'clear', value: String(x.clear) }), { names: ['clear'], required: true, hint: t('threshold.clear_hint') }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('threshold.save')),
        h('button', { type: 'button', onclick: () => draw().catch(() => {}) }, t('threshold.cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        const b = formBody(form, [{ name: 'label', required: true }, { name: 'unit', empty: null },
          { name: 'high', type: 'number', required: true }, { name: 'clear', type: 'number', required: true }]);
        await api.put('/sensor-thresholds', { type: x.type, metric: x.metric, category_id: x.category_id, ...b });
        toast(t('threshold.saved', { label: b.label }));
        await draw();
      } catch (e) { showError(form, e); }
    });
    return h('tr', { 'data-threshold': `${x.type}.${x.metric}` }, h('td', { colspan: 7 }, h('p', {}, typeName(x.type)), form));
  }
  await draw();
  return box;
}

export async function devices({ title, user, go }) {
  const [list, status] = await Promise.all([api.get('/devices', { limit: 1000 }), api.get('/sensors/status').catch(() => null)]);
  const items = list.items;
  const online = items.filter((d) => d.active && d.online).length;
  const feed = status ? t(status.mqtt ? (status.connected ? 'device.feed.connected' : 'device.feed.disconnected') : 'device.feed.http_only',
    { readings: status.readings, rejected: status.rejected + status.malformed, duplicates: status.duplicates }) : '';
  const typeSel = select([['', t('device.type.all')], ...[...new Set(items.map((d) => d.type))].map((ty) => [ty, typeName(ty)])], { name: 'type' });
  const stateSel = select([['', t('device.state.all')], ...['online', 'offline', 'never', 'inactive'].map((k) => [k, t('device.state.' + k)])], { name: 'state' });
  const tbody = h('tbody');
  const draw = () => {
    const shown = items.filter((d) => (!typeSel.value || d.type === typeSel.value) &&
      (!stateSel.value || stateSel.value === stateOf(d)));
    clear(tbody, shown.length ? shown.map((d) => h('tr', { 'data-device': d.code },
      h('td', {}, h('a', { href: `#/device/${d.id}` }, d.name)), h('td', { translate: 'no' }, d.code), h('td', {}, typeName(d.type)),
      h('td', {}, onlineBadge(d)), h('td', {}, d.region || t('device.no_region')), h('td', {}, d.department || ''),
      h('td', {}, d.last_seen_at ? fmtTime(d.last_seen_at) : t('device.never')))) : h('tr', {}, h('td', { colspan: 7 }, t('device.none'))));
  };
  typeSel.addEventListener('change', draw);
  stateSel.addEventListener('change', draw);
  draw();
  const root = h('div', { class: 'devices' }, h('h1', {}, title),
    h('p', { class: 'device-summary' }, t('device.summary', { n: items.length, online, offline: items.length - online })),
    feed ? h('p', { class: 'muted device-feed' }, feed) : null,
    h('form', { class: 'form inline', 'data-form': 'device-filter', onsubmit: (ev) => ev.preventDefault() },
      field(t('device.col.type'), typeSel, { names: ['type'] }), field(t('device.col.state'), stateSel, { names: ['state'] })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'device-table' },
      h('thead', {}, h('tr', {}, ['name', 'code', 'type', 'state', 'region', 'department', 'last'].map((k) => h('th', { scope: 'col' }, t('device.col.' + k))))),
      tbody)));
  if (isEditor(user)) root.append(await deviceForm(null, (saved) => go(`/device/${saved.id}`)));
  root.append(await thresholdsSection(user));
  return root;
}

const RANGES = { day: 86400, week: 7 * 86400, month: 30 * 86400 };

export async function devicePage({ params, user, refresh, onCleanup }) {
  const id = params[0];
  // A device outside a region-bound reader's region is refused in the registry's words.
  const [d, th] = await Promise.all([api.get(`/devices/${id}`), api.get('/sensor-thresholds')]).catch((e) => { throw deviceError(e); });
  const limits = th.items.filter((x) => x.type === d.type);
  const metricOf = (m) => limits.find((x) => x.metric === m) || { metric: m, label: t('device.metric.other'), unit: '' };
  const metrics = [...new Set([...limits.map((x) => x.metric), ...d.states.map((s) => s.metric)])];
  const facts = [
    ['code', h('span', { translate: 'no' }, d.code)], ['type', typeName(d.type)], ['state', onlineBadge(d)], ['region', d.region || t('device.no_region')],
    ['department', d.department || t('device.no_department')], ['every', t('device.every', { n: d.interval_s })],
    ['last', d.last_seen_at ? fmtTime(d.last_seen_at) : t('device.never')],
    d.offline_at ? ['offline_at', fmtTime(d.offline_at)] : null,
  ].filter(Boolean);
  const conditions = h('ul', { class: 'device-states' }, metrics.length ? metrics.map((m) => {
    const s = d.states.find((x) => x.metric === m);
    const lim = metricOf(m);
    return h('li', { 'data-metric': m, class: s && s.breached ? 'breached' : 'normal' },
      h('strong', {}, lim.label), ' ',
      s && s.breached ? [h('span', { class: 'badge dev-breached' }, t('device.breached')), ' ', t('device.since', { at: fmtTime(s.since) }),
        s.case_id ? [' ', h('a', { href: `#/case/${s.case_id}` }, t('device.case_link'))] : null]
        : h('span', { class: 'badge dev-normal' }, t('device.normal')),
      ' ', h('span', { class: 'muted' }, withUnit('device.limits', { high: lim.high ?? '—', clear: lim.clear ?? '—' }, lim.unit)));
  }) : h('li', { class: 'muted' }, t('device.no_metrics')));

  const rangeSel = select(Object.keys(RANGES).map((k) => [k, t('device.range.' + k)]), { name: 'range', value: 'day' });
  const charts = h('div', { class: 'device-charts' });
  const root = h('div', { class: 'device-page' }, h('h1', {}, t('device.page_heading', { name: d.name })),
    h('p', {}, h('a', { href: '#/devices' }, t('device.back'))),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, t('device.col.' + k)), h('dd', {}, v)])),
    h('section', { 'aria-labelledby': 'ds-h' }, h('h2', { id: 'ds-h' }, t('device.conditions')), conditions),
    h('section', { 'aria-labelledby': 'dr-h' }, h('h2', { id: 'dr-h' }, t('device.readings')),
      h('form', { class: 'form inline', 'data-form': 'device-range', onsubmit: (ev) => ev.preventDefault() },
        field(t('device.range'), rangeSel, { names: ['range'] })), charts));

  const made = [];
  onCleanup(() => { for (const c of made.splice(0)) c.dispose(); });
  const chartsReady = loadScript('/vendor/echarts/echarts.min.js');
  async function drawCharts() {
    for (const c of made.splice(0)) c.dispose();
    clear(charts);
    const to = Date.now();
    const from = new Date(to - RANGES[rangeSel.value] * 1000).toISOString();
    for (const m of metrics) {
      const lim = metricOf(m);
      const el = h('div', { class: 'chart device-chart', role: 'img', 'data-metric': m });
      const note = h('p', { class: 'muted chart-note' });
      charts.append(h('h3', {}, lim.unit ? withUnit('device.chart_title', { label: lim.label }, lim.unit) : lim.label), el, note);
      const r = await api.get(`/devices/${id}/readings`, { metric: m, from, points: 200 });
      const pts = r.items;
      const n = pts.reduce((a, p) => a + p.n, 0);
      el.dataset.points = String(pts.length);
      el.dataset.readings = String(n);
      if (!pts.length) {
        el.hidden = true;
        note.textContent = t('device.no_readings');
        continue;
      }
      const max = Math.max(...pts.map((p) => p.max));
      clear(note, withUnit('device.chart_note', { n, max }, lim.unit));
      el.setAttribute('aria-label', `${lim.label}${t('p.colon')}${pts.map((p) => `${fmtTime(p.at).slice(5)} ${+p.avg.toFixed(2)}`).join(t('p.comma'))}`);
      try { await chartsReady; } catch { note.textContent = t('device.chart_failed'); continue; }
      // The page may not be in the document yet (an editor's form is still loading); a page
      // left meanwhile draws nothing.
      await laidOut(el);
      if (!el.isConnected) return;
      const E = window.echarts;
      const c = E.init(el);
      made.push(c);
      c.setOption({
        animation: !window.matchMedia('(prefers-reduced-motion: reduce)').matches,
        grid: { left: 48, right: 16, top: 24, bottom: 32 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'time' },
        yAxis: { type: 'value', scale: true },
        series: [
          { name: t('device.series.avg'), type: 'line', showSymbol: pts.length < 40, color: '#1d4ed8',
            data: pts.map((p) => [p.at, p.avg]),
            markLine: lim.high !== undefined ? { symbol: 'none', silent: true, lineStyle: { color: '#b91c1c', type: 'dashed' },
              label: { formatter: t('device.series.high') }, data: [{ yAxis: lim.high }] } : undefined },
          { name: t('device.series.max'), type: 'line', showSymbol: false, lineStyle: { opacity: 0.4 }, color: '#c2410c',
            data: pts.map((p) => [p.at, p.max]) },
        ],
      });
    }
  }
  rangeSel.addEventListener('change', () => drawCharts().catch((e) => clear(charts, h('p', { class: 'error', role: 'alert' }, e.plain ? e.plain() : String(e)))));
  setTimeout(() => drawCharts().catch((e) => clear(charts, h('p', { class: 'error', role: 'alert' }, e.plain ? e.plain() : String(e)))), 0);
  if (isEditor(user)) root.append(await deviceForm(d, () => refresh()));
  return root;
}
