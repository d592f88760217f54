// 网格员派单地图 (issue 15 item 7): the dispatcher picks a located case waiting for a grid worker
// and sees the workers smart dispatch suggests (GET /cases/{id}/worker-suggestions), each with its
// reason in words, on the map and in a list; "接受" assigns the case to that worker (the case
// action 'assign'), or the dispatcher overrides with any other active worker.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, toast } from '../ui.js';
import { regionMap } from '../map.js';

export async function workerMap({ title }) {
  const mapEl = h('div', { class: 'map workermap-map' });
  const listEl = h('div', { class: 'workermap-cases' }, h('p', { class: 'muted' }, t('app.loading')));
  const sugEl = h('section', { class: 'workermap-suggestions', 'aria-live': 'polite', 'aria-labelledby': 'wm-sug-h' },
    h('h2', { id: 'wm-sug-h' }, t('wm.suggestions')), h('p', { class: 'muted' }, t('wm.pick_case')));
  const root = h('div', { class: 'workermap' },
    h('h1', {}, title),
    h('p', { class: 'muted' }, t('wm.intro')),
    h('div', { class: 'workermap-body' }, listEl, mapEl, sugEl));

  let m = null;
  let layer = null;
  const ready = regionMap(mapEl, { label: t('wm.map') }).then((made) => {
    m = made;
    layer = m.L.layerGroup().addTo(m.map);
  });

  let workers = [];
  try { workers = (await api.get('/grid-workers', { active: '1' })).items; } catch { /* none in reach */ }

  async function loadCases() {
    let items = [];
    try {
      const [fresh, sent] = await Promise.all([api.get('/cases', { state: 'new', limit: '50' }), api.get('/cases', { state: 'dispatched', limit: '50' })]);
      items = [...fresh.items, ...sent.items].filter((c) => c.lat != null);
    } catch (e) {
      clear(listEl, h('p', { class: 'error', role: 'alert' }, e.plain()));
      return;
    }
    if (!items.length) { clear(listEl, h('p', { class: 'muted' }, t('wm.no_cases'))); return; }
    clear(listEl, h('h2', {}, t('wm.cases')),
      h('ul', { class: 'workermap-case-list' }, items.map((c) => h('li', { 'data-case': String(c.id) },
        h('button', { type: 'button', class: 'link', onclick: () => pick(c) }, t('wm.case_item', { number: c.number, title: c.title }))))));
  }

  function draw(c, items) {
    if (!m) return;
    layer.clearLayers();
    m.L.circleMarker([c.lat, c.lon], { radius: 9, color: '#111827', weight: 3, fillColor: '#f59e0b', fillOpacity: 1 })
      .bindTooltip(t('wm.case_item', { number: c.number, title: c.title })).addTo(layer);
    const pts = [[c.lat, c.lon]];
    items.forEach((w, i) => {
      // Where the estimate starts: the last fix, or the centre of the worker's grid.
      const at = w.position.lat != null ? w.position : w.from;
      pts.push([at.lat, at.lon]);
      m.L.circleMarker([at.lat, at.lon], { radius: 7, color: '#fff', weight: 2, fillColor: i === 0 ? '#047857' : '#1d4ed8', fillOpacity: 0.95 })
        .bindTooltip(t('wm.worker_tip', { rank: i + 1, name: w.display_name || w.name })).addTo(layer);
    });
    m.map.fitBounds(m.L.latLngBounds(pts).pad(0.5), { maxZoom: 16 });
  }

  async function assign(c, userId, how) {
    try {
      const fresh = await api.get(`/cases/${c.id}`);
      await api.post(`/cases/${c.id}/actions`, { action: 'assign', version: fresh.version, assignee: userId, note: t(how) });
    } catch (e) {
      toast(e.plain());
      return;
    }
    const w = workers.find((x) => x.user_id === userId);
    toast(t('wm.assigned', { number: c.number, name: w ? (w.display_name || w.name) : '' }));
    clear(sugEl, h('h2', { id: 'wm-sug-h' }, t('wm.suggestions')),
      h('p', { class: 'done' }, t('wm.assigned', { number: c.number, name: w ? (w.display_name || w.name) : '' })));
    listEl.querySelector(`li[data-case="${c.id}"]`)?.classList.add('assigned');
  }

  async function pick(c) {
    clear(sugEl, h('h2', { id: 'wm-sug-h' }, t('wm.suggestions')), h('p', { class: 'muted' }, t('app.loading')));
    let s;
    try { s = await api.get(`/cases/${c.id}/worker-suggestions`, { limit: '5' }); } catch (e) {
      clear(sugEl, h('h2', { id: 'wm-sug-h' }, t('wm.suggestions')), h('p', { class: 'error', role: 'alert' }, e.plain()));
      return;
    }
    await ready;
    draw(c, s.items);
    const override = select([['', '—'], ...workers.map((w) => [String(w.user_id), w.display_name || w.name])], { name: 'override' });
    clear(sugEl,
      h('h2', { id: 'wm-sug-h' }, t('wm.suggestions_for', { number: c.number })),
      s.items.length ? h('ol', { class: 'workermap-sug-list' }, s.items.map((w) => h('li', { 'data-worker': String(w.user_id) },
        h('strong', {}, w.display_name || w.name), ' ',
        h('span', { class: 'reason' }, w.reason), ' ',
        h('button', { type: 'button', class: 'primary', 'aria-label': t('wm.accept_label', { name: w.display_name || w.name }),
          onclick: () => assign(c, w.user_id, 'wm.note_accept') }, t('wm.accept')))))
        : h('p', { class: 'muted' }, t('wm.none_on_duty', { n: s.considered })),
      h('div', { class: 'workermap-override' }, field(t('wm.override'), override),
        h('button', { type: 'button', onclick: () => { if (override.value) assign(c, Number(override.value), 'wm.note_override'); } }, t('wm.override_do'))));
  }

  loadCases();
  return root;
}
