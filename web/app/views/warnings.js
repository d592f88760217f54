// 预警中心 (issue 16, docs/warning.md §7): the warnings the server raised (devices gone quiet,
// spikes of complaints, repeats, risks), open ones first, filtered by status and kind; each
// acknowledged, turned into a case (转为工单) or dismissed with a reason by supervisors,
// dispatchers and admins (GET /warnings, POST /warnings/{id}/acknowledge|dispatch|dismiss). The
// warnings with a point on the map; the silences (a kind muted in a region until a time) listed,
// added and ended by supervisors and admins (GET/POST/DELETE /warning-silences).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, toast, showError, clearErrors, fmtTime, formBody } from '../ui.js';
import { regionMap } from '../map.js';
import { regions, categoryOptions } from '../data.js';

export const WARNING_KINDS = ['device_offline', 'spike', 'repeat', 'risk'];
const STATUSES = ['open', 'new', 'acknowledged', 'dispatched', 'dismissed', 'all'];
const LEVEL_COLOURS = { high: '#b91c1c', medium: '#c2410c', low: '#a16207' };
const OPEN = new Set(['new', 'acknowledged']);

// The server's refusals in the warning centre's words: a 409 without a field is a warning no
// longer in that state, a scope refusal a warning outside the caller's region (api.js's own
// sentences for those speak of cases).
export function warnError(e) {
  if (e && e.status === 409 && !e.field) return Object.assign(e, { plain: () => t('warn.err.state') });
  if (e && e.status === 400 && e.field === 'until') return Object.assign(e, { plain: () => t('warn.err.until') });
  if (e && e.status === 403 && e.field === 'region_id') return Object.assign(e, { plain: () => t('warn.err.silence_scope') });
  if (e && e.status === 403 && e.reason === 'scope') return Object.assign(e, { plain: () => t('warn.err.scope') });
  return e;
}

// The server's sentence, with the device's code (an identifier, as typed on the device) marked
// as not to be translated.
function evidence(w) {
  if (!w.device || !w.evidence.includes(w.device)) return w.evidence;
  return w.evidence.split(w.device).flatMap((part, i) => (i ? [h('span', { translate: 'no' }, w.device), part] : [part]));
}

const levelBadge = (l) => h('span', { class: `badge warn-lvl-${l}` }, t('warn.level.' + l));
const statusBadge = (s) => h('span', { class: `badge warn-st-${s}` }, t('warn.status.' + s));

