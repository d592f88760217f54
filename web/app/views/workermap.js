// 网格员派单地图 (issue 15 item 7): the dispatcher picks a located case waiting for a grid worker
// and sees the workers smart dispatch suggests (GET /cases/{id}/worker-suggestions), each with its
// reason in words, on the map and in a list; "接受" assigns the case to that worker (the case
// action 'assign'), or the dispatcher overrides with any other active worker. 批量派单: tick
// several cases, set how many new tasks one worker may take, and the server proposes the
// assignment of least total cost (POST /grid-workers/plan, min-cost flow); each row can be
// changed to another worker before 全部接受 assigns them all, each case's outcome in its row.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, toast, showError, clearErrors } from '../ui.js';
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
    const boxes = items.map((c) => h('input', { type: 'checkbox', name: 'plan_case', value: String(c.id),
      'aria-label': t('wm.plan_pick', { number: c.number }) }));
    const all = h('input', { type: 'checkbox', name: 'plan_all', onchange: () => { boxes.forEach((b) => { b.checked = all.checked; }); } });
    const cap = h('input', { type: 'number', name: 'cap', min: '1', max: '50', value: '2', inputmode: 'numeric' });
    const form = h('form', { class: 'form workermap-plan', 'data-form': 'plan', novalidate: true },
      h('label', { class: 'check' }, all, ' ', t('wm.plan_all')),
      field(t('wm.plan_cap'), cap, { names: ['cap'] }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'secondary' }, t('wm.plan_do'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const ids = boxes.filter((b) => b.checked).map((b) => Number(b.value));
      plan(ids, Number(cap.value), form).catch((e) => showError(form, e));
    });
    clear(listEl, h('h2', {}, t('wm.cases')),
      h('ul', { class: 'workermap-case-list' }, items.map((c, i) => h('li', { 'data-case': String(c.id) },
        boxes[i], ' ',
        h('button', { type: 'button', class: 'link', onclick: () => pick(c) }, t('wm.case_item', { number: c.number, title: c.title }))))),
      form);
  }

  // The batch: the server's proposal, a worker per row (changeable), then all accepted at once.
  async function plan(ids, cap, form) {
    if (!ids.length) {
      showError(form, { plain: () => t('wm.plan_none'), field: 'cap' });
      return;
    }
    const r = await api.post('/grid-workers/plan', { case_ids: ids, cap });
    await ready;
    if (m) {
      layer.clearLayers();
      const pts = [];
      r.items.forEach((x) => {
        pts.push([x.lat, x.lon]);
        m.L.circleMarker([x.lat, x.lon], { radius: 8, color: '#111827', weight: 2, fillColor: '#f59e0b', fillOpacity: 1 })
          .bindTooltip(t('wm.case_item', { number: x.number, title: x.title })).addTo(layer);
        if (x.worker) {
          const at = x.worker.position.lat != null ? x.worker.position : x.worker.from;
          pts.push([at.lat, at.lon]);
          m.L.polyline([[at.lat, at.lon], [x.lat, x.lon]], { color: '#047857', weight: 2, dashArray: '4 4' }).addTo(layer);
        }
      });
      if (pts.length) m.map.fitBounds(m.L.latLngBounds(pts).pad(0.3), { maxZoom: 16 });
    }
    const rows = r.items.map((x) => {
      const choice = select([['', t('wm.plan_nobody')], ...workers.map((w) => [String(w.user_id), w.display_name || w.name])],
        { name: `worker_${x.case_id}`, value: x.worker ? String(x.worker.user_id) : '' });
      choice.setAttribute('aria-label', t('wm.plan_choice', { number: x.number }));
      const status = h('td', { class: 'plan-status' });
      return { x, choice, status, tr: h('tr', { 'data-plan-case': String(x.case_id) },
        h('td', {}, t('wm.case_item', { number: x.number, title: x.title })),
        h('td', {}, choice),
        h('td', {}, x.worker ? x.worker.reason : t('wm.plan_unplaced')),
        status) };
    });
    const accept = h('button', { type: 'button', class: 'primary' }, t('wm.plan_accept'));
    accept.addEventListener('click', async () => {
      accept.disabled = true;
      let done = 0;
      for (const row of rows) {
        const uid = Number(row.choice.value);
        if (!uid) { row.status.textContent = t('wm.plan_skipped'); continue; }
        const how = row.x.worker && row.x.worker.user_id === uid ? 'wm.note_accept' : 'wm.note_override';
        try {
          const fresh = await api.get(`/cases/${row.x.case_id}`);
          await api.post(`/cases/${row.x.case_id}/actions`, { action: 'assign', version: fresh.version, assignee: uid, note: t(how) });
          const w = workers.find((y) => y.user_id === uid);
          row.status.textContent = t('wm.plan_assigned', { name: w ? (w.display_name || w.name) : '' });
          row.status.classList.add('done');
          listEl.querySelector(`li[data-case="${row.x.case_id}"]`)?.classList.add('assigned');
          done++;
        } catch (e) {
          row.status.textContent = e.plain ? e.plain() : String(e);
          row.status.classList.add('error');
        }
      }
      toast(t('wm.plan_result', { n: done, total: rows.length }));
    });
    clear(sugEl,
      h('h2', { id: 'wm-sug-h' }, t('wm.plan_heading')),
      h('p', { class: 'muted' }, t('wm.plan_summary', { placed: r.placed, total: r.items.length, workers: r.workers })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'workermap-plan-table' },
        h('thead', {}, h('tr', {}, ...['wm.plan_col_case', 'wm.plan_col_worker', 'wm.plan_col_reason', 'wm.plan_col_status'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, ...rows.map((row) => row.tr)))),
      h('div', { class: 'buttons' }, accept));
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
