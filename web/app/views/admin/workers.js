// 网格员: the grid workers (src/gridw), their post, grids, skills, duty shifts and load, and a form
// that makes a user with the grid worker role a worker, or replaces what a worker has
// (PUT /grid-workers/{user id}). A grid outside the worker's own region is refused by the server.
import { t } from '../../i18n.js';
import { api } from '../../api.js';
import { h, field, select } from '../../ui.js';
import { regions } from '../../data.js';
import { apiForm, table } from './common.js';

const POSTS = ['full_time', 'part_time', 'grid_leader', 'community_secretary', 'volunteer'];
const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const every = (from, to) => [1, 2, 3, 4, 5, 6, 7].map((d) => ({ weekday: d, start_min: from, end_min: to }));
// Shift patterns offered by the form (a worker's own pattern is kept when "unchanged" is chosen).
const SHIFTS = {
  day: every(480, 1200),
  night: [1, 2, 3, 4, 5, 6, 7].flatMap((d) => [{ weekday: d, start_min: 0, end_min: 480 }, { weekday: d, start_min: 1200, end_min: 1440 }]),
  office: [1, 2, 3, 4, 5].map((d) => ({ weekday: d, start_min: 510, end_min: 1050 })),
};

function shiftText(shifts) {
  if (!shifts.length) return t('gw.no_shifts');
  const byTime = new Map();
  for (const s of shifts) {
    const k = `${hhmm(s.start_min)}-${hhmm(s.end_min)}`;
    if (!byTime.has(k)) byTime.set(k, []);
    byTime.get(k).push(t('gw.weekday.' + s.weekday));
  }
  return [...byTime].map(([k, days]) => t('gw.shift_item', { days: days.join(t('p.list')), time: k })).join(t('p.list'));
}

export async function workers(reload) {
  const [list, users, grids, cats] = await Promise.all([
    api.get('/grid-workers').then((r) => r.items),
    api.get('/users').then((r) => r.items.filter((u) => (u.roles || []).includes('grid_worker'))),
    regions('grid'),
    api.get('/categories', { level: '1' }).then((r) => r.items),
  ]);
  const byId = new Map(list.map((w) => [w.user_id, w]));
  const user = select([['', '—'], ...users.map((u) => [String(u.id), u.display_name || u.name])], { name: 'user' });
  const post = select(POSTS.map((p) => [p, t('gw.post.' + p)]), { name: 'post' });
  const maxLoad = h('input', { type: 'number', name: 'max_load', min: '1', max: '100', value: '8' });
  const gridSel = select(grids.map((g) => [String(g.id), g.name]), { name: 'grid_ids', multiple: true });
  const skillSel = select(cats.map((c) => [String(c.id), c.name]), { name: 'skill_ids', multiple: true });
  const shiftSel = select([['keep', t('gw.shifts.keep')], ['day', t('gw.shifts.day')], ['night', t('gw.shifts.night')], ['office', t('gw.shifts.office')]], { name: 'shifts' });
  // Choosing a worker fills the form with what they have.
  user.addEventListener('change', () => {
    const w = byId.get(Number(user.value));
    post.value = w ? w.post : 'full_time';
    maxLoad.value = String(w ? w.max_load : 8);
    const gs = new Set((w ? w.grids : []).map((g) => String(g.id)));
    for (const o of gridSel.options) o.selected = gs.has(o.value);
    const ss = new Set((w ? w.skills : []).map((s) => String(s.id)));
    for (const o of skillSel.options) o.selected = ss.has(o.value);
  });
  const picked = (sel) => [...sel.selectedOptions].map((o) => Number(o.value));
  const form = apiForm(t('gw.set'), [
    field(t('gw.user'), user, { names: ['user_id'], required: true }),
    field(t('fieldname.post'), post, { names: ['post'] }),
    field(t('fieldname.max_load'), maxLoad, { names: ['max_load'] }),
    field(t('fieldname.grid_ids'), gridSel, { names: ['grid_ids'], required: true, hint: t('gw.multi_hint') }),
    field(t('fieldname.skill_ids'), skillSel, { names: ['skill_ids'], hint: t('gw.skills_hint') }),
    field(t('fieldname.shifts'), shiftSel, { names: ['shifts'] }),
  ], (f) => {
    const w = byId.get(Number(user.value));
    const shifts = shiftSel.value === 'keep' ? (w ? w.shifts : []) : SHIFTS[shiftSel.value];
    return api.put(`/grid-workers/${Number(user.value) || 0}`, {
      post: post.value, max_load: Number(maxLoad.value), active: true,
      grid_ids: picked(gridSel), skill_ids: picked(skillSel), shifts });
  }, reload);
  return h('div', {}, h('p', { class: 'muted' }, t('gw.explain')),
    table(t('admin.workers'), [t('gw.name'), t('fieldname.post'), t('fieldname.grid_ids'), t('fieldname.skill_ids'), t('fieldname.shifts'), t('gw.load'), t('gw.on_duty')],
      list.map((w) => [w.display_name || w.name, t('gw.post.' + w.post), w.grids.map((g) => g.name).join(t('p.list')),
        w.skills.length ? w.skills.map((s) => s.name).join(t('p.list')) : t('gw.any_skill'), shiftText(w.shifts),
        t('gw.load_of', { n: w.load, max: w.max_load }), t(w.on_duty ? 'gw.duty.on' : 'gw.duty.off')])),
    form);
}
