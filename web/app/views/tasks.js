// The grid worker's home on the phone (网格员任务): ONE list instead of several systems. 待核实 (a
// report waiting for the worker to confirm on site with a photo, or reject with a reason), 待核查
// (a department's reply to check on site: pass, or fail with the finding), 我的上报 (the worker's
// own reports) and 巡查 (the patrol page), plus 自行处置: a small matter reported and solved on the
// spot in one step, with its photos before and after. An open task may be handed to a colleague
// of the grid (转交). Which task is whose and what may be decided is the server's (docs/grid.md §4).
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, fmtTime, toast, showError, clearErrors, formBody, stateBadge } from '../ui.js';

function photoInput(name) {
  return h('input', { type: 'file', name, accept: 'image/*', capture: 'environment' });
}

// One open task: the case, when it is due, and its decision form.
function taskItem(task, reload) {
  const verify = task.kind === 'verify';
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  const photo = photoInput('photo');
  const form = h('form', { class: 'task-form', 'data-task': task.id, novalidate: true },
    verify ? field(t('tasks.photo'), photo, { names: ['photo'], hint: t('tasks.photo_hint') }) : null,
    field(t(verify ? 'tasks.reason' : 'tasks.finding'), note, { names: ['note', 'reason', 'finding'] }),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', value: verify ? 'confirm' : 'pass' }, t(verify ? 'tasks.confirm' : 'tasks.pass')),
      h('button', { type: 'submit', class: 'secondary', value: verify ? 'reject' : 'fail' }, t(verify ? 'tasks.reject' : 'tasks.fail'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const decision = ev.submitter?.value;
    try {
      if (decision === 'confirm' && photo.files[0]) await api.upload(`/cases/${task.case.id}/attachments`, photo.files[0]);
      const body = formBody(form, [{ name: 'note', empty: null }]);
      await api.post(`/grid-tasks/${task.id}/decision`, { decision, ...body });
      toast(t('tasks.done.' + decision));
      await reload();
    } catch (e) { showError(form, e); }
  });
  return h('li', { class: 'task' + (task.overdue ? ' overdue' : ''), 'data-task': task.id },
    h('a', { href: `#/case/${task.case.id}` }, task.case.number, ' ', task.case.title),
    h('p', { class: 'muted' }, [task.case.address || task.case.region_name, t('tasks.due', { at: fmtTime(task.due_at) })]
      .filter(Boolean).join(t('p.semi')), task.overdue ? h('strong', { class: 'late' }, ' ', t('tasks.overdue')) : null),
    form, transferForm(task, reload));
}

// 转交: hand the task to a colleague serving the same grid, with a note. The colleagues are asked
// for when the worker opens it (the list is the server's: who serves the case's grid now). An
// official uses the same form from the case page as 转派 ('reassign': other labels, same rules).
export function transferForm(task, reload, reassign = false) {
  const k = (key) => t(reassign ? key.replace('tasks.transfer', 'tasks.reassign') : key);
  const to = h('select', { name: 'assignee' });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  const form = h('form', { class: 'task-transfer', novalidate: true },
    field(k('tasks.transfer.to'), to, { names: ['assignee'], required: true }),
    field(k('tasks.transfer.note'), note, { names: ['note'], required: true, hint: k('tasks.transfer.note_hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, k('tasks.transfer.submit'))));
  const box = h('details', { class: 'task-transfer' }, h('summary', {}, k('tasks.transfer')), form);
  let loaded = false;
  box.addEventListener('toggle', async () => {
    if (!box.open || loaded) return;
    try {
      const mates = (await api.get(`/grid-tasks/${task.id}/colleagues`)).items;
      loaded = true;
      clear(to, mates.length
        ? mates.map((m) => h('option', { value: m.user_id }, t('tasks.transfer.mate', { name: m.display_name || m.name, n: m.open_tasks })))
        : h('option', { value: '' }, t('tasks.transfer.none')));
    } catch (e) { showError(form, e); }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      if (!to.value) { showError(form, { field: 'assignee', plain: () => t('tasks.transfer.none') }); return; }
      const body = formBody(form, [{ name: 'note', required: true }]);
      await api.post(`/grid-tasks/${task.id}/transfer`, { assignee: Number(to.value), note: body.note });
      toast(t(reassign ? 'tasks.reassign.done' : 'tasks.transfer.done', { name: to.selectedOptions[0].textContent }));
      await reload();
    } catch (e) { showError(form, e); }
  });
  return box;
}

// 自行处置: what was found, what was done, a photo before and after; the phone's position says
// where. The photos go up first as the worker's uploads (/me/uploads: a weak connection retries
// one photo, not the report), then one request reports and closes the matter with their ids.
function selfHandleForm(reload) {
  const before = h('input', { type: 'file', name: 'before_photos', accept: 'image/*', capture: 'environment', multiple: true });
  const after = h('input', { type: 'file', name: 'after_photos', accept: 'image/*', capture: 'environment', multiple: true });
  const form = h('form', { class: 'self-handle', novalidate: true },
    field(t('tasks.self.title'), h('input', { type: 'text', name: 'title', maxlength: 200 }), { names: ['title'], required: true }),
    field(t('tasks.self.description'), h('textarea', { name: 'description', rows: 2, maxlength: 5000 }), { names: ['description'], required: true }),
    field(t('field.before_photos'), before, { names: ['before_photos'], required: true, hint: t('tasks.self.photo_hint') }),
    field(t('tasks.self.result'), h('textarea', { name: 'result', rows: 2, maxlength: 5000 }), { names: ['result', 'lat', 'lon'], required: true }),
    field(t('field.after_photos'), after, { names: ['after_photos'], required: true, hint: t('tasks.self.photo_hint') }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, t('tasks.self.submit'))));
  const position = () => new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error('no geolocation')); return; }
    navigator.geolocation.getCurrentPosition((p) => resolve(p.coords), reject, { enableHighAccuracy: true, timeout: 10000 });
  });
  // The ids of one control's photos, uploaded in turn; an error is shown under that control.
  async function uploadAll(input, name) {
    const ids = [];
    for (const f of input.files) {
      try { ids.push((await api.upload('/me/uploads', f)).id); } catch (e) {
        showError(form, { field: name, plain: () => e.plain() });
        return null;
      }
    }
    return ids;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const body = formBody(form, [{ name: 'title', required: true }, { name: 'description', required: true }, { name: 'result', required: true }]);
      for (const [input, name] of [[before, 'before_photos'], [after, 'after_photos']]) {
        if (!input.files.length) { showError(form, { field: name, plain: () => t('tasks.self.need_' + name) }); return; }
      }
      let coords;
      try { coords = await position(); } catch { showError(form, { field: 'lat', plain: () => t('tasks.self.no_location') }); return; }
      const beforeIds = await uploadAll(before, 'before_photos');
      const afterIds = beforeIds && await uploadAll(after, 'after_photos');
      if (!afterIds) return;
      const r = await api.post('/self-handled', { ...body, lat: coords.latitude, lon: coords.longitude,
        before_photos: beforeIds, after_photos: afterIds });
      form.reset();
      toast(t('tasks.self.done', { number: r.number }));
      await reload();
    } catch (e) { showError(form, e); }
  });
  return form;
}

