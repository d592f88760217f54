// 15 分钟生活圈: click a point on the map (or choose a community) and see which facilities lie
// within a 15-minute walk along the roads of the address register, the area reached, what the
// circle lacks, and, for a community, the share of its addresses that reach each kind of
// facility. Below, the communities that lack a kind of facility (GET /service-circle/gaps).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select } from '../ui.js';
import { regions } from '../data.js';
import { regionMap } from '../map.js';

// Colours of the facility kinds on the map (the list's order is the server's walk_place_types).
const TYPE_COLOURS = {
  school: '#1d4ed8', kindergarten: '#2563eb', hospital: '#b91c1c', clinic: '#dc2626', pharmacy: '#e11d48',
  market: '#c2410c', supermarket: '#ea580c', park: '#15803d', government: '#374151', police: '#1e3a8a',
  community_centre: '#7c3aed', elderly_care: '#a21caf', sports: '#0e7490', library: '#4338ca',
  bus_stop: '#0369a1', metro: '#0f766e', toilet: '#6b7280', other: '#9ca3af',
};

const metres = (m) => (m == null ? '—' : t('circle.metres', { m: Math.round(m) }));
// A median the server leaves null lies beyond twice the circle (it searches no farther).
const median = (m, circle) => (m == null ? t('circle.beyond', { m: 2 * circle }) : metres(m));
const pct = (v) => (v == null ? '—' : `${Math.round(v * 100)}%`);

