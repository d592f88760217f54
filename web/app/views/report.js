// Reporting a problem: citizens (web) and grid workers (grid). Text first; category optional and
// suggested live; photos from the camera; location by map click or address.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, checkbox, showError, clearErrors, formBody, toast } from '../ui.js';
import { categoryPicker } from '../pickers.js';
import { regionMap } from '../map.js';
import { addressAutocomplete } from '../addrsuggest.js';
import { triagePanel } from './triage.js';

// A location picker: a map to click and an address box; `value()` gives {lat, lon, address}.
// `grid`: the grid the point falls in, shown as the point moves.
export function locationPicker({ grid: withGrid = false } = {}) {
  const mapEl = h('div', { class: 'map pick-map', 'aria-describedby': 'loc-kb' });
  const status = h('p', { class: 'hint', 'aria-live': 'polite' }, t('field.location.hint'));
  const clearBtn = h('button', { type: 'button', class: 'small link', hidden: true }, t('field.location.clear'));
  // On a phone in the street the device's own position is the quickest way to say where.
  const hereBtn = h('button', { type: 'button', class: 'small', hidden: !navigator.geolocation }, t('field.location.here'));
  hereBtn.addEventListener('click', () => navigator.geolocation.getCurrentPosition(
    (p) => { set(p.coords.latitude, p.coords.longitude); if (mapObj) mapObj.map.panTo([p.coords.latitude, p.coords.longitude]); },
    () => { status.textContent = t('field.location.denied'); },
    { enableHighAccuracy: true, timeout: 10000 }));
  const address = h('input', { type: 'text', name: 'address', autocomplete: 'street-address', maxlength: 200 });
  // The grid the point falls in, asked of the server each time the point moves.
  const gridLine = h('p', { class: 'loc-grid', 'aria-live': 'polite', hidden: true });
  let point = null;
  let marker = null;
  let mapObj = null;
  let locateSeq = 0;
  const el = h('div', { class: 'field', 'data-fields': 'lat lon region_id' },
    h('span', { class: 'label', id: 'loc-l' }, t('field.location')),
    mapEl, h('p', { class: 'sr-only', id: 'loc-kb' }, t('field.location.keys')),
    h('div', { class: 'row' }, status, hereBtn, clearBtn), gridLine,
    h('div', { class: 'error', role: 'alert', hidden: true }));
  mapEl.setAttribute('aria-labelledby', 'loc-l');
  const addrField = field(t('field.address'), address, { names: ['address'] });
  async function locate(p) {
    const seq = ++locateSeq;
    if (!p || !withGrid) { gridLine.hidden = true; return; }
    let text;
    try {
      const r = await api.get('/regions/locate', { lat: p.lat, lon: p.lon });
      const grid = r.path[r.path.length - 1];
      const parents = r.path.slice(1, -1).reverse().map((x) => x.name).join(t('p.list'));
      text = grid.level === 'grid'
        ? t('field.location.grid', { name: parents ? t('field.location.grid.path', { grid: grid.name, parents }) : grid.name })
        : t('field.location.grid.none');
      gridLine.dataset.grid = grid.level === 'grid' ? grid.code : '';
    } catch (e) {
      if (e.status !== 404) return;
      text = t('field.location.grid.none');
      gridLine.dataset.grid = '';
    }
    if (seq !== locateSeq) return;
    gridLine.textContent = text;
    gridLine.hidden = false;
  }
  function set(lat, lon) {
    point = lat === null ? null : { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 };
    if (marker && !point) { marker.remove(); marker = null; }
    if (point && mapObj) {
      if (marker) marker.setLatLng([point.lat, point.lon]);
      else {
        // Dragged to the right spot, the marker moves the point (the grid is asked again).
        marker = mapObj.L.marker([point.lat, point.lon], { keyboard: false, alt: t('field.location'), title: t('field.location.drag'), draggable: true }).addTo(mapObj.map);
        marker.on('dragend', () => { const p = marker.getLatLng(); set(p.lat, p.lng); });
      }
    }
    status.textContent = point ? t('field.location.picked', point) : t('field.location.hint');
    clearBtn.hidden = !point;
    locate(point);
  }
  clearBtn.addEventListener('click', () => set(null, null));
  regionMap(mapEl, { label: t('field.location.hint') }).then((m) => {
    mapObj = m;
    m.map.on('click', (e) => set(e.latlng.lat, e.latlng.lng));
    // Keyboard: Leaflet pans with the arrow keys while the map has focus; Enter or Space takes
    // the point under the crosshair in the middle.
    mapEl.addEventListener('keydown', (e) => {
      if (e.target !== mapEl || (e.key !== 'Enter' && e.key !== ' ')) return;
      e.preventDefault();
      const c = m.map.getCenter();
      set(c.lat, c.lng);
    });
  }).catch(() => { mapEl.hidden = true; });
  return {
    el: h('div', {}, el, addrField),
    value: () => ({ ...(point || {}), address: address.value.trim() }),
    set,
    reset() { set(null, null); address.value = ''; },
    // Bring the point into view (a point taken from the address search may lie off the map).
    pan() { if (point && mapObj) mapObj.map.setView([point.lat, point.lon], Math.max(mapObj.map.getZoom(), 16)); },
    invalidate() { if (mapObj) mapObj.map.invalidateSize(); },
  };
}

