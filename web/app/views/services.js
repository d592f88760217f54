// The service catalogue, 一件事 bundles and 秒批 (issue 18 item 3, docs/services.md).
// Citizens (我的办事) pick a bundle or an item, fill in the shared fields once and follow each
// department's task to one result; an item 秒批 approved says which data decided it.
// Officials keep the catalogue (事项目录); department handlers accept, approve or refuse their
// tasks (办件), reading the applicant's form.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, checkbox, choiceGroup, formBody, showError, clearErrors, toast, fmtTime } from '../ui.js';
import { departments } from '../data.js';

const STATE_BADGE = { open: '', approved: 'ok', refused: 'warn', issued: '', accepted: '', };

const badge = (kind, state) => h('span', { class: `badge ${STATE_BADGE[state] || ''}`.trim() }, t(`svc.${kind}.${state}`));

function itemFacts(it) {
  return h('p', { class: 'muted svc-facts' },
    t('svc.item.facts', { dept: it.department, days: it.time_limit_days, mode: t(`svc.mode.${it.mode}`) }),
    it.instant ? h('span', { class: 'badge ok svc-instant' }, t('svc.instant')) : null);
}

// One task as the applicant and the official read it: the department, its state, and why (the
// 秒批 basis or the department's note).
function taskRow(tk) {
  return h('tr', { 'data-task': tk.id },
    h('td', {}, tk.item),
    h('td', {}, tk.department),
    h('td', {}, badge('task', tk.state), tk.auto_approved ? h('span', { class: 'badge ok' }, t('svc.instant')) : null),
    h('td', { class: 'svc-why' }, whyOf(tk)));
}

function whyOf(tk) {
  return [tk.basis ? h('p', { class: tk.auto_approved ? 'svc-basis' : 'muted' }, tk.basis) : null,
    tk.note ? h('p', {}, tk.state === 'refused' ? t('svc.refused_because', { note: tk.note }) : tk.note) : null];
}

function tasksTable(tasks) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'svc-tasks' },
    h('thead', {}, h('tr', {}, ['svc.col.item', 'svc.col.dept', 'svc.col.state', 'svc.col.why'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, tasks.map(taskRow))));
}

function applicationCard(a) {
  return h('li', { class: 'card svc-app', 'data-application': a.id },
    h('h3', {}, a.name, ' ', badge('app', a.state)),
    h('p', { class: 'muted' }, t('svc.app.meta', { no: a.id, at: fmtTime(a.created_at), done: a.tasks_done, total: a.tasks.length })),
    a.state === 'refused' ? h('p', { class: 'svc-refused' }, t('svc.app.refused_hint')) : null,
    // A list, not a table: four columns do not fit a phone in elder mode.
    h('ol', { class: 'svc-steps' }, a.tasks.map((tk) => h('li', { 'data-task': tk.id },
      h('p', {}, h('strong', {}, tk.item), ' ', badge('task', tk.state), tk.auto_approved ? h('span', { class: 'badge ok' }, t('svc.instant')) : null),
      h('p', { class: 'muted' }, tk.department),
      whyOf(tk)))));
}

