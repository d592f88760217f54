// 一屏统览: cases on the region/grid map, KPI tiles, trend and category charts, the department
// ranking, and a live feed from the event stream (each event refreshes the figures, debounced).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, loadScript, fmtTime } from '../ui.js';
import { regionMap, STATE_COLOURS } from '../map.js';
import { categories } from '../data.js';
import { eventStream, ALL_EVENTS } from '../events.js';

const SAMPLE = 1000;
const URG_RADIUS = { normal: 6, urgent: 9, emergency: 12 };
const OPEN = new Set(['new', 'dispatched', 'returned', 'processing', 'hanging', 'replied', 'rectifying']);

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
  const root = h('div', { class: 'dashboard' },
    h('div', { class: 'dash-head' }, h('h1', {}, title), wallBtn), tiles,
    h('div', { class: 'dash-grid' },
      h('section', { class: 'card map-card', 'aria-labelledby': 'm-h' }, h('h2', { id: 'm-h' }, t('dash.map')),
        h('p', { class: 'muted' }, t('dash.legend')), mapEl, legend()),
      h('section', { class: 'card', 'aria-labelledby': 'tr-h' }, h('h2', { id: 'tr-h' }, t('dash.trend')), trendEl, sampleNote),
      h('section', { class: 'card', 'aria-labelledby': 'ct-h' }, h('h2', { id: 'ct-h' }, t('dash.categories')), catEl),
      h('section', { class: 'card', 'aria-labelledby': 'rk-h' }, h('h2', { id: 'rk-h' }, t('dash.ranking')), rankBox),
      h('section', { class: 'card', 'aria-labelledby': 'fd-h' }, h('h2', { id: 'fd-h' }, t('dash.feed')), streamState, feed),
      hotBox));

  let mapObj = null;
  let layer = null;
  let trendChart = null;
  let catChart = null;
  const chartsReady = loadScript('/vendor/echarts/echarts.min.js');
  regionMap(mapEl, { label: t('dash.map') }).then((m) => {
    mapObj = m;
    layer = m.L.layerGroup().addTo(m.map);
    // The grid layout settles after the map is made: measure again and refit.
    setTimeout(() => { m.map.invalidateSize(); if (m.bounds.isValid()) m.map.fitBounds(m.bounds, { padding: [8, 8] }); }, 100);
    draw(lastItems);
  });
  let lastItems = [];
  let closed = false;
  let mayAssess = true;

  function draw(items) {
    if (!mapObj) return;
    layer.clearLayers();
    for (const c of items) {
      if (c.lat == null || c.lon == null) continue;
      mapObj.L.circleMarker([c.lat, c.lon], {
        radius: URG_RADIUS[c.urgency] || 6, color: c.overdue ? '#dc2626' : '#111827', weight: c.overdue ? 3 : 1,
        fillColor: STATE_COLOURS[c.state] || '#666', fillOpacity: 0.85,
      }).bindTooltip(`${c.number} ${c.title}${t('p.paren', { x: t('state.' + c.state) })}`)
        .on('click', () => { location.hash = `#/case/${c.id}`; }).addTo(layer);
    }
  }

  async function refresh() {
    if (closed) return;
    const now = new Date();
    const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const from = new Date(today.getTime() - 13 * 86400000);
    const { items } = await api.cases({ from: from.toISOString() }, SAMPLE);
    lastItems = items;
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
    draw(items);
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

// Each tile opens what it counts: the cases behind a count, the assessment behind a rate.
const TILE_LINKS = {
  today: () => `#/cases?from=${encodeURIComponent(new Date(new Date().setHours(0, 0, 0, 0)).toISOString())}`,
  open: () => '#/cases?state=new,dispatched,returned,processing,hanging,replied,rectifying',
  overdue: () => '#/cases?overdue=true&state=dispatched,returned,processing,hanging,rectifying',
  response: () => '#/assessment', solve: () => '#/assessment', satisfaction: () => '#/assessment',
};
function tile(label, value, key, alert) {
  return h('a', { class: 'tile' + (alert ? ' alert' : ''), 'data-kpi': key, href: TILE_LINKS[key] ? TILE_LINKS[key]() : '#/cases' },
    h('div', { class: 'v' }, value), h('div', { class: 'l' }, label));
}

function legend() {
  return h('ul', { class: 'legend' }, Object.entries(STATE_COLOURS).filter(([s]) => s !== 'merged').map(([s, c]) =>
    h('li', {}, h('span', { class: 'sw', style: `background:${c}` }), t('state.' + s))));
}
