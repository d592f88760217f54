// 一屏统览: cases on the region/grid map, KPI tiles, trend and category charts, the department
// ranking, and a live feed from the event stream (each event refreshes the figures, debounced).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, loadScript, fmtTime, laidOut } from '../ui.js';
import { regionMap, STATE_COLOURS } from '../map.js';
import { clusterAndHeat, choroBreaks, choroColour, CHORO_COLOURS } from '../mapcases.js';
import { categories, regions } from '../data.js';
import { eventStream, ALL_EVENTS } from '../events.js';

const SAMPLE = 1000;
// The map: at most this many located cases of the window as points; the window's days.
const MAP_MAX = 2000;
const WINDOW_DAYS = { min: 1, max: 90, initial: 14 };
const MEASURES = ['open', 'overdue', 'total'];
const URG_RADIUS = { normal: 6, urgent: 9, emergency: 12 };
const OPEN = new Set(['new', 'dispatched', 'returned', 'processing', 'hanging', 'reviewing', 'replied', 'rectifying']);

function isoDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);

// Wall mode (一屏统览 on the command centre's wall): dark, full screen, everything on one
// 1920×1080 screen without scrolling; on from the button or with ?wall=1 (the wall's start page).
function setWall(on) {
  document.documentElement.classList.toggle('wall', on);
  if (on && document.fullscreenEnabled && !document.fullscreenElement) document.documentElement.requestFullscreen().catch(() => {});
  if (!on && document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

export async function dashboard({ title, onCleanup, query }) {
  const tiles = h('div', { class: 'tiles', 'aria-live': 'polite' });
  const mapEl = h('div', { class: 'map dash-map' });
  const trendEl = h('div', { class: 'chart', role: 'img', 'aria-label': t('dash.trend') });
  const catEl = h('div', { class: 'chart', role: 'img', 'aria-label': t('dash.categories') });
  const rankBox = h('div', { class: 'rank' });
  const hotBox = h('section', { class: 'card', 'aria-labelledby': 'hot-h', hidden: true },
    h('h2', { id: 'hot-h' }, t('dash.hot')));
  const feed = h('ol', { class: 'feed' });
  const streamState = h('p', { class: 'muted stream-state', 'data-stream': 'connecting' }, t('app.loading'));
  const sampleNote = h('p', { class: 'muted' });
  const wallBtn = h('button', { type: 'button', class: 'small wall-toggle', 'aria-pressed': 'false', onclick: () => {
    const on = !document.documentElement.classList.contains('wall');
    setWall(on);
    wallBtn.setAttribute('aria-pressed', String(on));
    wallBtn.textContent = t(on ? 'dash.wall.off' : 'dash.wall.on');
    setTimeout(() => { mapObj && mapObj.map.invalidateSize(); trendChart && trendChart.resize(); catChart && catChart.resize(); }, 200);
  } }, t('dash.wall.on'));
  const mapControls = controls(() => loadMap());
  const mapNote = h('p', { class: 'muted map-note', 'aria-live': 'polite' });
  const choroLegend = h('div', { class: 'choro-legend' });
  const gridBox = h('div', { class: 'grid-rank' });
  // Shown from the start (loading) so the page does not shift when it arrives.
  const indexBox = h('section', { class: 'card city-index', 'aria-labelledby': 'ci-h' },
    h('h2', { id: 'ci-h' }, t('index.title')), h('p', { class: 'muted' }, t('app.loading')));
  // 各社区参与率 (issue 18 item 5): hidden until the figures arrive, and for roles the server
  // refuses them (403).
  const particBox = h('section', { class: 'card dash-participation', 'aria-labelledby': 'pt-h', hidden: true },
    h('h2', { id: 'pt-h' }, t('dash.participation')));
  const root = h('div', { class: 'dashboard' },
    h('div', { class: 'dash-head' }, h('h1', {}, title), wallBtn), tiles,
    h('div', { class: 'dash-grid' },
      h('section', { class: 'card map-card', 'aria-labelledby': 'm-h' }, h('h2', { id: 'm-h' }, t('dash.map')),
        mapControls.el, h('p', { class: 'muted' }, t('dash.map.hint')), mapEl, mapNote, choroLegend, legend(), gridBox),
      h('section', { class: 'card', 'aria-labelledby': 'tr-h' }, h('h2', { id: 'tr-h' }, t('dash.trend')), trendEl, sampleNote),
      h('section', { class: 'card', 'aria-labelledby': 'ct-h' }, h('h2', { id: 'ct-h' }, t('dash.categories')), catEl),
      h('section', { class: 'card', 'aria-labelledby': 'rk-h' }, h('h2', { id: 'rk-h' }, t('dash.ranking')), rankBox),
      h('section', { class: 'card', 'aria-labelledby': 'fd-h' }, h('h2', { id: 'fd-h' }, t('dash.feed')), streamState, feed),
      hotBox, indexBox, particBox));

  let mapObj = null;
  let trendChart = null;
  let catChart = null;
  const chartsReady = loadScript('/vendor/echarts/echarts.min.js');
  // The map's layers, bottom to top: the grids coloured by their counts, the heat of the points,
  // the points clustered. Each drills down: a grid to its cases, a cluster or a hot place to the
  // cases there, a point to its case (all within the window shown).
  let layers = null;
  let gridShapes = [];
  const mapReady = Promise.all([regionMap(mapEl, { label: t('dash.map') }), clusterAndHeat(), regions('grid', true)]).then(([m, L, grids]) => {
    mapObj = m;
    // Clusters are made per zoom level up to the map's largest, which a map without tiles lacks.
    if (!Number.isFinite(m.map.getMaxZoom())) m.map.setMaxZoom(19);
    gridShapes = grids.filter((g) => g.boundary);
    layers = {
      choro: L.geoJSON(null, { style: () => ({}), onEachFeature: onGrid }),
      heat: L.heatLayer([], { radius: 22, blur: 18, maxZoom: 17, minOpacity: 0.3 }),
      points: L.markerClusterGroup({ zoomToBoundsOnClick: false, showCoverageOnHover: false, maxClusterRadius: 50,
        iconCreateFunction: clusterIcon(L) }),
    };
    layers.points.on('clusterclick', (e) => { location.hash = listLink({ bbox: boxOf(e.layer.getBounds()) }); });
    // A click elsewhere on the heat layer: the cases around that place.
    m.map.on('click', (e) => {
      if (!mapControls.on('heat')) return;
      const r = Math.round(Math.min(2000, Math.max(100, 40 * 156543 * Math.cos((e.latlng.lat * Math.PI) / 180) / 2 ** m.map.getZoom())));
      location.hash = listLink({ near: `${e.latlng.lat.toFixed(6)},${e.latlng.lng.toFixed(6)}`, radius: r });
    });
    // The grid layout settles after the map is made: measure again and refit.
    setTimeout(() => { m.map.invalidateSize(); if (m.bounds.isValid()) m.map.fitBounds(m.bounds, { padding: [8, 8] }); }, 100);
    return m;
  });
  // 城市运行指数 (docs/warning.md §6): the score, its eight areas, what moved it, its week.
  const indexChartEl = h('div', { class: 'chart small', role: 'img', 'aria-label': t('index.history') });
  let indexChart = null;
  async function loadIndex() {
    let ix;
    try { ix = await api.get('/city-index'); } catch { indexBox.hidden = true; return; }
    if (closed) return;
    clear(indexBox, h('h2', { id: 'ci-h' }, t('index.heading', { region: ix.region.name })),
      h('p', { class: 'index-score' }, h('strong', {}, String(Math.round(ix.score))), ' ', t('index.of100')),
      h('ul', { class: 'index-areas' }, ix.areas.map((a) => h('li', { 'data-area': a.code },
        h('span', {}, a.name), ' ', h('meter', { min: 0, max: 100, low: 60, high: 85, optimum: 100, value: a.score, 'aria-label': a.name }),
        ' ', String(Math.round(a.score))))),
      ix.moved.length ? h('div', {}, h('h3', {}, t('index.moved')), h('ul', { class: 'index-moved' },
        ix.moved.map((m) => h('li', {}, t('index.moved.line', { name: m.name, before: Math.round(m.before), score: Math.round(m.score), why: m.why }))))) : null,
      indexChartEl);
    indexBox.hidden = false;
    await chartsReady;
    await laidOut(indexChartEl); // as a device's chart: not drawn into a box of no size
    if (closed || !window.echarts || !indexChartEl.isConnected) return;
    indexChart = indexChart || window.echarts.init(indexChartEl);
    indexChart.setOption({
      grid: { left: 36, right: 12, top: 12, bottom: 24 },
      xAxis: { type: 'time' }, yAxis: { type: 'value', min: 0, max: 100 },
      tooltip: { trigger: 'axis' },
      series: [{ type: 'line', name: t('index.history'), showSymbol: false, data: ix.history.map((p) => [p.at, p.score]) }],
    });
  }
  loadIndex();
  let mayParticip = true;
  async function loadParticipation() {
    if (!mayParticip) return;
    let r;
    try { r = await api.get('/participation'); } catch (e) {
      if (e.status === 403) mayParticip = false;
      particBox.hidden = true;
      return;
    }
    if (closed) return;
    clear(particBox, h('h2', { id: 'pt-h' }, t('dash.participation')), ...participationPanel(r.items));
    particBox.hidden = false;
  }
  loadParticipation();
  const particTimer = setInterval(loadParticipation, 60000);
  onCleanup(() => clearInterval(particTimer));
  const indexTimer = setInterval(loadIndex, 60000);
  onCleanup(() => { clearInterval(indexTimer); if (indexChart) indexChart.dispose(); });
  let closed = false;
  let mayAssess = true;
  let win = null; // the window shown: {from, to} as ISO times

  function listLink(extra) {
    const q = new URLSearchParams({ from: win.from, to: win.to, ...extra });
    return `#/cases?${q}`;
  }
  function boxOf(b) {
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
  }
  function clusterIcon(L) {
    return (cluster) => {
      const n = cluster.getChildCount();
      const size = n < 10 ? 'small' : n < 100 ? 'medium' : 'large';
      return L.divIcon({
        html: `<div><span aria-hidden="true">${n}</span><span class="sr-only">${t('dash.map.cluster.tip', { n })}</span></div>`,
        className: `marker-cluster marker-cluster-${size}`, iconSize: L.point(40, 40),
      });
    };
  }
  let counts = new Map();
  let breaks = [];
  function onGrid(feature, layer) {
    layer.on('click', (e) => {
      mapObj.L.DomEvent.stopPropagation(e);
      location.hash = listLink({ region: feature.properties.id });
    });
    layer.on('add', () => {
      const el = layer.getElement();
      if (el) { el.dataset.grid = feature.properties.code; el.classList.add('choro-grid'); }
    });
  }
  function styleGrid(feature) {
    const v = (counts.get(feature.properties.code) || {})[mapControls.measure()] || 0;
    return { color: '#475569', weight: 1, fillColor: choroColour(v, breaks), fillOpacity: v ? 0.55 : 0.08 };
  }

  // The window's grid counts and located cases, drawn on the layers the controls ask for.
  let mapSeq = 0;
  async function loadMap() {
    const seq = ++mapSeq;
    const days = mapControls.days();
    const now = new Date();
    win = { from: new Date(now.getTime() - days * 86400000).toISOString(), to: new Date(now.getTime() + 60000).toISOString() };
    const [m, stats, list] = await Promise.all([mapReady, api.get('/stats/grids', win), api.cases({ from: win.from }, MAP_MAX)]);
    if (seq !== mapSeq || closed) return;
    counts = new Map(stats.items.map((g) => [g.code, g]));
    const measure = mapControls.measure();
    breaks = choroBreaks(Math.max(0, ...stats.items.map((g) => g[measure])));
    layers.choro.clearLayers();
    layers.choro.addData({ type: 'FeatureCollection', features: gridShapes.map((g) => ({ type: 'Feature',
      properties: { id: g.id, code: g.code, name: g.name }, geometry: g.boundary })) });
    layers.choro.setStyle(styleGrid);
    layers.choro.eachLayer((l) => {
      const g = counts.get(l.feature.properties.code) || { open: 0, overdue: 0, total: 0 };
      l.bindTooltip(t('dash.map.grid.tip', { name: l.feature.properties.name, p: t('p.colon'), ...g }), { sticky: true });
    });
    const located = list.items.filter((c) => c.lat != null && c.lon != null);
    layers.heat.setLatLngs(located.map((c) => [c.lat, c.lon, c.overdue ? 1 : 0.6]));
    layers.points.clearLayers();
    layers.points.addLayers(located.map((c) => m.L.circleMarker([c.lat, c.lon], {
      radius: URG_RADIUS[c.urgency] || 6, color: c.overdue ? '#dc2626' : '#111827', weight: c.overdue ? 3 : 1,
      fillColor: STATE_COLOURS[c.state] || '#666', fillOpacity: 0.85, className: `case-point case-${c.id}`,
    }).bindTooltip(`${c.number} ${c.title}${t('p.paren', { x: t('state.' + c.state) })}`)
      .on('click', (e) => { m.L.DomEvent.stopPropagation(e); location.hash = `#/case/${c.id}`; })));
    showLayers();
    mapNote.textContent = t(list.more ? 'dash.map.shown.more' : 'dash.map.shown', { n: days, count: located.length, total: list.items.length });
    drawChoroLegend(measure);
    drawGridRank(stats, measure);
  }
  function showLayers() {
    choroLegend.hidden = !mapControls.on('choro');
    if (!mapObj || !layers) return;
    for (const k of ['choro', 'heat', 'points']) {
      const on = mapControls.on(k);
      if (on && !mapObj.map.hasLayer(layers[k])) layers[k].addTo(mapObj.map);
      if (!on && mapObj.map.hasLayer(layers[k])) layers[k].remove();
    }
  }
  mapControls.onLayers(showLayers);
  function drawChoroLegend(measure) {
    const m = t('dash.map.measure.' + measure);
    const rows = [[CHORO_COLOURS[0], '0']];
    let lo = 1;
    breaks.forEach((b, i) => {
      rows.push([CHORO_COLOURS[1 + i + (4 - breaks.length)], lo === b ? String(b) : `${lo}–${b}`]);
      lo = b + 1;
    });
    clear(choroLegend, h('p', { class: 'legend-title' }, t('dash.map.legend', { m })),
      h('ul', { class: 'legend', 'data-measure': measure }, rows.map(([c, label]) => h('li', {}, h('span', { class: 'sw', style: `background:${c}` }), label))));
    choroLegend.hidden = !mapControls.on('choro');
  }
  function drawGridRank(stats, measure) {
    const rows = stats.items.filter((g) => g[measure] > 0).sort((a, b) => b[measure] - a[measure] || a.code.localeCompare(b.code)).slice(0, 10);
    clear(gridBox, h('h3', {}, t('dash.map.grids')),
      rows.length ? h('table', { class: 'compact' },
        h('caption', { class: 'sr-only' }, t('dash.map.grids')),
        h('thead', {}, h('tr', {}, ['grid', 'open', 'overdue', 'total'].map((k) => h('th', { scope: 'col' }, t('dash.map.col.' + k))))),
        h('tbody', {}, rows.map((g) => h('tr', { 'data-grid': g.code },
          h('td', {}, h('a', { href: listLink({ region: g.region_id }) }, g.name)),
          h('td', {}, String(g.open)), h('td', {}, String(g.overdue)), h('td', {}, String(g.total))))))
        : h('p', { class: 'muted' }, t('dash.map.grids.none')),
      stats.elsewhere.total ? h('p', { class: 'muted' }, t('dash.map.elsewhere', { n: stats.elsewhere.total })) : null);
  }

  async function refresh() {
    if (closed) return;
    const now = new Date();
    const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const from = new Date(today.getTime() - 13 * 86400000);
    const { items } = await api.cases({ from: from.toISOString() }, SAMPLE);
    const todayCount = items.filter((c) => new Date(c.created_at) >= today).length;
    const overdue = (await api.cases({ queue: 'overdue' }, SAMPLE)).items.length;
    const open = items.filter((c) => OPEN.has(c.state)).length;
    let rates = {};
    let rows = [];
    // Only some roles may read the assessment (the server's route table decides): a refusal
    // leaves the rates and the ranking empty, and this screen does not ask again.
    if (mayAssess) {
      const to = new Date(today.getTime() + 86400000);
      try {
        const a = await api.get('/stats/assessment', { from: isoDay(from), to: isoDay(to) });
        rows = a.rows;
        const all = await api.get('/stats/assessment', { from: isoDay(from), to: isoDay(to), by: 'region', level: 'district' });
        rates = all.rows.find((r) => r.id) || {};
      } catch (e) {
        if (e.status !== 403) throw e;
        mayAssess = false;
      }
    }
    clear(tiles,
      tile(t('dash.today'), String(todayCount), 'today'),
      tile(t('dash.open'), String(open), 'open'),
      tile(t('dash.overdue'), String(overdue), 'overdue', overdue > 0),
      tile(t('dash.response'), pct(rates.response_rate), 'response'),
      tile(t('dash.solve'), pct(rates.solve_rate), 'solve'),
      tile(t('dash.satisfaction'), pct(rates.satisfaction_rate), 'satisfaction'));
    sampleNote.textContent = t('dash.sample', { n: items.length });
    try { await loadMap(); } catch (e) { mapNote.textContent = e.plain ? e.plain() : String(e); }
    clear(rankBox, rows.length ? h('table', {},
      h('caption', { class: 'sr-only' }, t('dash.ranking')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('dash.rank')), h('th', { scope: 'col' }, t('col.department')),
        h('th', { scope: 'col' }, t('dash.score')), h('th', { scope: 'col' }, t('dash.satisfaction')))),
      h('tbody', {}, rows.filter((r) => r.id).slice(0, 10).map((r) => h('tr', {},
        h('td', {}, r.rank ?? '—'), h('td', {}, r.name), h('td', {}, r.score == null ? '—' : r.score.toFixed(2)),
        h('td', {}, pct(r.satisfaction_rate)))))) : h('p', { class: 'muted' }, t('app.none')));

    // Hot topics come from triage; a server without it (404) simply has no such panel.
    try {
      const hot = await api.get('/triage/hot', { days: 7 });
      const topics = (hot.topics || []).slice(0, 8);
      hotBox.hidden = !topics.length;
      clear(hotBox, h('h2', { id: 'hot-h' }, t('dash.hot')), h('ol', { class: 'hot' }, topics.map((x) => h('li', {},
        x.case_ids && x.case_ids[0] ? h('a', { href: `#/case/${x.case_ids[0]}` }, x.title) : x.title, ' ',
        h('span', { class: 'muted' }, t('dash.hot.count', { n: x.count }), x.places && x.places.length ? ' · ' + x.places.slice(0, 3).join(t('p.list')) : '')))));
    } catch { hotBox.hidden = true; }

    // Charts
    const days = [];
    for (let i = 0; i < 14; i++) days.push(isoDay(new Date(from.getTime() + i * 86400000)));
    const perDay = Object.fromEntries(days.map((d) => [d, 0]));
    for (const c of items) { const d = isoDay(new Date(c.created_at)); if (d in perDay) perDay[d]++; }
    const cats = await categories();
    const topOf = new Map();
    for (const c of cats) topOf.set(c.id, c);
    const perCat = new Map();
    for (const c of items) {
      let k = c.category_id ? topOf.get(c.category_id) : null;
      while (k && k.parent_id) k = topOf.get(k.parent_id);
      const name = k ? k.name : t('field.category.none');
      perCat.set(name, (perCat.get(name) || 0) + 1);
    }
    try { await chartsReady; } catch { return; }
    if (closed) return;
    const E = window.echarts;
    trendChart = trendChart || E.init(trendEl);
    trendChart.setOption({
      grid: { left: 36, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'line', data: days.map((d) => perDay[d]), areaStyle: {}, smooth: true, color: '#1d4ed8' }],
    });
    trendEl.setAttribute('aria-label', `${t('dash.trend')}${t('p.colon')}${days.map((d) => `${d.slice(5)} ${perDay[d]}`).join(t('p.comma'))}`);
    catChart = catChart || E.init(catEl);
    const catData = [...perCat.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
    catChart.setOption({
      tooltip: { trigger: 'item' },
      series: [{ type: 'pie', radius: ['35%', '70%'], data: catData.map(([name, value]) => ({ name, value })) }],
    });
    catEl.setAttribute('aria-label', `${t('dash.categories')}${t('p.colon')}${catData.map(([n, v]) => `${n} ${v}`).join(t('p.comma'))}`);
  }

  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(() => refresh().catch(() => {}), 800); };
  const onEvent = (ev) => {
    let n = null;
    try { n = JSON.parse(ev.data); } catch { return; }
    if (n && n.message) {
      feed.prepend(h('li', {}, h('time', { datetime: n.created_at }, fmtTime(n.created_at)), ' ',
        n.case_id ? h('a', { href: `#/case/${n.case_id}` }, n.message) : n.message));
      while (feed.children.length > 30) feed.lastChild.remove();
    }
    later();
  };
  // Opens with the latest 20 in scope; supervisors' streams carry new and overdue cases too.
  const es = eventStream(ALL_EVENTS, onEvent, { recent: 20 });
  es.onopen = () => { streamState.textContent = t('dash.stream.on'); streamState.dataset.stream = 'open'; };
  es.onerror = () => { streamState.textContent = t('dash.stream.off'); streamState.dataset.stream = 'closed'; };
  const onResize = () => { trendChart && trendChart.resize(); catChart && catChart.resize(); };
  window.addEventListener('resize', onResize);
  if (query && query.get('wall') === '1') wallBtn.click();
  onCleanup(() => { setWall(false); closed = true; es.close(); clearTimeout(timer); window.removeEventListener('resize', onResize);
    trendChart && trendChart.dispose(); catChart && catChart.dispose(); });
  setTimeout(() => { refresh().catch((e) => clear(tiles, h('p', { class: 'error', role: 'alert' }, e.plain ? e.plain() : String(e)))); }, 0);
  return root;
}

