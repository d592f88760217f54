// 政务数据资源目录 for the data officer and every staff user (issue 17, docs/data-sharing.md):
// 数据目录 (search, the datasets, the three lists), a dataset's page (fields, grading, sharing
// class; 导入 a CSV or XLSX file with the result or the errors by line and field; 数据质量: the
// runs, their problems and the accuracy over time) and 数据质量 per owner department.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, checkbox, toast, fmtTime, showError, clearErrors } from '../ui.js';
import { departments } from '../data.js';

const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const word = (kind, v) => t(`cat.${kind}.${v}`);

function table(caption, cols, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t(k))))), h('tbody', {}, rows)));
}

const TABS = ['datasets', 'demand', 'responsibility', 'negative'];
const TYPES = ['text', 'name', 'address', 'region', 'date', 'integer', 'number', 'id_card', 'credit_code', 'mobile', 'phone', 'email'];
const MASKS = ['none', 'name', 'id_card', 'mobile', 'phone', 'address', 'email', 'credit_code', 'full', 'year'];
const opts = (kind, vs) => vs.map((v) => [v, word(kind, v)]);

// A new dataset (data officers of its department, admins): what it is, its grading and class,
// and its fields, one row each; a refusal is shown under the member it names (fields[2].type).
async function newDatasetForm(user, onMade) {
  const deps = (await departments()).filter((d) => user.roles.includes('admin') || (user.departments || []).includes(d.id));
  if (!deps.length) return null;
  const rows = h('div', { class: 'field-rows' });
  let n = 0;
  const addRow = () => {
    const i = n++;
    const f = (label, ctl, key) => field(t(label), ctl, { names: [`fields[${i}].${key}`] });
    rows.append(h('fieldset', { class: 'field-row', 'data-row': i }, h('legend', {}, t('cat.new.field_n', { n: i + 1 })),
      f('cat.f.name', h('input', { maxlength: 40, 'data-k': 'name', translate: 'no' }), 'name'),
      f('cat.f.label', h('input', { maxlength: 60, 'data-k': 'label' }), 'label'),
      f('cat.f.type', select(opts('type', TYPES)), 'type'), f('cat.f.mask', select(opts('mask', MASKS)), 'mask'),
      f('cat.f.sensitivity', select([1, 2, 3, 4].map((k) => [String(k), t('cat.level', { n: k })])), 'sensitivity'),
      checkbox(t('cat.f.required'), `fields[${i}].required`), checkbox(t('cat.f.key'), `fields[${i}].is_key`)));
  };
  addRow();
  const name = h('input', { maxlength: 100 });
  const desc = h('textarea', { rows: 2, maxlength: 2000 });
  const dep = select(deps.map((d) => [String(d.id), d.name]));
  const grade = select(opts('grade', ['general', 'important', 'core']));
  const pi = select(opts('pi', ['none', 'personal', 'sensitive']));
  const share = select(opts('share', ['conditional', 'unconditional', 'none']));
  const freq = select(opts('freq', ['monthly', 'realtime', 'daily', 'weekly', 'quarterly', 'yearly', 'irregular']));
  const form = h('form', { class: 'form card', 'data-form': 'dataset-new', novalidate: true }, h('h2', {}, t('cat.new.heading')),
    field(t('cat.col.name'), name, { names: ['name', 'code'], required: true }), field(t('cat.col.description'), desc, { names: ['description'] }),
    field(t('cat.col.department'), dep, { names: ['department_id'] }), field(t('cat.col.grade'), grade, { names: ['grade'] }),
    field(t('cat.fact.pi'), pi, { names: ['pi_level'] }), field(t('cat.col.share'), share, { names: ['share_class', 'open_class'] }),
    field(t('cat.col.freq'), freq, { names: ['update_freq'] }), rows,
    // After the rows: an error naming one field's member finds that member's row first.
    h('div', { 'data-fields': 'fields' }, h('div', { class: 'error', role: 'alert', hidden: true })),
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: addRow }, t('cat.new.add_field')),
      h('button', { type: 'submit', class: 'primary' }, t('cat.new.save'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const fields = [...rows.querySelectorAll('.field-row')].map((r) => {
      const [type, mask, sens] = r.querySelectorAll('select');
      const [req, key] = r.querySelectorAll('input[type=checkbox]');
      return { name: r.querySelector('[data-k=name]').value.trim(), label: r.querySelector('[data-k=label]').value.trim(),
        type: type.value, mask: mask.value, sensitivity: Number(sens.value), required: req.checked, is_key: key.checked };
    });
    try {
      const d = await api.post('/datasets', { name: name.value.trim(), description: desc.value.trim(), department_id: Number(dep.value),
        grade: grade.value, pi_level: pi.value, share_class: share.value, update_freq: freq.value, fields });
      toast(t('app.saved'));
      onMade(d);
    } catch (e) { showError(form, e); }
  });
  return form;
}