// A report's body; the title, when left out, is the description's start. The location's point
// is the map's, not a control's.
const FIELDS = [
  { name: 'description', required: true },
  { name: 'title' },
  { name: 'category', type: 'int' },
  { name: 'address' },
];
const ANONYMOUS = { name: 'anonymous', type: 'bool', empty: 'omit' };
// The citizen's consent to publication through Open311 (default no; docs/open311.md).
const PUBLIC = { name: 'public', type: 'bool', empty: 'omit' };

export async function report({ user, title: heading }) {
  const isGrid = user.roles.includes('grid_worker') && !user.roles.includes('citizen');
  const title = h('input', { type: 'text', name: 'title', maxlength: 200 });
  const desc = h('textarea', { name: 'description', rows: 5, maxlength: 5000 });
  const cat = await categoryPicker();
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment', multiple: true });
  const loc = locationPicker({ grid: true });
  // The address box completes from the address register, as at the intake console: a candidate
  // taken puts the point (and so the grid) where it is.
  const addrInput = loc.el.querySelector('input[name=address]');
  const ac = addressAutocomplete(addrInput, {
    onPick: (x) => { loc.set(x.lat, x.lon); loc.pan(); },
    onUnpick: () => loc.set(null, null),
  });
  addrInput.after(ac.el);
  const anon = checkbox(t('field.anonymous'), 'anonymous', false);
  const pub = checkbox(t('field.public'), 'public', false);
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('report.submit'));
  const result = h('div', { 'aria-live': 'polite' });
  const panel = triagePanel({
    input: () => ({ title: title.value.trim(), description: desc.value.trim(), ...loc.value() }),
    onCategory: (id) => { cat.value = String(id); },
    plain: !isGrid,
  });
  desc.addEventListener('input', panel.schedule);
  title.addEventListener('input', panel.schedule);

  const form = h('form', { class: 'form', novalidate: true },
    field(t('field.description'), desc, { names: ['description'], hint: t('field.description.hint'), required: true }),
    h('div', { class: 'secondary-info' }, field(t('field.title'), title, { names: ['title'], hint: t('field.title.hint') })),
    panel.el,
    cat.wrap,
    loc.el,
    field(t('field.photos'), photos, { names: ['file'], hint: t('field.photos.hint') }),
    isGrid ? null : h('div', { class: 'secondary-info' }, anon, pub),
    h('div', { class: 'buttons' }, submit));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let body;
    try {
      body = { ...formBody(form, isGrid ? FIELDS : [...FIELDS, ANONYMOUS, PUBLIC]), channel: isGrid ? 'grid' : 'web' };
    } catch (e) { showError(form, e); return; }
    body.title = body.title || body.description.slice(0, 30);
    const l = loc.value();
    if (l.lat !== undefined) { body.lat = l.lat; body.lon = l.lon; }
    submit.disabled = true;
    try {
      const c = await api.post('/cases', body);
      const failures = [];
      for (const f of [...photos.files].slice(0, 9)) {
        try { await api.upload(`/cases/${c.id}/attachments`, f); } catch (e) {
          failures.push(t('report.photos.failed', { name: f.name, msg: e.plain() }));
        }
      }
      const msg = t('report.done', { number: c.number, code: c.check_code || '' });
      clear(result, h('div', { class: 'card done', role: 'status' },
        h('p', {}, msg), failures.map((x) => h('p', { class: 'error' }, x)),
        h('a', { class: 'button primary', href: `#/case/${c.id}` }, t('report.view'))));
      form.reset();
      cat.reset();
      loc.reset();
      ac.reset();
      panel.update();
      toast(msg);
      result.querySelector('a').focus();
    } catch (e) {
      showError(form, e);
    } finally {
      submit.disabled = false;
    }
  });
  setTimeout(loc.invalidate, 50);
  return h('div', { class: 'report' }, h('h1', {}, heading), result, form);
}