export async function serviceCircle({ title, query }) {
  const mapEl = h('div', { class: 'map circle-map' });
  const summary = h('div', { class: 'circle-summary', 'aria-live': 'polite', tabindex: '0', role: 'region', 'aria-label': t('circle.summary') }, h('p', { class: 'muted' }, t('circle.hint')));
  const gapsEl = h('section', { class: 'card', 'aria-labelledby': 'circle-gaps-h' },
    h('h2', { id: 'circle-gaps-h' }, t('circle.gaps')), h('p', { class: 'muted' }, t('app.loading')));
  const minutes = select([['10', t('circle.min', { n: 10 })], ['15', t('circle.min', { n: 15 })], ['20', t('circle.min', { n: 20 })]],
    { name: 'minutes', value: String((query && query.get('minutes')) || '15') });
  const communities = await regions('community').catch(() => []);
  const community = select([['', t('circle.pick_point')], ...communities.map((r) => [r.code, r.name])], { name: 'region' });
  const root = h('div', { class: 'circle' },
    h('h1', {}, title),
    h('p', { class: 'muted' }, t('circle.intro')),
    h('div', { class: 'filters' }, field(t('circle.minutes'), minutes), field(t('circle.community'), community)),
    h('div', { class: 'circle-body' }, mapEl, summary),
    gapsEl);

  let m = null;
  let layer = null;
  let last = null; // {lat, lon} or {region}
  const ready = regionMap(mapEl, { label: t('circle.map') }).then((made) => {
    m = made;
    layer = m.L.layerGroup().addTo(m.map);
    m.map.on('click', (e) => { community.value = ''; show({ lat: e.latlng.lat, lon: e.latlng.lng }); });
  });

  function draw(r) {
    if (!m) return;
    layer.clearLayers();
    if (r.area) m.L.geoJSON(r.area, { style: { color: '#047857', weight: 1, fillColor: '#10b981', fillOpacity: 0.18 }, interactive: false }).addTo(layer);
    // The origin takes no clicks: a click on it starts a new circle there, like anywhere else.
    m.L.circleMarker([r.origin.lat, r.origin.lon], { radius: 8, color: '#111827', weight: 3, fillColor: '#fbbf24', fillOpacity: 1, interactive: false })
      .addTo(layer);
    for (const p of r.places || []) {
      m.L.circleMarker([p.lat, p.lon], { radius: 6, color: '#fff', weight: 1, fillColor: TYPE_COLOURS[p.type] || '#666', fillOpacity: 0.95 })
        .bindTooltip(t('circle.place_tip', { name: p.name, type: t('ptype.' + p.type), min: p.minutes })).addTo(layer);
    }
  }

  function typeTable(r) {
    const cover = new Map((r.coverage || []).map((c) => [c.type, c]));
    const rows = (r.by_type || []).filter((b) => b.type !== 'other').map((b) => {
      const c = cover.get(b.type);
      const lacking = b.count === 0 || (c && c.lacking);
      return h('tr', { 'data-type': b.type, class: lacking ? 'lacking' : '' },
        h('th', { scope: 'row' }, t('ptype.' + b.type)),
        h('td', {}, String(b.count)),
        h('td', {}, b.count ? metres(b.nearest_m) : t('circle.none_within')),
        c ? h('td', {}, pct(c.share)) : null,
        c ? h('td', {}, median(c.median_m, r.metres)) : null,
        h('td', {}, lacking ? h('strong', { class: 'warn' }, t('circle.lacking')) : t('circle.ok')));
    });
    const hasCover = (r.coverage || []).length > 0;
    return h('table', { class: 'data circle-types' },
      h('caption', {}, t('circle.by_type')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('circle.type')), h('th', { scope: 'col' }, t('circle.count')),
        h('th', { scope: 'col' }, t('circle.nearest')),
        hasCover ? h('th', { scope: 'col' }, t('circle.share')) : null,
        hasCover ? h('th', { scope: 'col' }, t('circle.median')) : null,
        h('th', { scope: 'col' }, t('circle.verdict')))),
      h('tbody', {}, rows));
  }

  function placeList(r) {
    const items = (r.places || []).filter((p) => p.type !== 'bus_stop').slice(0, 60);
    if (!items.length) return h('p', { class: 'muted' }, t('circle.no_places'));
    return h('ol', { class: 'circle-places' }, items.map((p) => h('li', { 'data-place': p.code },
      h('strong', {}, p.name), ' ', h('span', { class: 'muted' }, t('p.paren', { x: t('ptype.' + p.type) })), ' ',
      t('circle.walk', { min: p.minutes, m: Math.round(p.distance_m) }))));
  }

  async function show(where) {
    last = where;
    clear(summary, h('p', { class: 'muted' }, t('app.loading')));
    let r;
    try {
      r = await api.get('/service-circle', { ...where, minutes: minutes.value });
    } catch (e) {
      if (last !== where) return;
      clear(summary, h('p', { class: 'error', role: 'alert' }, e.plain()));
      if (layer) layer.clearLayers();
      return;
    }
    if (last !== where) return;
    await ready;
    draw(r);
    if (r.area && m) m.map.fitBounds(m.L.geoJSON(r.area).getBounds(), { padding: [12, 12] });
    const missing = (r.by_type || []).filter((b) => b.count === 0 && b.type !== 'other').map((b) => t('ptype.' + b.type));
    clear(summary,
      h('h2', {}, r.region ? t('circle.of_community', { name: r.region.name, min: r.minutes }) : t('circle.of_point', { min: r.minutes })),
      h('p', {}, t('circle.reach', { m: r.metres, n: (r.places || []).length })),
      r.area ? null : h('p', { class: 'muted' }, t('circle.no_area')),
      h('p', { class: missing.length ? 'warn' : '' }, missing.length ? t('circle.missing', { list: missing.join(t('p.list')) }) : t('circle.complete')),
      typeTable(r),
      h('h3', {}, t('circle.places')),
      placeList(r));
  }

  async function gaps() {
    let r;
    try { r = await api.get('/service-circle/gaps', { minutes: minutes.value }); } catch (e) {
      clear(gapsEl, h('h2', { id: 'circle-gaps-h' }, t('circle.gaps')), h('p', { class: 'error', role: 'alert' }, e.plain()));
      return;
    }
    const byComm = new Map();
    for (const row of r.rows) {
      if (!byComm.has(row.region_code)) byComm.set(row.region_code, { name: row.region_name, code: row.region_code, rows: [] });
      byComm.get(row.region_code).rows.push(row);
    }
    const body = [...byComm.values()].map((c) => h('tr', { 'data-region': c.code },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => { community.value = c.code; show({ region: c.code }); } }, c.name)),
      h('td', {}, c.rows.map((x) => t('circle.gap_item', { type: t('ptype.' + x.type), share: pct(x.share), m: median(x.median_m, r.metres) })).join(t('p.list')))));
    clear(gapsEl, h('h2', { id: 'circle-gaps-h' }, t('circle.gaps')),
      h('p', { class: 'muted' }, t('circle.gaps_intro', { n: r.communities, min: r.minutes, lacking: byComm.size })),
      body.length ? h('table', { class: 'data circle-gaps' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('circle.community')), h('th', { scope: 'col' }, t('circle.gap_types')))),
        h('tbody', {}, body)) : h('p', {}, t('circle.no_gaps')));
  }

  community.addEventListener('change', () => { if (community.value) show({ region: community.value }); });
  minutes.addEventListener('change', () => { if (last) show(last); gaps(); });
  gaps();
  const asked = query && query.get('region');
  if (asked) { community.value = asked; show({ region: asked }); }
  return root;
}
