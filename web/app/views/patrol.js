// 巡查 (issue 15, docs/grid.md §3): a grid worker's patrol on the phone. Start, the map with the
// track walked so far, position fixes from the phone kept in localStorage and sent in batches
// whenever the connection allows (a weak signal loses nothing; the server ignores a fix sent
// twice and accepts them late and out of order), report a finding with photo and position, end.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, showError, clearErrors, formBody, toast, fmtTime } from '../ui.js';
import { regionMap } from '../map.js';

const QUEUE = 'gl.patrol.queue'; // {patrol: id, fixes: [{at, lat, lon, accuracy}]}
const BATCH = 200;
const FLUSH_MS = 10000;

function loadQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE)) || { patrol: 0, fixes: [] }; } catch { return { patrol: 0, fixes: [] }; }
}
function saveQueue(q) { localStorage.setItem(QUEUE, JSON.stringify(q)); }

// Queue a fix of the phone's position for patrol `id` (one per second: the server's identity).
export function queueFix(id, pos) {
  const q = loadQueue();
  if (q.patrol !== id) { q.patrol = id; q.fixes = []; }
  const at = new Date(Math.floor((pos.timestamp || Date.now()) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  if (q.fixes.some((f) => f.at === at)) return q;
  q.fixes.push({ at, lat: pos.coords.latitude, lon: pos.coords.longitude,
    ...(pos.coords.accuracy ? { accuracy: Math.min(100000, pos.coords.accuracy) } : {}) });
  saveQueue(q);
  return q;
}

const km = (m) => t('patrol.distance', { km: (m / 1000).toFixed(2) });
const FINDING = [
  { name: 'description', required: true },
  { name: 'title' },
];

export async function patrol({ title, onCleanup }) {
  const root = h('div', { class: 'patrol' }, h('h1', {}, title));
  const status = h('div', { class: 'card patrol-status', role: 'status', 'aria-live': 'polite' });
  const mapEl = h('div', { class: 'map patrol-map' });
  const body = h('div', {});
  root.append(status, body);
  let current = (await api.get('/patrols/current')).patrol;
  let watch = null;
  let timer = null;
  let sending = false;
  let m = null;
  let trackLine = null;
  let here = null;
  let lastPos = null;
  let findingsLayer = null;

  const queued = () => { const q = loadQueue(); return current && q.patrol === current.id ? q.fixes.length : 0; };
  const showStatus = () => {
    if (!current) { clear(status, h('p', {}, t('patrol.none'))); return; }
    clear(status,
      h('p', {}, t('patrol.under_way', { grid: current.region ? current.region.name : t('patrol.no_grid'), at: fmtTime(current.started_at) })),
      h('p', { class: 'patrol-figures' },
        h('span', { 'data-k': 'sent' }, t('patrol.sent', { n: current.fixes })), ' ',
        h('span', { 'data-k': 'queued' }, t('patrol.queued', { n: queued() })), ' ',
        h('span', { 'data-k': 'distance' }, km(current.distance_m)), ' ',
        h('span', { 'data-k': 'findings' }, t('patrol.findings', { n: current.findings }))));
  };
  const drawTrack = () => {
    if (!m || !current) return;
    const pts = current.track.coordinates.map(([lon, lat]) => [lat, lon]);
    for (const f of loadQueue().patrol === current.id ? loadQueue().fixes : []) pts.push([f.lat, f.lon]);
    if (trackLine) trackLine.remove();
    trackLine = m.L.polyline(pts, { color: '#1d4ed8', weight: 4 }).addTo(m.map);
    if (findingsLayer) findingsLayer.remove();
    findingsLayer = m.L.layerGroup(current.finding_cases.filter((c) => c.lat !== undefined).map((c) =>
      m.L.circleMarker([c.lat, c.lon], { radius: 7, color: '#c2410c', fillOpacity: 0.8 }).bindTooltip(c.title))).addTo(m.map);
    if (lastPos) {
      if (here) here.remove();
      here = m.L.circleMarker(lastPos, { radius: 6, color: '#047857', fillOpacity: 1 }).addTo(m.map);
    }
  };
  const refresh = async () => {
    if (!current) return;
    const r = await api.get(`/patrols/${current.id}`);
    current = r;
    showStatus();
    drawTrack();
  };

  // Send what is queued, a batch at a time; a failure leaves it queued for the next try.
  const flush = async () => {
    if (sending || !current) return;
    const q = loadQueue();
    if (q.patrol !== current.id || !q.fixes.length) return;
    sending = true;
    try {
      while (true) {
        const cur = loadQueue();
        const batch = cur.fixes.slice(0, BATCH);
        if (!batch.length) break;
        try {
          await api.post(`/patrols/${current.id}/fixes`, { fixes: batch });
        } catch (e) {
          // A fix the server refuses (a bad GPS jump) would block the queue: drop that one.
          const bad = e.field && /^fixes\[(\d+)\]/.exec(e.field);
          if (bad && e.status === 400) {
            const left = loadQueue();
            left.fixes = left.fixes.filter((f) => f.at !== batch[Number(bad[1])].at);
            saveQueue(left);
            continue;
          }
          throw e;
        }
        const left = loadQueue();
        const sent = new Set(batch.map((f) => f.at));
        left.fixes = left.fixes.filter((f) => !sent.has(f.at));
        saveQueue(left);
      }
      await refresh();
    } catch { showStatus(); /* offline: kept for later */ } finally { sending = false; }
  };

  const onPosition = (pos) => {
    if (!current) return;
    lastPos = [pos.coords.latitude, pos.coords.longitude];
    queueFix(current.id, pos);
    showStatus();
    drawTrack();
  };
  const startWatching = () => {
    if (navigator.geolocation && watch === null) {
      watch = navigator.geolocation.watchPosition(onPosition, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
    }
    if (!timer) timer = setInterval(flush, FLUSH_MS);
  };
  const stopWatching = () => {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    if (timer) clearInterval(timer);
    timer = null;
  };
  const online = () => flush();
  window.addEventListener('online', online);
  onCleanup(() => { stopWatching(); window.removeEventListener('online', online); });

  // The finding form: description, photo, position (where the phone is, or where the map was tapped).
  const findingForm = () => {
    const desc = h('textarea', { name: 'description', rows: 3, maxlength: 5000 });
    const ttl = h('input', { type: 'text', name: 'title', maxlength: 200 });
    const photo = h('input', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment' });
    const where = h('p', { class: 'muted', 'data-k': 'where' }, t('patrol.finding.where_here'));
    const submit = h('button', { type: 'submit', class: 'primary' }, t('patrol.finding.submit'));
    const form = h('form', { class: 'form patrol-finding', novalidate: true },
      h('h2', {}, t('patrol.finding.heading')),
      field(t('field.description'), desc, { names: ['description'], required: true }),
      field(t('field.title'), ttl, { names: ['title'] }),
      field(t('field.photos'), photo, { names: ['file'] }),
      where,
      h('div', { class: 'buttons' }, submit));
    let picked = null;
    if (m) m.map.on('click', (ev) => { picked = [ev.latlng.lat, ev.latlng.lng]; where.textContent = t('patrol.finding.where_map'); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      let b;
      try { b = formBody(form, FINDING); } catch (e) { showError(form, e); return; }
      const at = picked || lastPos || (current.track.coordinates.length
        ? [...current.track.coordinates[current.track.coordinates.length - 1]].reverse() : null);
      if (!at) { where.textContent = t('patrol.finding.no_position'); return; }
      b.title = b.title || b.description.slice(0, 30);
      b.lat = at[0];
      b.lon = at[1];
      submit.disabled = true;
      try {
        await flush();
        const c = await api.post(`/patrols/${current.id}/findings`, b);
        let note = t('patrol.finding.done', { number: c.number });
        if (photo.files[0]) {
          try { await api.upload(`/cases/${c.id}/attachments`, photo.files[0]); } catch (e) {
            note += ' ' + t('report.photos.failed', { name: photo.files[0].name, msg: e.plain() });
          }
        }
        form.reset();
        picked = null;
        where.textContent = t('patrol.finding.where_here');
        toast(note);
        await refresh();
      } catch (e) { showError(form, e); } finally { submit.disabled = false; }
    });
    return form;
  };

  const render = async () => {
    showStatus();
    if (!current) {
      stopWatching();
      const start = h('button', { type: 'button', class: 'primary big' }, t('patrol.start'));
      start.addEventListener('click', async () => {
        start.disabled = true;
        try {
          current = await api.post('/patrols', {});
          saveQueue({ patrol: current.id, fixes: [] });
          await render();
        } catch (e) { toast(e.plain()); start.disabled = false; }
      });
      const mine = (await api.get('/patrols', { limit: 5 })).items;
      clear(body, h('div', { class: 'buttons' }, start),
        h('h2', {}, t('patrol.recent')),
        mine.length ? h('ul', { class: 'patrol-recent' }, mine.map((p) => h('li', {},
          t('patrol.recent_item', { at: fmtTime(p.started_at), n: p.fixes, km: (p.distance_m / 1000).toFixed(2), f: p.findings }))))
          : h('p', { class: 'muted' }, t('patrol.recent_none')));
      return;
    }
    const end = h('button', { type: 'button' }, t('patrol.end'));
    end.addEventListener('click', async () => {
      end.disabled = true;
      try {
        await flush();
        if (queued()) { toast(t('patrol.end_queued', { n: queued() })); end.disabled = false; return; }
        await api.post(`/patrols/${current.id}/end`, {});
        toast(t('patrol.ended', { km: (current.distance_m / 1000).toFixed(2) }));
        current = null;
        m = null;
        await render();
      } catch (e) { toast(e.plain()); end.disabled = false; }
    });
    const sendNow = h('button', { type: 'button' }, t('patrol.send_now'));
    sendNow.addEventListener('click', flush);
    clear(body, mapEl, h('div', { class: 'buttons' }, sendNow, end));
    m = await regionMap(mapEl, { label: t('patrol.map') });
    const grid = current.region && (await api.get(`/regions/${current.region.id}`).catch(() => null));
    if (grid && grid.boundary) m.map.fitBounds(m.L.geoJSON(grid.boundary).getBounds(), { padding: [8, 8] });
    body.append(findingForm());
    drawTrack();
    startWatching();
    flush();
  };
  await render();
  return root;
}