export async function catalog({ params, title, user }) {
  const tab = TABS.includes(params[0]) ? params[0] : 'datasets';
  const nav = h('nav', { class: 'tabs', 'aria-label': title }, h('ul', {}, TABS.map((k) => h('li', {},
    h('a', { href: `#/catalog/${k}`, 'aria-current': k === tab ? 'page' : null }, t('cat.tab.' + k))))));
  const body = h('div', { class: 'catalog-body' });
  const root = h('div', { class: 'catalog' }, h('h1', {}, title), nav, body);
  if (tab === 'datasets') {
    const q = h('input', { type: 'search', name: 'q', maxlength: 100 });
    const cls = select([['', t('cat.all')], ...['unconditional', 'conditional', 'none'].map((v) => [v, word('share', v)])], { name: 'share_class' });
    const list = h('div', { 'aria-live': 'polite' });
    const draw = async () => {
      const r = await api.get('/datasets', { q: q.value.trim(), share_class: cls.value });
      clear(list, h('p', { class: 'muted' }, t('cat.count', { n: r.items.length })), table(t('cat.tab.datasets'),
        ['cat.col.code', 'cat.col.name', 'cat.col.department', 'cat.col.grade', 'cat.col.share', 'cat.col.rows', 'cat.col.loaded'],
        r.items.map((d) => h('tr', { 'data-dataset': d.id },
          h('td', { translate: 'no' }, d.code),
          h('td', {}, h('a', { href: `#/dataset/${d.id}` }, d.name), h('div', { class: 'muted' }, d.description)),
          h('td', {}, d.department), h('td', {}, word('grade', d.grade)),
          h('td', {}, h('span', { class: `badge share-${d.share_class}` }, word('share', d.share_class))),
          h('td', {}, String(d.row_count)), h('td', {}, d.loaded_at ? fmtTime(d.loaded_at) : t('cat.never')))),
        t('cat.none_found')));
    };
    const form = h('form', { class: 'form inline', role: 'search', 'data-form': 'catalog-search',
      onsubmit: (ev) => { ev.preventDefault(); draw(); } },
    field(t('cat.search'), q, { names: ['q'], hint: t('cat.search.hint') }), field(t('cat.col.share'), cls, { names: ['share_class'] }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('cat.search.go'))));
    clear(body, form, list);
    await draw();
    if (user.roles.includes('data_officer') || user.roles.includes('admin')) {
      const made = await newDatasetForm(user, (d) => { location.hash = `#/dataset/${d.id}`; });
      if (made) body.append(made);
    }
    return root;
  }
  const r = await api.get('/catalog/lists');
  if (tab === 'demand') {
    clear(body, h('p', { class: 'muted' }, t('cat.demand.hint')), table(t('cat.tab.demand'),
      ['cat.col.dataset', 'cat.col.owner', 'cat.col.asker', 'cat.col.fields', 'cat.col.mode', 'cat.col.purpose', 'cat.col.status', 'cat.col.asked'],
      r.demand.map((q) => h('tr', { 'data-request': q.id },
        h('td', {}, h('a', { href: `#/dataset/${q.dataset_id}` }, q.dataset)), h('td', {}, q.owner), h('td', {}, q.department),
        h('td', { translate: 'no' }, q.fields), h('td', {}, word('mode', q.mode)), h('td', {}, q.purpose),
        h('td', {}, word('status', q.status)), h('td', {}, fmtTime(q.created_at)))), t('cat.demand.none')));
  } else if (tab === 'responsibility') {
    clear(body, h('p', { class: 'muted' }, t('cat.resp.hint')), r.responsibility.length ? r.responsibility.map((g) =>
      h('section', { 'data-department': g.department_id }, h('h2', {}, g.department), table(g.department,
        ['cat.col.code', 'cat.col.name', 'cat.col.share', 'cat.col.freq', 'cat.col.loaded', 'cat.col.rows', 'cat.col.timely'],
        g.datasets.map((d) => h('tr', { 'data-dataset': d.id }, h('td', { translate: 'no' }, d.code),
          h('td', {}, h('a', { href: `#/dataset/${d.id}` }, d.name)), h('td', {}, word('share', d.share_class)),
          h('td', {}, word('freq', d.update_freq)), h('td', {}, d.loaded_at ? fmtTime(d.loaded_at) : t('cat.never')),
          h('td', {}, String(d.row_count)),
          h('td', {}, h('span', { class: d.timely ? 'badge ok' : 'badge late' }, t(d.timely ? 'cat.timely' : 'cat.late'))))), ''))) :
      h('p', { class: 'muted' }, t('cat.none_found')));
  } else {
    clear(body, h('p', { class: 'muted' }, t('cat.neg.hint')), table(t('cat.tab.negative'),
      ['cat.col.code', 'cat.col.name', 'cat.col.department', 'cat.col.grade', 'cat.col.description'],
      r.negative.map((d) => h('tr', { 'data-dataset': d.id }, h('td', { translate: 'no' }, d.code),
        h('td', {}, h('a', { href: `#/dataset/${d.id}` }, d.name)), h('td', {}, d.department), h('td', {}, word('grade', d.grade)),
        h('td', {}, d.description))), t('cat.neg.none')));
  }
  return root;
}