// 我的办事 (citizens).
export async function myServices({ title }) {
  const root = h('div', { class: 'services' });
  const [bundles, items] = await Promise.all([api.get('/service-bundles'), api.get('/service-items')]);
  const formBox = h('section', { class: 'svc-apply', 'aria-live': 'polite' });
  const mine = h('section', { class: 'card', 'aria-labelledby': 'svc-mine' });

  async function drawMine() {
    const r = await api.get('/me/service-applications');
    clear(mine, h('h2', { id: 'svc-mine' }, t('svc.mine')),
      r.items.length ? h('ul', { class: 'svc-apps' }, r.items.map(applicationCard)) : h('p', { class: 'muted' }, t('svc.mine.none')));
  }

  // The form of one bundle or item: its fields once each, as the server lists them.
  function openForm(kind, rec, fields) {
    const spec = fields.map((f) => ({ name: `form.${f.key}`, required: true }));
    const form = h('form', { class: 'form card', novalidate: true, 'aria-labelledby': 'svc-form-h' },
      h('h2', { id: 'svc-form-h' }, t('svc.apply.heading', { name: rec.name })),
      h('p', { class: 'hint' }, t(kind === 'bundle' ? 'svc.apply.hint_bundle' : 'svc.apply.hint_item', { n: kind === 'bundle' ? rec.items.length : 1 })),
      fields.map((f) => field(f.label, h('input', { name: `form.${f.key}`, maxlength: 200, autocomplete: 'off' }),
        { names: [`form.${f.key}`], required: true })),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary' }, t('svc.apply.submit')),
        h('button', { type: 'button', class: 'secondary', onclick: () => clear(formBox) }, t('app.cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        const body = { [kind === 'bundle' ? 'bundle_id' : 'item_id']: rec.id, form: formBody(form, spec).form || {} };
        const a = await api.post('/me/service-applications', body);
        toast(t('svc.apply.done'));
        clear(formBox, h('div', { class: 'card svc-result', role: 'status' },
          h('h2', {}, t('svc.apply.sent', { name: a.name })),
          h('p', {}, t('svc.apply.sent_hint', { total: a.tasks.length, done: a.tasks_done }))));
        await drawMine();
      } catch (e) { showError(form, e); }
    });
    clear(formBox, form);
    form.querySelector('input')?.focus();
  }

  const bundleList = h('ul', { class: 'svc-bundles' }, bundles.items.map((b) => h('li', { class: 'card', 'data-bundle': b.id },
    h('h3', {}, b.name),
    b.summary ? h('p', {}, b.summary) : null,
    h('ol', {}, b.items.map((it) => h('li', {}, h('strong', {}, it.name), itemFacts(it)))),
    h('button', { type: 'button', class: 'primary', 'aria-label': t('svc.apply.label', { name: b.name }),
      onclick: () => openForm('bundle', b, b.fields) }, t('svc.apply')))));
  const itemList = h('ul', { class: 'svc-items' }, items.items.map((it) => h('li', { class: 'card', 'data-item': it.id },
    h('h3', {}, it.name),
    itemFacts(it),
    it.conditions ? h('p', {}, t('svc.conditions', { text: it.conditions })) : null,
    it.materials ? h('p', {}, t('svc.materials', { text: it.materials.split('\n').join(t('policy.sep')) })) : null,
    it.instant ? h('p', { class: 'muted' }, t('svc.instant_hint', { rule: it.rule_text })) : null,
    h('button', { type: 'button', class: 'secondary', 'aria-label': t('svc.apply.label', { name: it.name }),
      onclick: () => openForm('item', it, it.fields) }, t('svc.apply')))));

  clear(root, h('h1', {}, title),
    h('section', { 'aria-labelledby': 'svc-b' }, h('h2', { id: 'svc-b' }, t('svc.bundles')), bundleList),
    formBox,
    h('section', { 'aria-labelledby': 'svc-i' }, h('h2', { id: 'svc-i' }, t('svc.items')), itemList),
    mine);
  await drawMine();
  return root;
}

// 事项目录 (officials): the items and bundles, a new or edited item, a new bundle.
const FIELDS_EXAMPLE = '[{"key": "child_name", "label": "…"}]';
const RULE_EXAMPLE = '{"field": "hukou_region", "op": "in", "value": "330179"}';

