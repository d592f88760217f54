// Administration: regions, departments, categories with SLA profiles, the routing table, the
// working calendar, users and roles. Each tab is a list plus a create form; rows edit in place.
import { t } from '../i18n.js';
import { api, clearCache } from '../api.js';
import { h, clear, field, select, showError, clearErrors, toast } from '../ui.js';
import { categoryOptions, departments } from '../data.js';

const TABS = ['users', 'departments', 'categories', 'routing', 'regions', 'calendar'];
const ROLES = ['citizen', 'operator', 'dispatcher', 'handler', 'grid_worker', 'supervisor', 'data_officer', 'admin'];

export async function admin({ params }) {
  const tab = TABS.includes(params[0]) ? params[0] : TABS[0];
  const nav = h('nav', { class: 'tabs', 'aria-label': t('admin.heading') }, h('ul', {}, TABS.map((k) => h('li', {},
    h('a', { href: `#/admin/${k}`, 'aria-current': k === tab ? 'page' : null }, t('admin.' + k))))));
  const body = h('div', {});
  const reload = async () => { clearCache(); clear(body, await TAB_VIEWS[tab](reload)); };
  await reload();
  return h('div', { class: 'admin' }, h('h1', {}, `${t('admin.heading')} · ${t('admin.' + tab)}`), nav, body);
}

// A create/edit form: `build(form)` adds fields, `send(form)` performs the request.
function apiForm(heading, controls, send, reload) {
  const form = h('form', { class: 'form card', novalidate: true }, h('h2', {}, heading), controls,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('app.save'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try { await send(form); toast(t('app.saved')); await reload(); } catch (e) { showError(form, e); }
  });
  return form;
}