// While this page is open the phone's position goes to the server (POST /me/position) at most
// every POSITION_MS, so that smart dispatch measures from where the worker is, not from the
// centre of their grid; the page says so. The server refuses fixes from the future and at
// impossible speeds; a refusal or no signal only shows in the note, never blocks the page.
const POSITION_MS = 5 * 60 * 1000;

function sharePosition(note, onCleanup) {
  if (!navigator.geolocation) { note.textContent = t('tasks.position.none'); return; }
  const send = () => navigator.geolocation.getCurrentPosition(async (p) => {
    const at = Math.floor((p.timestamp || Date.now()) / 1000);
    try {
      await api.post('/me/position', { lat: p.coords.latitude, lon: p.coords.longitude, at,
        ...(p.coords.accuracy ? { accuracy_m: Math.min(100000, p.coords.accuracy) } : {}) });
      note.textContent = t('tasks.position.sent', { at: fmtTime(new Date(at * 1000).toISOString()) });
    } catch (e) { note.textContent = e.plain ? e.plain() : t('tasks.position.none'); }
  }, () => { note.textContent = t('tasks.position.none'); }, { enableHighAccuracy: true, maximumAge: 60000, timeout: 30000 });
  send();
  const timer = setInterval(send, POSITION_MS);
  if (onCleanup) onCleanup(() => clearInterval(timer));
}

export async function tasks({ title, onCleanup }) {
  const sections = {
    verify: h('ul', { class: 'tasks', 'data-kind': 'verify' }),
    check: h('ul', { class: 'tasks', 'data-kind': 'check' }),
    mine: h('ul', { class: 'tasks', 'data-kind': 'mine' }),
  };
  const counts = { verify: h('span', { class: 'count' }), check: h('span', { class: 'count' }) };
  const selfCount = h('p', { class: 'muted self-count' });
  async function load() {
    let r, mine;
    try {
      [r, mine] = await Promise.all([api.get('/me/tasks'), api.get('/cases', { mine: 'true', limit: 10 })]);
    } catch (e) { toast(e.plain()); return; }
    for (const kind of ['verify', 'check']) {
      const open = r.items.filter((x) => x.kind === kind && x.status === 'open');
      clear(sections[kind], open.length ? open.map((x) => taskItem(x, load)) : h('li', { class: 'muted' }, t('tasks.none')));
      counts[kind].textContent = t('msg.tab.count', { n: open.length });
    }
    clear(sections.mine, mine.items.length ? mine.items.map((c) => h('li', { class: 'task', 'data-case': c.id },
      h('a', { href: `#/case/${c.id}` }, c.number, ' ', c.title), ' ', stateBadge(c.state)))
      : h('li', { class: 'muted' }, t('tasks.none')));
    selfCount.textContent = t('tasks.self.count', { n: r.self_handled_recent });
  }
  await load();
  const part = (key, list, extra) => h('section', { class: 'task-part', 'aria-labelledby': 'tp-' + key },
    h('h2', { id: 'tp-' + key }, t('tasks.part.' + key), counts[key] || null), extra || null, list);
  const positionNote = h('p', { class: 'muted position-note', role: 'status' }, t('tasks.position.on'));
  sharePosition(positionNote, onCleanup);
  return h('section', { class: 'grid-tasks' }, h('h1', {}, title), positionNote,
    part('verify', sections.verify),
    part('check', sections.check),
    part('mine', sections.mine, h('p', {}, h('a', { href: '#/report' }, t('tasks.report')))),
    h('section', { class: 'task-part', 'aria-labelledby': 'tp-patrol' },
      h('h2', { id: 'tp-patrol' }, t('tasks.part.patrol')), h('p', {}, h('a', { href: '#/patrol' }, t('tasks.patrol')))),
    h('section', { class: 'task-part', 'aria-labelledby': 'tp-self' },
      h('h2', { id: 'tp-self' }, t('tasks.part.self')), selfCount, selfHandleForm(load)));
}