export async function serviceCatalogue({ title }) {
  const root = h('div', { class: 'services' });
  const depts = await departments();
  let editing = null;
  const itemsBox = h('div', { class: 'table-wrap' });
  const bundlesBox = h('div', { class: 'table-wrap' });
  const itemForm = h('form', { class: 'form card', novalidate: true },
    h('h2', { id: 'svc-item-h' }, t('svc.item.new')),
    field(t('svc.item.name'), h('input', { name: 'name', maxlength: 100 }), { names: ['name'], required: true }),
    field(t('fieldname.department_id'), select(depts.map((d) => [String(d.id), d.name]), { name: 'department_id' }), { names: ['department_id'], required: true }),
    field(t('fieldname.conditions'), h('textarea', { name: 'conditions', rows: 2, maxlength: 2000 }), { names: ['conditions'] }),
    field(t('fieldname.materials'), h('textarea', { name: 'materials', rows: 3, maxlength: 2000 }), { names: ['materials'], hint: t('svc.materials.hint') }),
    field(t('fieldname.time_limit_days'), h('input', { name: 'time_limit_days', type: 'number', min: 1, max: 365, step: 1, inputmode: 'numeric' }),
      { names: ['time_limit_days'], required: true, hint: t('svc.days.hint') }),
    choiceGroup(t('svc.mode'), 'radio', 'mode', [['online', t('svc.mode.online')], ['counter', t('svc.mode.counter')]], { checked: ['online'] }),
    field(t('svc.fields'), h('textarea', { name: 'fields', rows: 4, class: 'mono', translate: 'no', placeholder: FIELDS_EXAMPLE }),
      { names: ['fields'], hint: t('svc.fields.hint') }),
    field(t('svc.rule'), h('textarea', { name: 'rule', rows: 4, class: 'mono', translate: 'no', placeholder: RULE_EXAMPLE }),
      { names: ['rule'], hint: t('svc.rule.hint') }),
    checkbox(t('svc.active'), 'active', true),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.save'))));
  const ITEM_SPEC = [{ name: 'name', required: true }, { name: 'department_id', type: 'int', required: true },
    { name: 'conditions', empty: '' }, { name: 'materials', empty: '' }, { name: 'time_limit_days', type: 'int', required: true },
    { name: 'mode', required: true }, { name: 'fields', type: 'json', empty: [] }, { name: 'rule', type: 'json', empty: null },
    { name: 'active', type: 'bool' }];
  itemForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(itemForm);
    try {
      const body = formBody(itemForm, ITEM_SPEC);
      if (editing) await api.put(`/service-items/${editing}`, body);
      else await api.post('/service-items', body);
      toast(t('app.saved'));
      editing = null;
      itemForm.reset();
      itemForm.querySelector('#svc-item-h').textContent = t('svc.item.new');
      await draw();
    } catch (e) { showError(itemForm, e); }
  });
  function edit(it) {
    editing = it.id;
    itemForm.querySelector('#svc-item-h').textContent = t('svc.item.edit_one', { name: it.name });
    const el = itemForm.elements;
    el.name.value = it.name;
    el.department_id.value = String(it.department_id);
    el.conditions.value = it.conditions;
    el.materials.value = it.materials;
    el.time_limit_days.value = it.time_limit_days;
    itemForm.querySelector(`input[name=mode][value=${it.mode}]`).checked = true;
    el.fields.value = JSON.stringify(it.fields, null, 1);
    el.rule.value = it.rule ? JSON.stringify(it.rule) : '';
    el.active.checked = it.active;
    el.name.focus();
  }
  const bundleForm = h('form', { class: 'form card', novalidate: true },
    h('h2', {}, t('svc.bundle.new')),
    field(t('svc.bundle.name'), h('input', { name: 'name', maxlength: 100 }), { names: ['name'], required: true }),
    field(t('svc.bundle.summary'), h('textarea', { name: 'summary', rows: 2, maxlength: 2000 }), { names: ['summary'] }),
    h('div', { class: 'svc-pick' }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.save'))));
  bundleForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(bundleForm);
    try {
      await api.post('/service-bundles', formBody(bundleForm, [{ name: 'name', required: true }, { name: 'summary', empty: '' },
        { name: 'items', type: 'list', of: 'int', empty: [] }]));
      toast(t('app.saved'));
      bundleForm.reset();
      await draw();
    } catch (e) { showError(bundleForm, e); }
  });

  async function draw() {
    const [items, bundles] = await Promise.all([api.get('/service-items'), api.get('/service-bundles')]);
    clear(itemsBox, h('table', {}, h('caption', {}, t('svc.items')),
      h('thead', {}, h('tr', {}, ['svc.item.name', 'svc.col.dept', 'fieldname.time_limit_days', 'svc.mode', 'svc.rule', 'fieldname.active', 'policy.actions']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, items.items.map((it) => h('tr', { 'data-item': it.id },
        h('td', {}, h('strong', {}, it.name)),
        h('td', {}, it.department),
        h('td', {}, t('svc.days', { n: it.time_limit_days })),
        h('td', {}, t(`svc.mode.${it.mode}`)),
        h('td', {}, it.instant ? t('svc.instant_rule', { rule: it.rule_text }) : t('svc.manual')),
        h('td', {}, t(it.active ? 'svc.active.yes' : 'svc.active.no')),
        h('td', {}, h('button', { type: 'button', class: 'small secondary', 'aria-label': t('policy.edit.label', { name: it.name }),
          onclick: () => edit(it) }, t('app.edit'))))))));
    clear(bundlesBox, h('table', {}, h('caption', {}, t('svc.bundles')),
      h('thead', {}, h('tr', {}, ['svc.bundle.name', 'fieldname.items', 'fieldname.active'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, bundles.items.map((b) => h('tr', { 'data-bundle': b.id },
        h('td', {}, h('strong', {}, b.name)),
        h('td', {}, b.items.map((it) => it.name).join(t('policy.sep'))),
        h('td', {}, t(b.active ? 'svc.active.yes' : 'svc.active.no')))))));
    clear(bundleForm.querySelector('.svc-pick'), choiceGroup(t('fieldname.items'), 'checkbox', 'items',
      items.items.filter((it) => it.active).map((it) => [String(it.id), it.name])));
  }
  await draw();
  clear(root, h('h1', {}, title), itemsBox, bundlesBox, itemForm, bundleForm);
  return root;
}

// 办件 (department handlers, admins): the tasks, open ones first, with the applicant's form.
export async function serviceTasks({ title, query }) {
  const root = h('div', { class: 'services' });
  const items = await api.get('/service-items');
  const labels = new Map();
  for (const it of items.items) for (const f of it.fields) if (!labels.has(f.key)) labels.set(f.key, f.label);
  const list = h('ul', { class: 'svc-task-list', 'aria-live': 'polite' });
  const which = select([['open', t('svc.filter.open')], ['all', t('svc.filter.all')]], { name: 'which', value: query.which || 'open' });
  which.addEventListener('change', () => draw());

  function stepForm(tk, app) {
    const form = h('form', { class: 'form svc-step', novalidate: true, 'data-task': tk.id },
      field(t('svc.note'), h('input', { name: 'note', maxlength: 500 }), { names: ['note'], hint: t('svc.note.hint') }),
      h('div', { class: 'buttons' },
        tk.state === 'issued' ? h('button', { type: 'button', class: 'secondary', 'data-step': 'accept' }, t('svc.step.accept')) : null,
        h('button', { type: 'button', class: 'primary', 'data-step': 'approve' }, t('svc.step.approve')),
        h('button', { type: 'button', class: 'danger', 'data-step': 'refuse' }, t('svc.step.refuse'))));
    form.addEventListener('click', async (ev) => {
      const step = ev.target.dataset?.step;
      if (!step) return;
      clearErrors(form);
      try {
        const body = { version: tk.version, ...formBody(form, [{ name: 'note', required: step === 'refuse' }]) };
        const after = await api.post(`/service-tasks/${tk.id}/${step}`, body);
        toast(after.state === 'open' ? t(`svc.stepped.${step}`) : t(`svc.finished.${after.state}`, { name: app.name }));
        await draw();
      } catch (e) { showError(form, e); }
    });
    return form;
  }

  async function draw() {
    const r = await api.get('/service-tasks', which.value === 'open' ? { state: 'issued,accepted' } : {});
    const apps = new Map();
    await Promise.all([...new Set(r.items.map((tk) => tk.application_id))].map(async (id) => {
      apps.set(id, await api.get(`/service-applications/${id}`));
    }));
    clear(list, r.items.length ? r.items.map((tk) => {
      const app = apps.get(tk.application_id);
      const open = tk.state === 'issued' || tk.state === 'accepted';
      return h('li', { class: 'card', 'data-task': tk.id },
        h('h2', {}, tk.item, ' ', badge('task', tk.state), tk.overdue ? h('span', { class: 'badge warn' }, t('svc.overdue')) : null),
        h('p', { class: 'muted' }, t('svc.task.meta', { app: app.name, no: app.id, who: app.applicant, dept: tk.department, deadline: fmtTime(tk.deadline) })),
        tk.basis ? h('p', { class: 'svc-basis' }, tk.basis) : null,
        h('dl', { class: 'svc-form' }, Object.entries(app.form).map(([k, v]) => [h('dt', {}, labels.get(k) || t('fieldname.unknown')), h('dd', {}, v)])),
        h('details', {}, h('summary', {}, t('svc.task.others', { done: app.tasks_done, total: app.tasks.length })), tasksTable(app.tasks)),
        open ? stepForm(tk, app) : (tk.note ? h('p', {}, tk.note) : null));
    }) : h('li', { class: 'muted' }, t('svc.tasks.none')));
  }
  await draw();
  clear(root, h('h1', {}, title), field(t('svc.filter'), which), list);
  return root;
}