function table(caption, cols, rows) {
  if (!rows.length) return h('p', { class: 'empty' }, t('app.none'));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

const splitIds = (s) => s.split(/[,，\s]+/).filter(Boolean).map(Number);

const TAB_VIEWS = {
  async users(reload) {
    const r = await api.get('/users');
    const deps = await departments();
    const roleBoxes = (prefix, checked) => h('fieldset', { class: 'field choices', 'data-fields': 'roles' },
      h('legend', {}, t('admin.roles')),
      ROLES.map((ro) => { const id = `${prefix}-${ro}`; return h('span', { class: 'choice' },
        h('input', { type: 'checkbox', id, name: 'roles', value: ro, checked: checked.includes(ro) }), h('label', { for: id }, t('role.' + ro))); }),
      h('div', { class: 'error', role: 'alert', hidden: true }));
    const depSel = () => { const s = select(deps.map((d) => [String(d.id), d.name]), { name: 'departments', multiple: true }); s.size = 4; return s; };
    const create = apiForm(t('admin.add'), [
      field(t('login.name'), h('input', { name: 'name', autocomplete: 'off' }), { names: ['name'], required: true }),
      field(t('admin.display_name'), h('input', { name: 'display_name' }), { names: ['display_name'] }),
      field(t('admin.password'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }), { names: ['password'], required: true }),
      roleBoxes('new-role', []),
      field(t('admin.region'), h('input', { name: 'region' }), { names: ['region'] }),
      field(t('admin.departments.ids'), depSel(), { names: ['departments'] }),
      field(t('admin.phone'), h('input', { name: 'phone', type: 'tel' }), { names: ['phone'] }),
    ], async (f) => {
      const body = { name: f.name.value.trim(), password: f.password.value,
        roles: [...f.querySelectorAll('input[name=roles]:checked')].map((x) => x.value) };
      if (f.display_name.value.trim()) body.display_name = f.display_name.value.trim();
      if (f.region.value.trim()) body.region = f.region.value.trim();
      const ds = [...f.departments.selectedOptions].map((o) => Number(o.value));
      if (ds.length) body.departments = ds;
      if (f.phone.value.trim()) body.phone = f.phone.value.trim();
      await api.post('/users', body);
    }, reload);
    const edit = apiForm(t('app.edit'), [
      field(t('login.name'), select([['', '—'], ...r.items.map((u) => [String(u.id), `${u.name} ${u.display_name || ''}`])], { name: 'user' }), { names: ['id'], required: true }),
      roleBoxes('edit-role', []),
      field(t('admin.region'), h('input', { name: 'region' }), { names: ['region'] }),
      field(t('admin.departments.ids'), depSel(), { names: ['departments'] }),
    ], async (f) => {
      const body = { roles: [...f.querySelectorAll('input[name=roles]:checked')].map((x) => x.value),
        region: f.region.value.trim() || null,
        departments: [...f.departments.selectedOptions].map((o) => Number(o.value)) };
      await api.patch(`/users/${f.user.value}`, body);
    }, reload);
    edit.user.addEventListener('change', () => {
      const u = r.items.find((x) => x.id === Number(edit.user.value));
      if (!u) return;
      for (const b of edit.querySelectorAll('input[name=roles]')) b.checked = u.roles.includes(b.value);
      edit.region.value = u.region || '';
      for (const o of edit.departments.options) o.selected = (u.departments || []).includes(Number(o.value));
    });
    const rows = r.items.map((u) => [u.name, u.display_name, u.roles.map((x) => t('role.' + x)).join(t('p.list')), u.region || '',
      u.active ? t('app.yes') : t('app.no'),
      h('button', { type: 'button', class: 'small', 'aria-label': `${u.active ? t('admin.disable') : t('admin.enable')} ${u.name}`, onclick: async () => {
        try { await api.patch(`/users/${u.id}`, { active: !u.active }); await reload(); } catch (e) { toast(e.plain()); }
      } }, u.active ? t('admin.disable') : t('admin.enable'))]);
    return h('div', {}, table(t('admin.users'), [t('login.name'), t('admin.display_name'), t('admin.roles'), t('admin.region'), t('admin.active'), ''], rows), edit, create);
  },

  async departments(reload) {
    const deps = (await api.get('/departments')).items;
    const create = apiForm(t('admin.add'), [
      field(t('admin.code'), h('input', { name: 'code' }), { names: ['code'], required: true }),
      field(t('admin.name'), h('input', { name: 'dname' }), { names: ['name'], required: true }),
      field(t('admin.phone'), h('input', { name: 'phone', type: 'tel' }), { names: ['phone'] }),
      field(t('admin.region_ids'), h('input', { name: 'region_ids' }), { names: ['region_ids'] }),
    ], async (f) => {
      const body = { code: f.code.value.trim(), name: f.dname.value.trim() };
      if (f.phone.value.trim()) body.phone = f.phone.value.trim();
      if (f.region_ids.value.trim()) body.region_ids = splitIds(f.region_ids.value);
      await api.post('/departments', body);
    }, reload);
    const edit = apiForm(t('app.edit'), [
      field(t('field.department'), select([['', '—'], ...deps.map((d) => [String(d.id), `${d.code} ${d.name}`])], { name: 'dep' }), { names: ['id'], required: true }),
      field(t('admin.name'), h('input', { name: 'dname' }), { names: ['name'] }),
      field(t('admin.phone'), h('input', { name: 'phone', type: 'tel' }), { names: ['phone'] }),
      field(t('admin.region_ids'), h('input', { name: 'region_ids' }), { names: ['region_ids'] }),
    ], async (f) => {
      const body = { name: f.dname.value.trim(), phone: f.phone.value.trim(), region_ids: splitIds(f.region_ids.value) };
      await api.patch(`/departments/${f.dep.value}`, body);
    }, reload);
    edit.dep.addEventListener('change', () => {
      const d = deps.find((x) => x.id === Number(edit.dep.value));
      if (!d) return;
      edit.dname.value = d.name; edit.phone.value = d.phone || ''; edit.region_ids.value = (d.region_ids || []).join(',');
    });
    return h('div', {}, table(t('admin.departments'), [t('admin.code'), t('admin.name'), t('admin.phone'), t('admin.active')],
      deps.map((d) => [d.code, d.name, d.phone || '', d.active ? t('app.yes') : t('app.no')])), edit, create);
  },

  async categories(reload) {
    const cats = (await api.get('/categories', { limit: 1000 })).items;
    const deps = await departments();
    const depName = (id) => (deps.find((d) => d.id === id) || {}).name || '';
    const slaText = (s) => (s ? `${s.sign}/${s.reply}/${s.resolve} ${t('admin.unit.' + s.unit)}` : t('admin.inherit'));
    const edit = apiForm(t('app.edit'), [
      field(t('field.category'), select(await categoryOptions('—'), { name: 'cat' }), { names: ['id'], required: true }),
      h('div', { class: 'cols' },
        field(t('admin.sla.sign'), h('input', { name: 'sign', type: 'number', min: 0 }), { names: ['sla.sign'] }),
        field(t('admin.sla.reply'), h('input', { name: 'reply', type: 'number', min: 0 }), { names: ['sla.reply'] }),
        field(t('admin.sla.resolve'), h('input', { name: 'resolve', type: 'number', min: 0 }), { names: ['sla.resolve', 'sla'] }),
        field(t('admin.sla.unit'), select(['work_hours', 'work_days', 'hours'].map((u) => [u, t('admin.unit.' + u)]), { name: 'unit' }), { names: ['sla.unit'] })),
      field(t('field.urgency'), select([['normal', t('urgency.normal')], ['urgent', t('urgency.urgent')], ['emergency', t('urgency.emergency')]], { name: 'urgency' }), { names: ['urgency'] }),
      field(t('field.department'), select([['', '—'], ...deps.map((d) => [String(d.id), d.name])], { name: 'department_id' }), { names: ['department_id'] }),
    ], async (f) => {
      const body = { urgency: f.urgency.value };
      if (f.department_id.value) body.department_id = Number(f.department_id.value);
      if (f.sign.value && f.reply.value && f.resolve.value) {
        body.sla = { sign: Number(f.sign.value), reply: Number(f.reply.value), resolve: Number(f.resolve.value), unit: f.unit.value };
      }
      await api.patch(`/categories/${f.cat.value}`, body);
    }, reload);
    edit.cat.addEventListener('change', () => {
      const c = cats.find((x) => x.id === Number(edit.cat.value));
      if (!c) return;
      edit.urgency.value = c.urgency; edit.department_id.value = c.department_id || '';
      if (c.sla) { edit.sign.value = c.sla.sign; edit.reply.value = c.sla.reply; edit.resolve.value = c.sla.resolve; edit.unit.value = c.sla.unit; }
    });
    const create = apiForm(t('admin.add'), [
      field(t('admin.parent'), select(await categoryOptions('—'), { name: 'parent' }), { names: ['parent_id'] }),
      field(t('admin.code'), h('input', { name: 'code', inputmode: 'numeric' }), { names: ['code'], required: true }),
      field(t('admin.name'), h('input', { name: 'cname' }), { names: ['name'], required: true }),
      field(t('field.department'), select([['', '—'], ...deps.map((d) => [String(d.id), d.name])], { name: 'department_id' }), { names: ['department_id'] }),
      field(t('admin.keywords'), h('input', { name: 'keywords' }), { names: ['keywords'] }),
    ], async (f) => {
      const parent = f.parent.value ? cats.find((x) => x.id === Number(f.parent.value)) : null;
      const body = { code: f.code.value.trim(), name: f.cname.value.trim(), level: parent ? parent.level + 1 : 1,
        parent_id: parent ? parent.id : null };
      if (f.department_id.value) body.department_id = Number(f.department_id.value);
      if (f.keywords.value.trim()) body.keywords = f.keywords.value.trim();
      await api.post('/categories', body);
    }, reload);
    const shown = cats.filter((c) => c.level <= 2);
    return h('div', {}, edit, create, table(t('admin.categories'), [t('admin.code'), t('admin.name'), t('field.department'), t('admin.sla'), t('field.urgency')],
      shown.map((c) => [c.code, (c.level > 1 ? '\u3000' : '') + c.name, depName(c.department_id), slaText(c.sla), t('urgency.' + c.urgency)])));
  },

  async routing(reload) {
    let rules;
    try { rules = await api.get('/routing-rules'); } catch (e) {
      if (e.status === 404) return h('p', { class: 'muted' }, t('admin.routing.unavailable'));
      throw e;
    }
    const deps = await departments();
    const cats = await categoryOptions('—');
    const depOpts = deps.map((d) => [String(d.id), d.name]);
    const create = apiForm(t('admin.add'), [
      field(t('admin.rule.category'), select(cats, { name: 'category_id' }), { names: ['category_id'], required: true }),
      field(t('admin.rule.region'), h('input', { name: 'region_id', type: 'number', min: 1 }), { names: ['region_id'] }),
      field(t('admin.rule.department'), select(depOpts, { name: 'department_id' }), { names: ['department_id'], required: true }),
      field(t('admin.priority'), h('input', { name: 'priority', type: 'number', value: '0' }), { names: ['priority'] }),
    ], async (f) => {
      await api.post('/routing-rules', { category_id: Number(f.category_id.value) || 0,
        region_id: f.region_id.value ? Number(f.region_id.value) : null,
        department_id: Number(f.department_id.value), priority: Number(f.priority.value) || 0 });
    }, reload);
    const items = rules.items || [];
    return h('div', {}, table(t('admin.routing'), [t('admin.rule.category'), t('admin.rule.region'), t('admin.rule.department'), t('admin.priority'), ''],
      items.map((r) => [r.category_name || r.category_id, r.region_name || r.region_id || '', r.department_name || (deps.find((d) => d.id === r.department_id) || {}).name || r.department_id,
        r.priority, h('button', { type: 'button', class: 'small', 'aria-label': `${t('app.delete')} ${r.id}`,
          onclick: async () => { try { await api.del(`/routing-rules/${r.id}`); await reload(); } catch (e) { toast(e.plain()); } } }, t('app.delete'))])), create);
  },

  async regions(reload) {
    const rs = (await api.get('/regions')).items;
    const byId = new Map(rs.map((r) => [r.id, r]));
    const create = apiForm(t('admin.add'), [
      field(t('admin.code'), h('input', { name: 'code' }), { names: ['code'], required: true }),
      field(t('admin.name'), h('input', { name: 'rname' }), { names: ['name'], required: true }),
      field(t('admin.level'), select(['district', 'street', 'community', 'grid'].map((l) => [l, t('admin.level.' + l)]), { name: 'level' }), { names: ['level'] }),
      field(t('admin.parent'), select([['', '—'], ...rs.filter((r) => r.level !== 'grid').map((r) => [String(r.id), `${r.code} ${r.name}`])], { name: 'parent_id' }), { names: ['parent_id'] }),
      field('GeoJSON', h('textarea', { name: 'boundary', rows: 3 }), { names: ['boundary'] }),
    ], async (f) => {
      const body = { code: f.code.value.trim(), name: f.rname.value.trim(), level: f.level.value,
        parent_id: f.parent_id.value ? Number(f.parent_id.value) : null };
      if (f.boundary.value.trim()) {
        try { body.boundary = JSON.parse(f.boundary.value); } catch (e) {
          throw Object.assign(new Error(e.message), { field: 'boundary' });
        }
      }
      await api.post('/regions', body);
    }, reload);
    const shown = rs.filter((r) => r.level !== 'grid');
    return h('div', {}, table(t('admin.regions'), [t('admin.code'), t('admin.name'), t('admin.level'), t('admin.parent')],
      shown.map((r) => [r.code, r.name, t('admin.level.' + r.level), (byId.get(r.parent_id) || {}).name || ''])),
    h('p', { class: 'muted' }, `${rs.length - shown.length} ${t('admin.level.grid')}`), create);
  },

  async calendar(reload) {
    const now = new Date();
    const cal = await api.get('/calendar', { from: `${now.getFullYear()}-01-01`, to: `${now.getFullYear() + 1}-01-01` });
    const settings = apiForm(t('admin.calendar'), [
      field(t('admin.workdays'), h('input', { name: 'workdays', value: cal.workdays.join(',') }), { names: ['workdays'] }),
      field(t('admin.periods'), h('input', { name: 'periods', value: cal.periods }), { names: ['periods'] }),
    ], async (f) => { await api.put('/calendar', { workdays: splitIds(f.workdays.value), periods: f.periods.value.trim() }); }, reload);
    const day = apiForm(t('admin.add'), [
      field(t('admin.day'), h('input', { name: 'day', type: 'date' }), { names: ['day'], required: true }),
      field(t('admin.kind'), select([['holiday', t('admin.kind.holiday')], ['workday', t('admin.kind.workday')]], { name: 'kind' }), { names: ['kind'] }),
      field(t('admin.name'), h('input', { name: 'dname' }), { names: ['name'] }),
    ], async (f) => {
      if (!f.day.value) throw Object.assign(new Error(t('err.required', { label: t('admin.day') })), { field: 'day' });
      const body = { kind: f.kind.value };
      if (f.dname.value.trim()) body.name = f.dname.value.trim();
      await api.put(`/calendar/days/${f.day.value}`, body);
    }, reload);
    return h('div', { class: 'admin-cal' }, settings, day, table(t('admin.calendar'), [t('admin.day'), t('admin.kind'), t('admin.name'), ''],
      cal.days.map((d) => [d.day, t('admin.kind.' + d.kind), d.name || '',
        h('button', { type: 'button', class: 'small', 'aria-label': `${t('app.delete')} ${d.day}`,
          onclick: async () => { try { await api.del(`/calendar/days/${d.day}`); await reload(); } catch (e) { toast(e.plain()); } } }, t('app.delete'))])));
  },
};