// The communities with registered residents, lowest rate first (where to go and ask), each a
// bar of its rate with residents and voters; at most PARTIC_MAX rows, the rest counted.
const PARTIC_MAX = 12;
export function participationPanel(items) {
  const rows = items.filter((x) => x.residents > 0)
    .sort((a, b) => a.rate_pct - b.rate_pct || a.region.localeCompare(b.region));
  if (!rows.length) return [h('p', { class: 'muted' }, t('participation.none'))];
  const total = rows.reduce((n, x) => n + x.residents, 0);
  const voters = rows.reduce((n, x) => n + x.voters, 0);
  return [
    h('p', { class: 'muted' }, t('dash.participation.all', { voters, total, pct: `${((100 * voters) / total).toFixed(1)}%` })),
    h('table', { class: 'compact participation-bars' },
      h('caption', { class: 'sr-only' }, t('dash.participation')),
      h('thead', {}, h('tr', {}, ['participation.col.community', 'participation.col.residents', 'participation.col.voters', 'participation.col.rate']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, rows.slice(0, PARTIC_MAX).map((x) => h('tr', { 'data-region': x.region, 'data-rate': x.rate_pct.toFixed(1) },
        h('td', {}, x.name), h('td', {}, String(x.residents)), h('td', {}, String(x.voters)),
        h('td', {}, h('meter', { min: 0, max: 100, value: x.rate_pct, 'aria-label': t('dash.participation.of', { name: x.name }) }),
          ' ', `${x.rate_pct.toFixed(1)}%`))))),
    rows.length > PARTIC_MAX ? h('p', { class: 'muted' }, t('dash.participation.more', { n: rows.length - PARTIC_MAX })) : null,
  ];
}

// Each tile opens what it counts: the cases behind a count, the assessment behind a rate.
const TILE_LINKS = {
  today: () => `#/cases?from=${encodeURIComponent(new Date(new Date().setHours(0, 0, 0, 0)).toISOString())}`,
  open: () => '#/cases?state=new,dispatched,returned,processing,hanging,reviewing,replied,rectifying',
  overdue: () => '#/cases?overdue=true&state=dispatched,returned,processing,hanging,rectifying',
  response: () => '#/assessment', solve: () => '#/assessment', satisfaction: () => '#/assessment',
};
function tile(label, value, key, alert) {
  return h('a', { class: 'tile' + (alert ? ' alert' : ''), 'data-kpi': key, href: TILE_LINKS[key] ? TILE_LINKS[key]() : '#/cases' },
    h('div', { class: 'v' }, value), h('div', { class: 'l' }, label));
}

// The map's controls: which layers, what the grids are coloured by, how many days back.
function controls(onChange) {
  const boxes = {};
  const group = h('fieldset', { class: 'map-layers' }, h('legend', {}, t('dash.map.layers')),
    ['points', 'heat', 'choro'].map((k) => {
      const c = h('input', { type: 'checkbox', name: 'layer', value: k, checked: k !== 'heat' });
      boxes[k] = c;
      return h('label', { class: 'check' }, c, ' ', t('dash.map.' + k));
    }));
  const measure = h('select', { name: 'measure', id: 'map-measure' }, MEASURES.map((m) => h('option', { value: m }, t('dash.map.measure.' + m))));
  const range = h('input', { type: 'range', name: 'days', id: 'map-days', min: WINDOW_DAYS.min, max: WINDOW_DAYS.max, step: 1, value: WINDOW_DAYS.initial });
  const out = h('output', { for: 'map-days', class: 'map-window' }, t('dash.map.window', { n: WINDOW_DAYS.initial }));
  const layerFns = [];
  let timer = null;
  for (const c of Object.values(boxes)) c.addEventListener('change', () => layerFns.forEach((f) => f()));
  measure.addEventListener('change', () => onChange());
  range.addEventListener('input', () => {
    out.textContent = t('dash.map.window', { n: range.value });
    range.setAttribute('aria-valuetext', out.textContent);
    clearTimeout(timer);
    timer = setTimeout(onChange, 300);
  });
  range.setAttribute('aria-valuetext', out.textContent);
  const el = h('div', { class: 'map-controls' }, group,
    h('div', { class: 'field' }, h('label', { for: 'map-measure' }, t('dash.map.measure')), measure),
    h('div', { class: 'field map-slider' }, h('label', { for: 'map-days' }, t('dash.map.window.label')), range, out));
  return {
    el,
    on: (k) => boxes[k].checked,
    measure: () => measure.value,
    days: () => Number(range.value),
    onLayers: (f) => layerFns.push(f),
  };
}

function legend() {
  return h('ul', { class: 'legend' }, Object.entries(STATE_COLOURS).filter(([s]) => s !== 'merged').map(([s, c]) =>
    h('li', {}, h('span', { class: 'sw', style: `background:${c}` }), t('state.' + s))));
}
