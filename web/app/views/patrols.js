// 巡查监督 (issue 15, docs/grid.md §3): what the grid workers' patrols covered on a day, for the
// officials and the command centre. The grids on the map coloured by the share of their area
// within 30 m of a track that day (GET /patrols/coverage), the least covered grids, and each
// worker's patrols, distance, time and findings (GET /patrols/stats); a worker's tracks of the
// day drawn on the map on demand (GET /patrols?user=, /patrols/{id}). One day at a time: a
// district's day is under a second to compute, a week five (docs/benchmarks.md).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, toast, showError, clearErrors } from '../ui.js';
import { regionMap } from '../map.js';
import { regions } from '../data.js';

// The local (Asia/Shanghai) date of 'ms' as YYYY-MM-DD: the server counts days in local time.
const localDate = (ms) => new Date(ms + 8 * 3600000).toISOString().slice(0, 10);
const pct = (x) => `${Math.round(x * 100)}%`;
const km = (m) => (m / 1000).toFixed(1);
const minutes = (s) => Math.round(s / 60);

// Fill by share: the bands a supervisor reads at a glance (未巡查, 不足三成, 三至六成, 六成以上).
function band(share) {
  if (share <= 0) return { key: 'none', colour: '#dc2626' };
  if (share < 0.3) return { key: 'low', colour: '#f97316' };
  if (share < 0.6) return { key: 'mid', colour: '#eab308' };
  return { key: 'high', colour: '#16a34a' };
}

export async function patrols({ title }) {
  const root = h('div', { class: 'patrols' }, h('h1', {}, title));
  const dateInput = h('input', { type: 'date', name: 'date', value: localDate(Date.now() - 86400000), max: localDate(Date.now()) });
  const form = h('form', { class: 'form inline', 'data-form': 'patrols-day' },
    field(t('patrols.day'), dateInput, { names: ['date'] }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('patrols.show'))));
  const summary = h('p', { class: 'patrols-summary', role: 'status', 'aria-live': 'polite' });
  const legend = h('p', { class: 'patrols-legend' },
    ...['none', 'low', 'mid', 'high'].map((k) => h('span', { class: `legend-item cover-${k}` },
      h('span', { class: 'swatch', style: `background:${band({ none: 0, low: 0.1, mid: 0.4, high: 0.9 }[k]).colour}` }), t('patrols.band.' + k))));
  const mapEl = h('div', { class: 'map patrols-map' });
  const tables = h('div', { class: 'patrols-tables' });
  root.append(form, summary, legend, mapEl, tables);

  let m = null;
  let coverLayer = null;
  let trackLayer = null;
  const gridShapes = regions('grid', true).catch(() => []);
  const mapReady = regionMap(mapEl, { label: t('patrols.map'), grids: false }).then((x) => { m = x; return x; })
    .catch(() => { mapEl.hidden = true; return null; });

  async function showTracks(worker, day) {
    const from = `${day}T00:00:00+08:00`;
    const to = `${localDate(Date.parse(from) + 86400000)}T00:00:00+08:00`;
    const list = (await api.get(`/patrols?user=${worker.id}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).items;
    const mp = await mapReady;
    if (!mp) return;
    if (trackLayer) trackLayer.remove();
    trackLayer = mp.L.layerGroup().addTo(mp.map);
    let bounds = null;
    for (const p of list) {
      const one = await api.get(`/patrols/${p.id}`);
      const line = mp.L.geoJSON(one.track, { style: { color: '#1d4ed8', weight: 3 } }).addTo(trackLayer);
      bounds = bounds ? bounds.extend(line.getBounds()) : line.getBounds();
    }
    if (bounds && bounds.isValid()) mp.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    toast(t('patrols.tracks_shown', { name: worker.name, n: list.length }));
  }

  async function load() {
    const day = dateInput.value || localDate(Date.now() - 86400000);
    clear(summary, t('patrols.loading'));
    const [cov, stats, shapes] = await Promise.all([
      api.get(`/patrols/coverage?from=${day}&to=${day}`),
      api.get(`/patrols/stats?from=${day}&to=${day}`),
      gridShapes,
    ]);
    const items = cov.items;
    const covered = items.filter((c) => c.share > 0);
    const mean = items.length ? items.reduce((a, c) => a + c.share, 0) / items.length : 0;
    clear(summary, t('patrols.summary', { day, grids: items.length, patrolled: covered.length, none: items.length - covered.length, mean: pct(mean) }));

    const mp = await mapReady;
    if (mp) {
      if (coverLayer) coverLayer.remove();
      if (trackLayer) { trackLayer.remove(); trackLayer = null; }
      const byId = new Map(items.map((c) => [c.region.id, c]));
      const fc = { type: 'FeatureCollection', features: shapes.filter((r) => r.boundary && byId.has(r.id))
        .map((r) => ({ type: 'Feature', properties: { id: r.id }, geometry: r.boundary })) };
      coverLayer = mp.L.geoJSON(fc, {
        style: (f) => ({ color: '#475569', weight: 0.5, fillColor: band(byId.get(f.properties.id).share).colour, fillOpacity: 0.45 }),
        onEachFeature: (f, layer) => {
          const c = byId.get(f.properties.id);
          layer.bindTooltip(t('patrols.grid_tip', { name: c.region.name, share: pct(c.share), n: c.patrols }));
        },
      }).addTo(mp.map);
    }

    const least = [...items].sort((a, b) => a.share - b.share).slice(0, 10);
    const workers = [...stats.items].sort((a, b) => b.distance_m - a.distance_m);
    clear(tables,
      h('h2', {}, t('patrols.least')),
      least.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'patrols-least' },
        h('thead', {}, h('tr', {}, ...['patrols.col.grid', 'patrols.col.share', 'patrols.col.patrols'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, ...least.map((c) => h('tr', { 'data-grid': c.region.code },
          h('td', {}, c.region.name), h('td', {}, pct(c.share)), h('td', {}, String(c.patrols))))))) : h('p', {}, t('patrols.no_grids')),
      h('h2', {}, t('patrols.workers', { n: workers.length })),
      workers.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'patrols-workers' },
        h('thead', {}, h('tr', {}, ...['patrols.col.worker', 'patrols.col.patrols', 'patrols.col.km', 'patrols.col.minutes', 'patrols.col.fixes', 'patrols.col.findings', 'patrols.col.track']
          .map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, ...workers.map((s) => h('tr', { 'data-worker': String(s.worker.id) },
          h('td', {}, s.worker.name), h('td', {}, String(s.patrols)), h('td', {}, km(s.distance_m)),
          h('td', {}, String(minutes(s.duration_s))), h('td', {}, String(s.fixes)), h('td', {}, String(s.findings)),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => showTracks(s.worker, day).catch((e) => showError(form, e)) },
            t('patrols.show_track')))))))) : h('p', {}, t('patrols.no_patrols')));
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    load().catch((e) => { clear(summary); showError(form, e); });
  });
  await load().catch((e) => { clear(summary); showError(form, e); });
  return root;
}