// The accuracy over time: one bar per run, oldest first, with the 95% line.
function trend(runs, target) {
  const old = runs.slice().reverse();
  if (!old.length) return h('p', { class: 'muted' }, t('cat.q.none'));
  return h('ol', { class: 'quality-trend', 'aria-label': t('cat.q.trend') }, old.map((x) => h('li', {
    class: x.accuracy >= target ? 'pass' : 'fail', 'data-accuracy': String(x.accuracy) },
  h('span', { class: 'bar', style: `height:${Math.max(2, Math.round(x.accuracy * 100))}%` }),
  h('span', { class: 'bar-label' }, `${fmtTime(x.at).slice(5, 10)} ${pct(x.accuracy)}`))));
}

function runsTable(runs) {
  return table(t('cat.q.runs'), ['cat.q.at', 'cat.q.rows', 'cat.q.bad', 'cat.q.accuracy', 'cat.q.completeness', 'cat.q.validity',
    'cat.q.uniqueness', 'cat.q.timeliness', 'cat.q.case'],
  runs.map((x) => h('tr', { 'data-run': x.id }, h('td', {}, fmtTime(x.at)), h('td', {}, String(x.rows_checked)),
    h('td', {}, String(x.rows_bad)),
    h('td', {}, h('span', { class: x.passed ? 'badge ok' : 'badge late' }, pct(x.accuracy))),
    h('td', {}, pct(x.completeness)), h('td', {}, pct(x.validity)), h('td', {}, pct(x.uniqueness)),
    h('td', {}, x.timeliness >= 1 ? t('cat.timely') : t('cat.late')),
    h('td', {}, x.case_id ? h('a', { href: `#/case/${x.case_id}` }, x.case_number) : t('app.none')))), t('cat.q.none'));
}

