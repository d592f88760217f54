// 层级工单: the cases sitting at the caller's level of the ladder (a street's or a community's
// officials, the district's command centre; docs/grid.md §5), each with its step's clock, and the
// moves of that level: handle it here (本级处置), forward it down to a child region (向下派单) or
// escalate it up with a reason (向上报送). Which moves a user has on a case is the server's answer
// (GET /cases/{id}/ladder `actions`); the screen only draws them.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, field, select, formBody, showError, clearErrors, toast, fmtTime, stateBadge } from '../ui.js';
import { duration } from '../deadline.js';

// The step's clock: time left before the level's limit, or how late it is.
function stepTime(x, now = Date.now()) {
  const due = Date.parse(x.due_at);
  if (Number.isNaN(due)) return null;
  const left = due - now;
  if (x.overdue || left < 0) return h('span', { class: 'time-left late' }, t('time.late', { d: duration(-left) }));
  return h('span', { class: `time-left ${left < 4 * 3600000 ? 'soon' : 'ok'}` }, t('time.left', { d: duration(left) }));
}

const SPECS = {
  handle: [{ name: 'note' }],
  forward: [{ name: 'region_id', type: 'int', required: true }, { name: 'note' }],
  escalate: [{ name: 'reason', required: true }],
};

function moveForm(caseId, lad, move, done) {
  const form = h('form', { class: 'form ladder-move', 'data-form': `ladder-${move}`, novalidate: true },
    h('h3', {}, t('ladder.move.' + move)),
    move === 'forward'
      ? field(t('ladder.forward_to'), select(lad.forward_to.map((r) => [String(r.id), r.name]), { name: 'region_id' }), { names: ['region_id'], required: true })
      : null,
    move === 'escalate'
      ? field(t('field.reason'), h('textarea', { name: 'reason', rows: 3 }), { names: ['reason'], required: true })
      : field(t('field.note'), h('textarea', { name: 'note', rows: 2 }), { names: ['note'] }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('ladder.move.' + move))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api.post(`/cases/${caseId}/ladder/${move}`, { step: lad.step, ...formBody(form, SPECS[move]) });
      toast(t('ladder.done', { move: t('ladder.move.' + move) }));
      await done();
    } catch (e) { showError(form, e); }
  });
  return form;
}

// The steps so far: where the case has been, how it came, and each step's clock.
function stepsList(lad) {
  return h('ol', { class: 'ladder-steps' }, lad.steps.map((s) => h('li', { 'data-step': s.seq },
    h('strong', {}, s.region.name), ' ', h('span', { class: 'badge' }, t('ladder.level.' + s.level)), ' ',
    t('ladder.came.' + s.came_by), s.reason ? [t('p.colon'), s.reason] : null,
    h('span', { class: 'muted' }, ' · ', fmtTime(s.started_at)),
    s.handling_at ? [' · ', t('ladder.handling')] : null,
    s.ended_at ? null : [' ', stepTime(s)],
    s.overdue && s.ended_at ? [' ', h('span', { class: 'time-left late' }, t('ladder.step_late'))] : null)));
}

function item(x, reload) {
  const panel = h('div', { class: 'ladder-panel' });
  const open = h('button', { type: 'button', class: 'secondary', 'data-ladder-open': x.case_id, 'aria-expanded': 'false' }, t('ladder.open'));
  async function draw() {
    let lad;
    try { lad = await api.get(`/cases/${x.case_id}/ladder`); } catch (e) { clear(panel, h('p', { class: 'error' }, e.plain())); return; }
    const slot = h('div', {});
    clear(panel, stepsList(lad),
      lad.actions.length ? h('div', { class: 'buttons' }, lad.actions.map((a) => h('button', {
        type: 'button', class: a === 'escalate' ? 'secondary' : 'primary', 'data-ladder-move': a,
        onclick: () => { clear(slot, moveForm(x.case_id, lad, a, reload)); (slot.querySelector('select, textarea') || slot).focus(); },
      }, t('ladder.move.' + a)))) : h('p', { class: 'muted' }, t('ladder.no_moves')),
      slot);
  }
  open.addEventListener('click', async () => {
    const shown = open.getAttribute('aria-expanded') === 'true';
    open.setAttribute('aria-expanded', String(!shown));
    if (shown) { clear(panel); return; }
    clear(panel, h('p', { class: 'loading' }, t('app.loading')));
    await draw();
  });
  return h('li', { class: 'ladder-case', 'data-case': x.case_id },
    h('div', {}, h('a', { href: `#/case/${x.case_id}` }, x.number), ' ', x.title, ' ', stateBadge(x.state)),
    h('div', { class: 'muted' },
      t('ladder.at', { at: x.at, level: t('ladder.level.' + x.level) }),
      x.case_region ? [' · ', t('ladder.place', { r: x.case_region })] : null,
      ' · ', t('ladder.came.' + x.came_by), x.reason ? [t('p.colon'), x.reason] : null,
      x.handling_at ? [' · ', t('ladder.handling')] : null),
    h('div', {}, stepTime(x), ' ', open),
    panel);
}

export async function ladderQueue({ title }) {
  const list = h('div', { 'aria-live': 'polite' });
  async function draw() {
    try {
      const r = await api.get('/ladder/queue');
      clear(list, h('p', { class: 'muted' }, t('ladder.count', { n: r.total })),
        r.items.length ? h('ol', { class: 'ladder-cases' }, r.items.map((x) => item(x, draw))) : h('p', { class: 'empty' }, t('ladder.empty')));
    } catch (e) { clear(list, h('p', { class: 'error' }, e.plain())); }
  }
  await draw();
  return h('div', { class: 'ladder-screen' }, h('h1', {}, title), h('p', { class: 'muted' }, t('ladder.intro')), list);
}

// The case page's 层级流转 section (staff): the level the case sits at, the steps it took to get
// there with their clocks, and the moves the caller has at that level. Hidden while the case
// has never moved and the caller has no move (most handlers, most of the time).
export function caseLadder(c) {
  const box = h('section', { class: 'card case-ladder', hidden: true, 'aria-labelledby': 'lad-h' });
  async function draw() {
    let lad;
    try { lad = await api.get(`/cases/${c.id}/ladder`); } catch { box.hidden = true; return; }
    if (lad.steps.length < 2 && !lad.actions.length) { box.hidden = true; return; }
    const slot = h('div', {});
    const now = lad.steps[lad.steps.length - 1];
    clear(box, h('h2', { id: 'lad-h' }, t('ladder.case_heading')),
      h('p', {}, t('ladder.at', { at: lad.region.name, level: t('ladder.level.' + lad.level) }),
        now && !now.ended_at ? [' ', stepTime(now)] : null),
      stepsList(lad),
      lad.actions.length ? h('div', { class: 'buttons' }, lad.actions.map((a) => h('button', {
        type: 'button', class: a === 'escalate' ? 'secondary' : 'primary', 'data-ladder-move': a,
        onclick: () => { clear(slot, moveForm(c.id, lad, a, draw)); (slot.querySelector('select, textarea') || slot).focus(); },
      }, t('ladder.move.' + a)))) : null,
      slot);
    box.hidden = false;
  }
  draw();
  return box;
}
