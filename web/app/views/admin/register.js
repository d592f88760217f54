// 标准地址库 (docs/maps.md): search the register by kind, add an address point or a place, edit a row (names, numbers, type, and a
// point's position on a small map), delete it, import a GeoJSON or CSV file with the report of
// every failing line, and export the register.
import { t, has } from '../../i18n.js';
import { api } from '../../api.js';
import { h, clear, field, select, formBody, showError, clearErrors, toast } from '../../ui.js';
import { regionMap } from '../../map.js';
import { table, code } from './common.js';

const AR = '/address-register';
const KINDS = ['points', 'places', 'roads', 'buildings', 'areas'];

// Each kind's type column (its body key and the strings of its values).
const TYPE = {
  roads: { key: 'kind', label: (v) => t('reg.road.' + v) },
  buildings: { key: 'use', label: (v) => t('reg.use.' + v) },
  places: { key: 'type', label: (v) => t('ptype.' + v) },
  areas: { key: 'kind', label: (v) => t('reg.area.' + v) },
  points: null,
};

// What a row shows as its name, by kind.
function rowName(kind, r) {
  if (kind === 'points') return r.address;
  if (kind === 'buildings') return `${r.compound}${r.number}`;
  if (kind === 'places') return r.address ? r.name + t('p.paren', { x: r.address }) : r.name;
  return r.name;
}

// The editable controls of a kind: [body key, label key, control type].
const EDIT = {
  roads: [['name', 'reg.f.name', 'text'], ['kind', 'reg.type', 'type']],
  buildings: [['compound', 'reg.f.compound', 'text'], ['number', 'reg.f.number', 'text'], ['use', 'reg.f.use', 'type'],
    ['floors', 'reg.f.floors', 'int']],
  points: [['house_no', 'reg.f.house_no', 'text'], ['compound', 'reg.f.compound', 'text'],
    ['building', 'reg.f.building', 'text'], ['unit', 'reg.f.unit', 'text'], ['lat', 'reg.f.lat', 'number'],
    ['lon', 'reg.f.lon', 'number']],
  places: [['name', 'reg.f.name', 'text'], ['type', 'reg.type', 'type'], ['address', 'reg.f.address', 'text'],
    ['lat', 'reg.f.lat', 'number'], ['lon', 'reg.f.lon', 'number']],
  areas: [['name', 'reg.f.name', 'text'], ['kind', 'reg.type', 'type']],
};

// The report of a refused import, in words: where, which field, why.
function reportTable(format, rep) {
  const where = (n) => (n ? t(format === 'csv' ? 'reg.line' : 'reg.feature', { n }) : t('reg.whole_file'));
  const fieldName = (f) => {
    if (!f) return t('reg.whole_line');
    for (const k of [`reg.f.${f}`, `fieldname.${f}`, `field.${f}`]) if (has(k)) return t(k);
    return t('fieldname.unknown');
  };
  const why = (r) => t(has('reg.why.' + r) ? 'reg.why.' + r : 'reg.why.other');
  return h('div', { class: 'import-report' },
    h('p', { class: 'error', role: 'alert' }, t('reg.import.failed', { n: rep.errors_total })),
    table(t('reg.import'), [t('reg.import.col.where'), t('reg.import.col.field'), t('reg.import.col.why')],
      rep.errors.map((e) => [where(e.line), fieldName(e.field), why(e.reason)])),
    rep.errors_total > rep.errors.length
      ? h('p', { class: 'muted' }, t('reg.import.more', { n: rep.errors_total - rep.errors.length })) : null);
}