export async function warnings({ title, user, query }) {
  const canAct = ['supervisor', 'dispatcher', 'admin'].some((r) => user.roles.includes(r));
  const canSilence = ['supervisor', 'admin'].some((r) => user.roles.includes(r));
  const statusSel = select(STATUSES.map((s) => [s, t('warn.filter.' + s)]), { name: 'status', value: query.get('status') || 'open' });
  const kindSel = select([['', t('warn.kind.all')], ...WARNING_KINDS.map((k) => [k, t('warn.kind.' + k)])],
    { name: 'kind', value: query.get('kind') || '' });
  const filters = h('form', { class: 'form inline', 'data-form': 'warn-filter' },
    field(t('warn.filter.status'), statusSel, { names: ['status'] }),
    field(t('warn.filter.kind'), kindSel, { names: ['kind'] }));
  const summary = h('p', { class: 'warn-summary', role: 'status', 'aria-live': 'polite' });
  // After 转为工单 the warning leaves the open list: the way to its case stays here.
  const notice = h('p', { class: 'warn-notice', hidden: true });
  const list = h('ul', { class: 'warn-list' });
  const mapEl = h('div', { class: 'map warn-map' });
  const mapNote = h('p', { class: 'muted' });
  const silenceBox = h('div', { class: 'warn-silences' });
  const root = h('div', { class: 'warnings' }, h('h1', {}, title), filters, summary, notice,
    h('div', { class: 'warn-grid' },
      h('section', { 'aria-labelledby': 'wl-h' }, h('h2', { id: 'wl-h' }, t('warn.list')), list),
      h('section', { class: 'card', 'aria-labelledby': 'wm-h' }, h('h2', { id: 'wm-h' }, t('warn.map')), mapEl, mapNote)),
    h('section', { 'aria-labelledby': 'ws-h' }, h('h2', { id: 'ws-h' }, t('warn.silences')), silenceBox));

  let layer = null;
  const mapReady = regionMap(mapEl, { label: t('warn.map'), grids: false }).catch(() => { mapEl.hidden = true; return null; });

  async function drawMap(items) {
    const mp = await mapReady;
    if (!mp) return;
    if (layer) layer.remove();
    layer = mp.L.layerGroup().addTo(mp.map);
    const located = items.filter((w) => w.lat !== null && w.lon !== null);
    for (const w of located) {
      mp.L.circleMarker([w.lat, w.lon], { radius: w.level === 'high' ? 10 : 8, color: '#fff', weight: 2,
        fillColor: LEVEL_COLOURS[w.level] || '#6b7280', fillOpacity: 0.9 })
        .bindTooltip(`${t('warn.level.' + w.level)} ${w.title}`)
        // A point opens its warning in the list.
        .on('click', () => {
          const li = list.querySelector(`li[data-warning="${w.id}"]`);
          if (!li) return;
          li.tabIndex = -1;
          li.scrollIntoView({ block: 'center' });
          li.focus({ preventScroll: true });
        })
        .addTo(layer);
    }
    mapNote.textContent = t('warn.map_note', { n: located.length, m: items.length - located.length });
  }

  // One warning: what it is, the evidence, and the moves its status allows.
  function item(w) {
    const li = h('li', { class: `warn-item lvl-${w.level}`, 'data-warning': String(w.id), 'data-status': w.status });
    const actions = h('div', { class: 'buttons warn-actions' });
    const dismissForm = h('form', { class: 'form warn-dismiss', hidden: true, 'data-form': 'warn-dismiss' },
      field(t('warn.dismiss_reason'), h('textarea', { name: 'reason', rows: 2, maxlength: 500 }), { names: ['reason'], hint: t('warn.dismiss_hint') }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('warn.dismiss_confirm')),
        h('button', { type: 'button', onclick: () => { dismissForm.hidden = true; } }, t('warn.cancel'))));
    const act = async (verb, body, done) => {
      clearErrors(li);
      // One move at a time: a second click while the first is on its way would be refused.
      const buttons = [...li.querySelectorAll('button')];
      for (const b of buttons) b.disabled = true;
      try {
        const r = await api.post(`/warnings/${w.id}/${verb}`, body);
        toast(done(r));
        await load();
      } catch (e) {
        for (const b of buttons) b.disabled = false;
        showError(verb === 'dismiss' ? dismissForm : li, warnError(e));
      }
    };
    if (canAct && OPEN.has(w.status)) {
      if (w.status === 'new') {
        actions.append(h('button', { type: 'button', onclick: () => act('acknowledge', {}, () => t('warn.acknowledged')) }, t('warn.acknowledge')));
      }
      actions.append(
        h('button', { type: 'button', class: 'primary', onclick: () => act('dispatch', {}, (r) => {
          clear(notice, t('warn.dispatched', { number: r.case_number }), t('p.comma'), h('a', { href: `#/case/${r.case_id}` }, t('warn.case_link')));
          notice.hidden = false;
          return t('warn.dispatched', { number: r.case_number });
        }) }, t('warn.dispatch')),
        h('button', { type: 'button', onclick: () => { dismissForm.hidden = false; dismissForm.querySelector('textarea').focus(); } }, t('warn.dismiss')));
    }
    dismissForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      // The reason goes as typed: an empty one is the server's to refuse, under the field.
      act('dismiss', { reason: dismissForm.querySelector('textarea').value.trim() }, () => t('warn.dismissed'));
    });
    const facts = [
      [t('warn.col.kind'), t('warn.kind.' + w.kind)],
      w.region ? [t('warn.col.region'), w.region] : null,
      w.category ? [t('warn.col.category'), w.category] : null,
      w.device ? [t('warn.col.device'), h('a', { href: `#/device/${w.device_id}`, translate: 'no' }, w.device)] : null,
      [t('warn.col.count'), t('warn.count', { n: w.count })],
      [t('warn.col.first'), fmtTime(w.first_at)],
      [t('warn.col.last'), fmtTime(w.last_at)],
      w.handled_by ? [t('warn.col.handled'), t('warn.handled', { name: w.handled_by, at: fmtTime(w.handled_at) })] : null,
      w.reason ? [t('warn.col.reason'), w.reason] : null,
      w.case_id ? [t('warn.col.case'), h('a', { href: `#/case/${w.case_id}` }, w.case_number || t('warn.case_link'))] : null,
    ].filter(Boolean);
    clear(li,
      h('h3', {}, levelBadge(w.level), ' ', statusBadge(w.status), ' ', w.title),
      h('p', { class: 'warn-evidence' }, evidence(w)),
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('div', { class: 'error form-error', role: 'alert', hidden: true }),
      actions, dismissForm);
    return li;
  }

  async function load() {
    const params = { status: statusSel.value, kind: kindSel.value, limit: 200 };
    const r = await api.get('/warnings', params);
    // Open ones first, then the latest.
    const items = [...r.items].sort((a, b) => (OPEN.has(b.status) - OPEN.has(a.status)) || (b.last_at > a.last_at ? 1 : b.last_at < a.last_at ? -1 : 0));
    const open = items.filter((w) => OPEN.has(w.status)).length;
    summary.textContent = t('warn.summary', { n: items.length, open, high: items.filter((w) => w.level === 'high' && OPEN.has(w.status)).length });
    clear(list, items.length ? items.map(item) : h('li', { class: 'muted' }, t('warn.none')));
    drawMap(items).catch(() => {});
  }

  async function loadSilences() {
    const r = await api.get('/warning-silences');
    const rows = r.items.map((s) => h('tr', { 'data-silence': String(s.id) },
      h('td', {}, t('warn.kind.' + s.kind)), h('td', {}, s.region || t('warn.silence.everywhere')),
      h('td', {}, s.category || t('warn.silence.any_category')), h('td', {}, fmtTime(s.until)), h('td', {}, s.reason),
      canSilence ? h('td', {}, h('button', { type: 'button', class: 'link', onclick: async (ev) => {
        try { await api.del(`/warning-silences/${s.id}`); toast(t('warn.silence.ended')); await loadSilences(); } catch (e) {
          showError(silenceBox, warnError(e)); ev.target.focus();
        }
      } }, t('warn.silence.end'))) : null));
    const table = rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'warn-silence-table' },
      h('thead', {}, h('tr', {}, ['kind', 'region', 'category', 'until', 'reason'].map((k) => h('th', { scope: 'col' }, t('warn.silence.col.' + k))),
        canSilence ? h('th', { scope: 'col' }, t('warn.silence.col.action')) : null)),
      h('tbody', {}, rows))) : h('p', { class: 'muted' }, t('warn.silence.none'));
    clear(silenceBox, table, canSilence ? await silenceForm() : null);
  }

  async function silenceForm() {
    const [streets, cats] = await Promise.all([regions('street').catch(() => []), categoryOptions(t('warn.silence.any_category')).catch(() => [['', t('warn.silence.any_category')]])]);
    const form = h('form', { class: 'form warn-silence-form', 'data-form': 'warn-silence', novalidate: true },
      h('h3', {}, t('warn.silence.add')),
      field(t('warn.silence.col.kind'), select(WARNING_KINDS.map((k) => [k, t('warn.kind.' + k)]), { name: 'kind' }), { names: ['kind'], required: true }),
      field(t('warn.silence.col.region'), select([['', t('warn.silence.everywhere')], ...streets.map((s) => [String(s.id), s.name])], { name: 'region_id' }), { names: ['region_id'] }),
      field(t('warn.silence.col.category'), select(cats, { name: 'category_id' }), { names: ['category_id'], hint: t('warn.silence.category_hint') }),
      field(t('warn.silence.col.until'), h('input', { type: 'datetime-local', name: 'until' }), { names: ['until'], required: true, hint: t('warn.silence.until_hint') }),
      field(t('warn.silence.col.reason'), h('input', { type: 'text', name: 'reason', maxlength: 500 }), { names: ['reason'], required: true }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('warn.silence.submit'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        const body = formBody(form, [{ name: 'kind', required: true }, { name: 'region_id', type: 'int' }, { name: 'category_id', type: 'int' },
          { name: 'until', type: 'date', required: true }, { name: 'reason', required: true }]);
        await api.post('/warning-silences', body);
        toast(t('warn.silence.added'));
        await loadSilences();
      } catch (e) { showError(form, warnError(e)); }
    });
    return form;
  }

  const reload = () => { clearErrors(filters); load().catch((e) => showError(filters, warnError(e))); };
  statusSel.addEventListener('change', reload);
  kindSel.addEventListener('change', reload);
  await load().catch((e) => showError(filters, warnError(e)));
  await loadSilences().catch((e) => clear(silenceBox, h('p', { class: 'error', role: 'alert' }, e.plain ? e.plain() : String(e))));
  return root;
}