function problemsTable(d, problems, total) {
  const label = (name) => (d.fields.find((f) => f.name === name) || { label: name }).label;
  return [h('p', { class: 'muted' }, t('cat.q.problems_total', { n: total })),
    table(t('cat.q.problems'), ['cat.q.row', 'cat.q.field', 'cat.q.rule', 'cat.q.reason'],
      problems.map((p) => h('tr', { 'data-problem': `${p.row_no}:${p.field}` }, h('td', {}, String(p.row_no)),
        h('td', {}, label(p.field)), h('td', {}, word('rule', p.rule)), h('td', {}, p.reason))), t('cat.q.no_problems'))];
}

function importErrors(d, rep) {
  const label = (name) => (d.fields.find((f) => f.name === name) || { label: name }).label;
  return h('div', { class: 'import-errors', role: 'alert' },
    h('p', {}, t('cat.imp.refused', { n: rep.errors_total, shown: rep.errors.length })),
    table(t('cat.imp.errors'), ['cat.imp.line', 'cat.q.field', 'cat.q.reason'],
      rep.errors.map((e) => h('tr', { 'data-line': e.line }, h('td', {}, String(e.line)),
        h('td', {}, e.field ? label(e.field) : t('cat.imp.whole_row')), h('td', {}, e.reason))), ''));
}

export async function datasetPage({ params, user }) {
  const id = params[0];
  const d = await api.get(`/datasets/${id}`);
  const rowsFact = h('span', { 'data-fact': 'rows' }, String(d.row_count));
  const manages = user.roles.includes('admin') || (user.roles.includes('data_officer') && (user.departments || []).includes(d.department_id));
  const facts = [['code', h('span', { translate: 'no' }, d.code)], ['department', d.department], ['grade', word('grade', d.grade)],
    ['pi', word('pi', d.pi_level)], ['share', word('share', d.share_class)], ['open', word('open', d.open_class)],
    ['freq', word('freq', d.update_freq)], ['source', word('source', d.source)], ['k_min', String(d.k_min)],
    ['rows', rowsFact], ['loaded', d.loaded_at ? fmtTime(d.loaded_at) : t('cat.never')]];
  const fields = table(t('cat.fields'), ['cat.f.name', 'cat.f.label', 'cat.f.type', 'cat.f.mask', 'cat.f.sensitivity', 'cat.f.required', 'cat.f.key'],
    d.fields.map((f) => h('tr', { 'data-field': f.name }, h('td', { translate: 'no' }, f.name), h('td', {}, f.label),
      h('td', {}, word('type', f.type)), h('td', {}, word('mask', f.mask)), h('td', {}, t('cat.level', { n: f.sensitivity })),
      h('td', {}, f.required ? t('app.yes') : ''), h('td', {}, f.is_key ? t('app.yes') : ''))), '');
  const root = h('div', { class: 'dataset-page' }, h('h1', {}, d.name), h('p', {}, h('a', { href: '#/catalog' }, t('cat.back'))),
    h('p', {}, d.description),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, t('cat.fact.' + k)), h('dd', {}, v)])),
    h('section', { 'aria-labelledby': 'dsf-h' }, h('h2', { id: 'dsf-h' }, t('cat.fields')), fields));

  // 导入: the file is the body; the result or the refused file's errors by line and field.
  if (manages && d.source === 'import') {
    const file = h('input', { type: 'file', name: 'file', accept: '.csv,.xlsx,text/csv' });
    const mode = select([['replace', t('cat.imp.replace')], ['append', t('cat.imp.append')]], { name: 'mode' });
    const out = h('div', { 'aria-live': 'polite', class: 'import-result' });
    const form = h('form', { class: 'form card', 'data-form': 'dataset-import', novalidate: true },
      h('h2', {}, t('cat.imp.heading')), h('p', { class: 'muted' }, t('cat.imp.hint')),
      field(t('cat.imp.file'), file, { names: ['file', 'format'], required: true }), field(t('cat.imp.mode'), mode, { names: ['mode'] }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('cat.imp.go'))), out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = file.files[0];
      if (!f) { clear(out, h('p', { class: 'error', role: 'alert' }, t('cat.imp.pick'))); return; }
      const format = /\.xlsx$/i.test(f.name) ? 'xlsx' : 'csv';
      const q = new URLSearchParams({ format, mode: mode.value, filename: f.name });
      clear(out, h('p', { class: 'muted' }, t('cat.imp.busy')));
      try {
        const r = await api.upload(`/datasets/${id}/import?${q}`, f);
        clear(out, h('p', { class: 'ok', role: 'status' }, t('cat.imp.done', { n: r.rows_loaded, total: r.row_count, enc: t(r.encoding === 'gb18030' ? 'cat.enc.gb18030' : 'cat.enc.utf8') })));
        rowsFact.textContent = String(r.row_count);
        toast(t('app.saved'));
      } catch (e) {
        clear(out, e.body && e.body.report ? importErrors(d, e.body.report) : h('p', { class: 'error', role: 'alert' }, e.plain()));
      }
    });
    root.append(form);
  }

  // 数据质量: the runs (accuracy over time), the newest run's problems; the owner runs a check.
  const quality = h('section', { 'aria-labelledby': 'dsq-h', class: 'quality' });
  const drawQuality = async () => {
    const q = await api.get(`/datasets/${id}/quality`);
    const run = manages ? h('button', { type: 'button', class: 'primary', 'data-action': 'quality-run', onclick: async () => {
      try {
        const r = await api.post(`/datasets/${id}/quality`);
        toast(r.passed ? t('cat.q.passed', { a: pct(r.accuracy) }) : t('cat.q.sent_back', { a: pct(r.accuracy) }));
        await drawQuality();
      } catch (e) { toast(e.plain()); }
    } }, t('cat.q.run')) : null;
    clear(quality, h('h2', { id: 'dsq-h' }, t('cat.q.heading')), h('p', { class: 'muted' }, t('cat.q.hint', { target: pct(q.target) })), run,
      h('h3', {}, t('cat.q.trend')), trend(q.runs, q.target), h('h3', {}, t('cat.q.runs')), runsTable(q.runs),
      q.runs.length ? [h('h3', {}, t('cat.q.problems')), problemsTable(d, q.problems, q.problems_total)] : null);
  };
  await drawQuality();
  root.append(quality);
  return root;
}