export async function register() {
  const summary = await api.get(AR);
  const types = summary.types;
  // The counts follow every change made here.
  const counts = h('p', { class: 'muted', 'aria-live': 'polite' }, t('reg.summary', summary.counts));
  const recount = async () => { counts.textContent = t('reg.summary', (await api.get(AR)).counts); };
  const results = h('div', { class: 'register-results' });
  const editor = h('div', { class: 'register-editor' });
  const kindSel = select(KINDS.map((k) => [k, t('reg.kind.' + k)]), { name: 'kind' });
  const typeSel = select([['', t('reg.type.any')]], { name: 'type' });
  const q = h('input', { type: 'search', name: 'q', maxlength: 100 });
  const fillTypes = () => {
    const tp = TYPE[kindSel.value];
    clear(typeSel, h('option', { value: '' }, t('reg.type.any')),
      ...(tp ? types[kindSel.value].map((v) => h('option', { value: v }, tp.label(v))) : []));
    typeSel.disabled = !tp;
  };
  fillTypes();
  kindSel.addEventListener('change', fillTypes);

  let shown = [];
  let cursor = null;
  let total = 0;
  async function search(more) {
    const kind = kindSel.value;
    const page = await api.get(`${AR}/${kind}`, { q: q.value.trim(), type: typeSel.value, limit: 50,
      cursor: more ? cursor : undefined });
    shown = more ? shown.concat(page.items) : page.items;
    cursor = page.next_cursor;
    total = page.total;
    draw(kind);
  }
  function draw(kind) {
    const tp = TYPE[kind];
    const rows = shown.map((r) => [code(r.code), rowName(kind, r), tp ? tp.label(r[tp.key]) : '',
      r.region ? r.region.name : '',
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small', 'aria-label': t('reg.edit_row', { code: r.code }),
          onclick: () => edit(kind, r.id) }, t('app.edit')),
        h('button', { type: 'button', class: 'small danger', 'aria-label': t('reg.delete_row', { code: r.code }),
          onclick: () => remove(kind, r) }, t('app.delete')))]);
    clear(results,
      h('p', { 'aria-live': 'polite' }, t('reg.results', { n: total })),
      table(t('reg.kind.' + kind), [t('reg.col.code'), t('reg.col.name'), t('reg.col.type'), t('reg.col.grid'),
        t('reg.col.actions')], rows),
      cursor ? h('button', { type: 'button', class: 'small', onclick: () => search(true) }, t('app.more')) : null);
  }
  async function remove(kind, r) {
    if (!window.confirm(t('reg.delete_confirm', { code: r.code }))) return;
    try {
      await api.del(`${AR}/${kind}/${r.id}`);
      toast(t('reg.deleted'));
      await recount();
      clear(editor);
      await search(false);
    } catch (e) {
      toast(e.status === 409 ? t('reg.referenced') : e.plain());
    }
  }

  // A road chosen by its name: the exact name among the register's roads of that name.
  async function roadId(name) {
    const page = await api.get(`${AR}/roads`, { q: name, limit: 50 });
    const r = page.items.find((x) => x.name === name);
    return r ? r.id : null;
  }

  // The form of one row: an existing row (r.id) is edited, a new one (r.id undefined) created.
  // Roads, buildings and areas carry drawn geometry: they are added by importing a file.
  function rowForm(kind, r) {
    const isNew = !r.id;
    const spec = [];
    const lines = (isNew ? [['code', 'reg.col.code', 'text']] : []).concat(EDIT[kind]);
    let roadInput = null;
    let roadList = null;
    if (isNew && kind === 'points') {
      roadInput = h('input', { name: 'road', type: 'text', list: 'register-roads', maxlength: 100,
        autocomplete: 'off' });
      roadList = h('datalist', { id: 'register-roads' });
      roadInput.addEventListener('input', async () => {
        const v = roadInput.value.trim();
        if (!v) return;
        const page = await api.get(`${AR}/roads`, { q: v, limit: 20 }).catch(() => ({ items: [] }));
        clear(roadList, ...page.items.map((x) => h('option', { value: x.name })));
      });
    }
    const controls = lines.map(([key, label, type]) => {
      let c;
      if (type === 'type') {
        c = select(types[kind].map((v) => [v, TYPE[kind].label(v)]), { name: key, value: r[key] });
      } else {
        c = h('input', { name: key, type: type === 'text' ? 'text' : 'number', step: type === 'number' ? 'any' : '1',
          value: r[key] ?? '' });
      }
      spec.push({ name: key, type: type === 'type' ? 'text' : type, empty: type === 'text' ? '' : type === 'int' ? null : 'omit' });
      return field(t(label), c, { names: [key] });
    });
    if (roadInput) {
      controls.splice(1, 0, field(t('reg.f.road'), roadInput,
        { names: ['road', 'road_id'], hint: t('reg.add.road_hint') }));
    }
    const form = h('form', { class: 'form card', novalidate: true },
      h('h2', {}, isNew ? t('reg.add_heading', { kind: t('reg.kind.' + kind) }) : t('reg.edit_heading', { code: r.code })),
      kind === 'points' && r.road ? h('p', {}, t('reg.on_road', { road: r.road })) : null,
      h('div', { class: 'cols' }, controls),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary' }, t('app.save')),
        h('button', { type: 'button', onclick: () => clear(editor) }, t('app.cancel'))),
      roadList);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        const body = formBody(form, spec);
        if (isNew) {
          if (roadInput && roadInput.value.trim()) {
            const id = await roadId(roadInput.value.trim());
            if (!id) {
              showError(form, { field: 'road', message: t('reg.add.no_road') });
              return;
            }
            body.road_id = id;
          }
          await api.post(`${AR}/${kind}`, body);
          toast(t('reg.added'));
          await recount();
          q.value = body.code;
          kindSel.value = kind;
          fillTypes();
        } else {
          await api.patch(`${AR}/${kind}/${r.id}`, body);
          toast(t('app.saved'));
        }
        await search(false);
        clear(editor);
      } catch (e) { showError(form, e); }
    });
    clear(editor, form);
    if (kind === 'points' || kind === 'places') {
      // A small map: a click moves the point (the form's numbers follow; saving sends them).
      const mapEl = h('div', { class: 'map register-map' });
      const moved = h('p', { class: 'hint', 'aria-live': 'polite' });
      form.insertBefore(h('div', {}, h('p', {}, t('reg.map')), mapEl, moved), form.querySelector('.buttons'));
      regionMap(mapEl, { label: t('reg.map'), grids: true }).then(({ L, map }) => {
        const marker = isNew ? null : L.marker([r.lat, r.lon], { keyboard: false, alt: t('reg.map') }).addTo(map);
        if (!isNew) map.setView([r.lat, r.lon], 17);
        let m = marker;
        map.on('click', (e) => {
          const lat = Math.round(e.latlng.lat * 1e6) / 1e6;
          const lon = Math.round(e.latlng.lng * 1e6) / 1e6;
          if (m) m.setLatLng([lat, lon]);
          else m = L.marker([lat, lon], { keyboard: false, alt: t('reg.map') }).addTo(map);
          form.lat.value = lat;
          form.lon.value = lon;
          moved.textContent = t('reg.moved', { lat, lon });
        });
      }).catch(() => { mapEl.hidden = true; });
    }
    form.scrollIntoView({ block: 'nearest' });
    return form;
  }

  async function edit(kind, id) {
    rowForm(kind, await api.get(`${AR}/${kind}/${id}`));
  }

  // 新增: a row of the kind chosen in the search form (points and places; the others by import).
  const addButton = h('button', { type: 'button', onclick: () => {
    const kind = kindSel.value;
    if (kind === 'points' || kind === 'places') rowForm(kind, kind === 'places' ? { type: types.places[0] } : {});
    else clear(editor, h('p', { class: 'hint card', role: 'status' }, t('reg.add.by_import')));
  } }, t('reg.add'));

  const searchForm = h('form', { class: 'form card register-search', role: 'search', novalidate: true },
    h('div', { class: 'cols' },
      field(t('reg.kind'), kindSel, { names: ['kind'] }),
      field(t('reg.type'), typeSel, { names: ['type'] }),
      field(t('reg.q'), q, { names: ['q'] })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('reg.search')), addButton));
  searchForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(searchForm);
    try { await search(false); } catch (e) { showError(searchForm, e); }
  });

  // Import: the file as the body, its format from its name; a refusal lists every bad line.
  const file = h('input', { type: 'file', name: 'file', accept: '.geojson,.json,.csv,application/geo+json,text/csv' });
  const report = h('div', { 'aria-live': 'polite' });
  const importForm = h('form', { class: 'form card', novalidate: true },
    h('h2', {}, t('reg.import')),
    field(t('reg.import.file'), file, { names: ['file', 'format'], hint: t('reg.import.hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('reg.import.send'))),
    report);
  importForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(importForm);
    clear(report);
    const f = file.files[0];
    if (!f) { clear(report, h('p', { class: 'error', role: 'alert' }, t('reg.import.choose'))); return; }
    const format = /\.csv$/i.test(f.name) ? 'csv' : 'geojson';
    try {
      const rep = await api.upload(`${AR}/import?format=${format}`, f);
      const w = Object.fromEntries(KINDS.map((k) => [k, rep.written[k]]));
      clear(report, h('p', { class: 'ok', role: 'status' }, t('reg.import.done', { rows: rep.rows, ...w })));
      toast(t('app.saved'));
      await recount();
    } catch (e) {
      if (e.body && e.body.report) clear(report, reportTable(format, e.body.report));
      else showError(importForm, e);
    }
  });

  const exports = h('div', { class: 'card' }, h('h2', {}, t('reg.export')),
    h('p', {}, h('a', { href: `/api/v1${AR}/export?format=geojson`, download: 'address-register.geojson' },
      t('reg.export.geojson')), ' ',
    h('a', { href: `/api/v1${AR}/export?format=csv`, download: 'address-register.csv' }, t('reg.export.csv'))));

  await search(false);
  return h('div', {}, counts, searchForm, results, editor, importForm, exports);
}