// 数据质量 per owner department: each dataset's latest run and its trend.
export async function dataQuality({ title, user }) {
  const deps = await departments();
  const own = (user.departments || [])[0];
  const dep = select(deps.map((x) => [String(x.id), x.name]), { name: 'department_id', value: own ? String(own) : String(deps[0] ? deps[0].id : '') });
  const out = h('div', { 'aria-live': 'polite' });
  const draw = async () => {
    const r = await api.get('/catalog/quality', { department_id: dep.value });
    clear(out, h('p', {}, t('cat.q.summary', { checked: r.datasets_checked, passed: r.datasets_passed, a: pct(r.accuracy) })),
      table(title, ['cat.col.code', 'cat.col.name', 'cat.q.accuracy', 'cat.q.at', 'cat.q.case', 'cat.col.timely', 'cat.q.trend'],
        r.datasets.map((x) => h('tr', { 'data-dataset': x.id }, h('td', { translate: 'no' }, x.code),
          h('td', {}, h('a', { href: `#/dataset/${x.id}` }, x.name)),
          h('td', {}, x.latest ? h('span', { class: x.latest.passed ? 'badge ok' : 'badge late' }, pct(x.latest.accuracy)) : t('cat.q.never')),
          h('td', {}, x.latest ? fmtTime(x.latest.at) : ''),
          h('td', {}, x.latest && x.latest.case_id ? h('a', { href: `#/case/${x.latest.case_id}` }, x.latest.case_number) : ''),
          h('td', {}, t(x.timely ? 'cat.timely' : 'cat.late')),
          h('td', {}, x.accuracy_trend.map((p) => pct(p.accuracy)).join(' → ')))), t('cat.none_found')));
  };
  dep.addEventListener('change', draw);
  await draw();
  return h('div', { class: 'data-quality' }, h('h1', {}, title),
    h('form', { class: 'form inline', onsubmit: (ev) => ev.preventDefault() }, field(t('cat.col.department'), dep, { names: ['department_id'] })), out);
}
