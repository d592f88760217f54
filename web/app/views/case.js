// The case page every role shares: facts, timeline, photos, and a form for exactly the actions
// the server lists in `actions` for this user now.
import { t } from '../i18n.js';
import { api, cached } from '../api.js';
import { h, clear, field, choiceGroup, checkbox, select, formBody, showError, clearErrors, toast, fmtTime, stateBadge, urgencyBadge, listTotal } from '../ui.js';
import { categoryById, departments } from '../data.js';
import { categoryPicker, departmentPicker } from '../pickers.js';
import { qrSvg } from '../qr.js';
import { triagePanel, dupFacts } from './triage.js';
import { caseOrders } from './orders.js';
import { caseAssists } from './assists.js';
import { caseLadder } from './ladder.js';
import { transferForm } from './tasks.js';
import { timeLeft } from '../deadline.js';
import { appealSection } from '../appeal.js';
import { regionMap } from '../map.js';
import { metres } from '../mapcases.js';
import { regions } from '../data.js';

// The note slot goes by several names in the API (one free-text slot); an error on any of them
// belongs under the note.
const NOTE_NAMES = ['note', 'reason', 'comment', 'instruction'];
// Destructive or closing actions look different from the main path.
const SECONDARY = new Set(['return', 'cancel', 'deny', 'hang', 'extend', 'comment', 'close', 'merge', 'reopen', 'rectify', 'invalidate', 'withdraw', 'send_back']);

export async function casePage({ params, user }) {
  const id = Number(params[0]);
  const root = h('div', { class: 'case-page' });
  await render(root, id, user);
  return root;
}

async function render(root, id, user, focusAction) {
  const c = await api.get(`/cases/${id}`);
  const actionsBox = h('section', { class: 'card actions', 'aria-labelledby': 'act-h' },
    h('h2', { id: 'act-h' }, t('case.actions')));
  const reload = async (msg, next) => {
    await render(root, id, user, next);
    if (msg) toast(msg);
  };
  if (!c.actions.length) actionsBox.append(h('p', {}, t('case.no_actions')));
  const formSlot = h('div', { class: 'action-form' });
  const buttons = h('div', { class: 'buttons', role: 'group', 'aria-label': t('case.actions') });
  for (const a of c.actions) {
    const b = h('button', {
      type: 'button', class: SECONDARY.has(a) ? 'secondary' : 'primary', 'data-action': a,
      'aria-expanded': 'false',
      onclick: () => openForm(a),
    }, t('action.' + a));
    buttons.append(b);
  }
  actionsBox.append(buttons, formSlot);

  async function openForm(a) {
    for (const b of buttons.children) b.setAttribute('aria-expanded', b.dataset.action === a ? 'true' : 'false');
    const form = await actionForm(a, c, user, reload);
    clear(formSlot, form);
    const first = form.querySelector('input:not([type=hidden]),select,textarea,button');
    if (first) first.focus();
  }

  const facts = h('dl', { class: 'facts' },
    fact(t('case.state'), [stateBadge(c.state, isCitizen(user)), ' ', urgencyBadge(c.urgency), c.overdue ? h('span', { class: 'badge overdue' }, t('case.overdue')) : null]),
    c.kind ? fact(t('field.kind'), t('kind.' + c.kind)) : null,
    fact(t('case.category'), c.category || t('app.none')),
    fact(t('case.department'), c.department || t('app.none')),
    c.assisting && c.assisting.length && !isCitizen(user) ? fact(t('case.assisting'), await assistingNames(c.assisting, user)) : null,
    fact(t('case.region'), c.region || t('app.none')),
    c.address ? fact(t('case.address'), c.address) : null,
    fact(t('case.channel'), t('channel.' + c.channel)),
    fact(t('case.created'), fmtTime(c.created_at)),
    c.deadlines && c.deadlines.resolve ? fact(t('case.deadline'), [fmtTime(c.deadlines.resolve), ' ', timeLeft(c)]) : null,
    c.citizen && c.citizen.name ? fact(t('case.citizen'), [`${c.citizen.name} ${c.citizen.phone || ''} `, contactButton(c, user)]) : null,
    c.check_code ? fact(t('case.check_code'), h('strong', { class: 'code' }, c.check_code)) : null,
    c.public !== undefined ? fact(t('case.public'), t(c.public ? 'case.public.yes' : 'case.public.no')) : null,
    c.pending ? fact(t('case.pending', { kind: '' }), [t('action.' + c.pending.request), c.pending.until ? ' ' + fmtTime(c.pending.until) : '']) : null,
    c.master_id ? fact(t('action.merge'), h('a', { href: `#/case/${c.master_id}` }, t('case.master', { id: c.master_id }))) : null,
    c.satisfaction ? fact(t('case.satisfaction'), t('sat.' + c.satisfaction)) : null,
  );

  // 风险与重复诉求: the case's risk grade with its reasons (a supervisor or dispatcher confirms it or
// lowers it with a reason) and the chain of repeat complaints it belongs to (docs/warning.md
// §1, §3). Hidden when there is neither.
const RISK_JUDGES = ['supervisor', 'dispatcher', 'admin'];
function caseRisk(c, user) {
  const box = h('section', { class: 'card case-risk', hidden: true, 'aria-labelledby': 'risk-h' });
  async function draw() {
    let g; let chain;
    try {
      [g, chain] = await Promise.all([api.get(`/cases/${c.id}/risk`), api.get(`/cases/${c.id}/repeats`)]);
    } catch { box.hidden = true; return; }
    if (!g.level && !chain.items.length) { box.hidden = true; return; }
    const parts = [h('h2', { id: 'risk-h' }, t('risk.heading'))];
    if (g.level) {
      const shown = g.confirmed_level || g.level;
      parts.push(h('p', {}, h('span', { class: `badge risk-${shown}` }, t('risk.level.' + shown)), ' ',
        t('risk.score', { score: Math.round(g.score) }),
        g.confirmed_level ? [' · ', t('risk.confirmed', { who: g.confirmed_by || '', level: t('risk.level.' + g.confirmed_level) })] : null));
      parts.push(h('ul', { class: 'risk-reasons' }, g.reasons.map((r) => h('li', {}, t('risk.reason', { label: r.label, weight: (r.weight > 0 ? '+' : '') + Math.round(r.weight) })))));
      if (g.note) parts.push(h('p', { class: 'note' }, g.note));
      if (RISK_JUDGES.some((x) => user.roles.includes(x)) && !g.confirmed_level) parts.push(confirmForm(g));
    }
    if (chain.items.length) {
      parts.push(h('h3', {}, t('repeat.heading', { n: chain.items.length })));
      parts.push(h('ol', { class: 'repeats' }, chain.items.map((x) => h('li', {},
        h('a', { href: `#/case/${x.id}` }, x.number), ' ', x.title, ' · ', t('repeat.reason.' + x.reason),
        x.later ? [' · ', t('repeat.later')] : null, x.unsolved ? h('strong', { class: 'late' }, ' ', t('repeat.unsolved')) : null,
        ' · ', fmtTime(x.created_at)))));
    }
    clear(box, parts);
    box.hidden = false;
  }
  function confirmForm(g) {
    const level = h('select', { name: 'level' }, ['high', 'medium', 'low'].filter((l) => ['low', 'medium', 'high'].indexOf(l) <= ['low', 'medium', 'high'].indexOf(g.level))
      .map((l) => h('option', { value: l, selected: l === g.level }, t('risk.level.' + l))));
    const note = h('textarea', { name: 'note', rows: 2, maxlength: 500 });
    const form = h('form', { class: 'risk-confirm', novalidate: true },
      field(t('risk.confirm.level'), level, { names: ['level'], required: true }),
      field(t('risk.confirm.note'), note, { names: ['note'], hint: t('risk.confirm.note_hint') }),
      h('div', { class: 'buttons' }, h('button', { type: 'submit' }, t('risk.confirm.submit'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        await api.post(`/cases/${c.id}/risk`, { level: level.value, note: note.value.trim() || null });
        toast(t('risk.confirm.done'));
        await draw();
      } catch (e) { showError(form, e); }
    });
    return form;
  }
  draw();
  return box;
}

// 网格员任务 on the case: each 核实 / 核查 task, whose it is, its state and due time. An official
// (dispatcher, supervisor, admin) reassigns an open one to another worker of the grid (转派), e.g.
// when the overdue notice arrives; the server decides who may (docs/grid.md §4).
const REASSIGNERS = ['dispatcher', 'supervisor', 'admin'];
function caseGridTasks(c, user) {
  const box = h('section', { class: 'card case-gridtasks', hidden: true, 'aria-labelledby': 'gt-h' });
  async function draw() {
    let r;
    try { r = await api.get(`/cases/${c.id}/grid-tasks`); } catch { box.hidden = true; return; }
    if (!r.items.length && !r.self_handled) { box.hidden = true; return; }
    const official = REASSIGNERS.some((x) => user.roles.includes(x));
    clear(box, h('h2', { id: 'gt-h' }, t('gridtask.heading')),
      r.self_handled ? h('p', {}, t('gridtask.self_handled')) : null,
      h('ol', { class: 'gridtasks' }, r.items.map((k) => h('li', { 'data-gridtask': k.id },
        h('p', {}, t('gridtask.line', { kind: t('gridtask.kind.' + k.kind), who: k.assignee_name, status: t('gridtask.status.' + k.status) }),
          k.status === 'open' ? [' · ', t('tasks.due', { at: fmtTime(k.due_at) })] : null,
          k.overdue ? h('strong', { class: 'late' }, ' ', t('tasks.overdue')) : null),
        k.note ? h('p', { class: 'note' }, k.note) : null,
        k.status === 'open' && official ? transferForm(k, draw, true) : null))));
    box.hidden = false;
  }
  draw();
  return box;
}

// 位置与周边: the case's point on the map, its grid outlined and named, and for staff the open
// cases within NEARBY metres (on the map and as links). A case without a point says so.
const NEARBY = 500;
const NEARBY_MAX = 20;
function caseMap(c, user) {
  const box = h('section', { class: 'card case-map-card', 'aria-labelledby': 'map-h' }, h('h2', { id: 'map-h' }, t('case.map')));
  if (c.lat == null || c.lon == null) {
    box.append(h('p', { class: 'muted', 'data-map': 'none' }, t('case.map.none')));
    return box;
  }
  const mapEl = h('div', { class: 'map case-map' });
  const gridLine = h('p', { class: 'loc-grid' });
  const nearbyBox = h('div', { class: 'nearby-box' });
  box.append(gridLine, mapEl, nearbyBox);
  const here = { lat: c.lat, lon: c.lon };
  (async () => {
    const [m, grids] = await Promise.all([regionMap(mapEl, { label: t('case.map.label') }), regions('grid', true)]);
    const L = m.L;
    const grid = grids.find((g) => g.id === c.region_id && g.boundary);
    gridLine.textContent = grid ? t('case.map.grid', { name: grid.name }) : t('case.map.grid.none');
    let focus = L.latLngBounds([[c.lat, c.lon], [c.lat, c.lon]]);
    if (grid) {
      const shape = L.geoJSON(grid.boundary, { style: { color: '#1d4ed8', weight: 3, fillOpacity: 0.08 }, interactive: false }).addTo(m.map);
      shape.eachLayer((l) => l.getElement && l.getElement() && l.getElement().setAttribute('data-grid', grid.code));
      L.tooltip({ permanent: true, direction: 'center', className: 'map-label grid-label', interactive: false })
        .setLatLng(shape.getBounds().getCenter()).setContent(grid.name).addTo(m.map);
      focus = focus.extend(shape.getBounds());
    }
    L.marker([c.lat, c.lon], { keyboard: false, alt: t('case.map.point'), title: t('case.map.point') }).addTo(m.map);
    if (!isCitizen(user)) {
      const r = await api.get('/cases', { near: `${c.lat},${c.lon}`, radius: NEARBY, open: true, limit: NEARBY_MAX + 1 });
      const others = r.items.filter((x) => x.id !== c.id && x.lat != null)
        .map((x) => ({ ...x, d: Math.round(metres(here, x)) })).sort((a, b) => a.d - b.d);
      const total = r.total - (r.items.some((x) => x.id === c.id) ? 1 : 0);
      L.circle([c.lat, c.lon], { radius: NEARBY, color: '#0e7490', weight: 1, fill: false, dashArray: '4 4', interactive: false }).addTo(m.map);
      for (const x of others) {
        L.circleMarker([x.lat, x.lon], { radius: 6, color: '#111827', weight: 1, fillColor: '#c2410c', fillOpacity: 0.85, className: `nearby-point case-${x.id}` })
          .bindTooltip(`${x.number} ${x.title}`)
          .on('click', () => { location.hash = `#/case/${x.id}`; }).addTo(m.map);
      }
      focus = focus.extend(L.latLng(c.lat, c.lon).toBounds(NEARBY * 2));
      clear(nearbyBox, others.length ? [h('h3', {}, t('case.map.nearby', { m: NEARBY })),
        h('ul', { class: 'nearby' }, others.slice(0, NEARBY_MAX).map((x) => h('li', { 'data-case': x.id },
          h('a', { href: `#/case/${x.id}` }, `${x.number} ${x.title}`), ' ',
          h('span', { class: 'muted' }, t('case.map.distance', { m: x.d }), ' · ', t('state.' + x.state))))),
        total > NEARBY_MAX ? h('p', { class: 'muted' }, t('case.map.nearby.more', { n: listTotal({ total: total - NEARBY_MAX, total_capped: r.total_capped }) })) : null]
        : h('p', { class: 'muted' }, t('case.map.nearby.none', { m: NEARBY })));
    }
    m.map.fitBounds(focus, { padding: [12, 12], maxZoom: 17 });
  })().catch(() => { mapEl.hidden = true; });
  return box;
}

// The 交办单 (assignment slip) prints on A4 from its own page, for staff once a department has it.
  const slipLink = !isCitizen(user) && c.department
    ? h('div', { class: 'buttons' }, h('a', { class: 'button secondary', href: `#/case/${c.id}/slip` }, t('slip.open')))
    : null;
  const head = h('section', { class: 'card' },
    h('h1', {}, t('case.heading', { number: c.number })),
    h('p', { class: 'case-title' }, c.title),
    h('p', { class: 'case-desc' }, c.description),
    facts, slipLink);

  const side = h('div', { class: 'side' });
  if (c.check_code) {
    const url = `${location.origin}/#/lookup?number=${encodeURIComponent(c.number)}&code=${encodeURIComponent(c.check_code)}`;
    const label = t('case.qr.alt', { number: c.number });
    side.append(h('section', { class: 'card qr-card secondary-info', 'aria-labelledby': 'qr-h' },
      h('h2', { id: 'qr-h' }, t('case.qr')), await qrSvg(url, label)));
  }

  const stages = photoStages(c);
  const photos = (c.attachments || []).map((a, i) => {
    const stage = a.stage || stages.get(a.id);
    return h('figure', { class: 'photo', 'data-stage': stage || '' },
      h('a', { href: a.url, target: '_blank', rel: 'noopener' },
        h('img', { src: a.thumbnail_url, alt: t('case.photo', { n: i + 1 }), loading: 'lazy', width: 120 })),
      stage ? h('figcaption', { class: `badge stage-${stage}` }, t('photo.' + stage)) : null);
  });
  const photoBox = photos.length ? h('section', { class: 'card', 'aria-labelledby': 'ph-h' },
    h('h2', { id: 'ph-h' }, t('case.attachments')), h('div', { class: 'photos' }, photos)) : null;

  const tl = h('section', { class: 'card', 'aria-labelledby': 'tl-h' },
    h('h2', { id: 'tl-h' }, t('case.timeline')),
    h('ol', { class: 'timeline' }, (c.timeline || []).map((e) => h('li', { class: 'ev' },
      h('time', { datetime: e.at }, fmtTime(e.at)), ' ',
      h('strong', {}, t('action.' + e.action)),
      e.to && e.to !== e.from ? [' → ', t((isCitizen(user) ? 'cstate.' : 'state.') + e.to)] : null,
      // The server leaves out who acted where the viewer may not know (staff to a citizen, the
      // reporter of an anonymous report to staff): then the role alone, or nothing.
      e.actor_label ? h('span', { class: 'actor' }, ` · ${e.actor_label}${e.role ? t('p.paren', { x: t('role.' + e.role) }) : ''}`)
        : e.role ? h('span', { class: 'actor' }, ` · ${t('role.' + e.role)}`) : null,
      e.public ? h('span', { class: 'badge' }, t('case.note_public')) : null,
      e.note ? h('div', { class: 'note' }, e.note) : null,
      e.payload && e.payload.satisfaction ? h('div', { class: 'note' }, t('sat.' + e.payload.satisfaction)) : null,
      e.payload && e.payload.article ? articleLink(e.payload.article) : null))));

  // The citizen reads the answer before being asked to evaluate it.
  // (办结审核: a reply the centre accepted reaches the citizen as the accept event.)
  const answerEv = isCitizen(user) ? [...(c.timeline || [])].reverse().find((e) => ['reply', 'answer', 'accept'].includes(e.action) && e.note) : null;
  const replyBox = answerEv ? h('section', { class: 'card reply-box', 'aria-labelledby': 'rp-h' },
    h('h2', { id: 'rp-h' }, t('case.reply_heading')), h('p', { class: 'note' }, answerEv.note), h('p', { class: 'muted' }, fmtTime(answerEv.at))) : null;
  // 申诉: the case's appeals and their outcome for whoever sees the case; the form for its reporter
  // when the server says something may be appealed now.
  const appeals = await api.get(`/cases/${id}/appeals`).catch(() => null);
  const appealBox = appeals ? appealSection(isCitizen(user) ? appeals : { ...appeals, appealable: [] }, async (body) => {
    await api.post(`/cases/${id}/appeals`, body);
    await reload(t('appeal.sent'));
  }) : null;
  clear(root, h('div', { class: 'case-grid' },
    h('div', { class: 'main-col' }, head, caseMap(c, user), replyBox, sentBack(c, user), reviewedReply(c, user), replyCheck(c), actionsBox,
      isCitizen(user) ? null : caseLadder(c), isCitizen(user) ? null : caseRisk(c, user), isCitizen(user) ? null : caseGridTasks(c, user), isCitizen(user) ? null : caseOrders(c), isCitizen(user) ? null : caseAssists(c), appealBox, photoBox, tl), side));
  if (focusAction) {
    const b = buttons.querySelector(`[data-action="${focusAction}"]`);
    if (b) b.focus();
  } else if (focusAction === null) {
    // After an action the page is rebuilt: put keyboard and screen-reader users back at the top
    // of the case, whose state line now tells what happened.
    const h1 = root.querySelector('h1');
    h1.tabIndex = -1;
    h1.focus();
  }
}

// The 交办单: what the department is given with the case, laid out for A4 (style.css, .slip): the
// number and check code, category, departments, deadlines, the dispatcher's instruction, the
// citizen's request and a masked contact (paper travels), and a block for signatures. The
// print stylesheet leaves out the navigation and the buttons, so printing gives the slip alone.
const maskName = (n) => (n ? [...n][0] + '*'.repeat(Math.max(1, [...n].length - 1)) : '');
export async function slipPage({ params, user }) {
  const c = await api.get(`/cases/${Number(params[0])}`);
  const dispatch = [...(c.timeline || [])].reverse().find((e) => e.action === 'dispatch' || e.action === 'redispatch');
  const row = (k, v, attrs = {}) => h('tr', attrs, h('th', { scope: 'row' }, k), h('td', {}, v || t('slip.blank')));
  const contact = c.citizen && (c.citizen.name || c.citizen.phone)
    ? [maskName(c.citizen.name), c.citizen.phone].filter(Boolean).join(' ') : t('slip.anonymous');
  const sign = (k) => h('div', { class: 'sig' }, h('span', {}, k), h('span', { class: 'line', 'aria-hidden': 'true' }));
  return h('div', { class: 'slip-page' },
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, t('slip.print')),
      h('a', { class: 'button secondary', href: `#/case/${c.id}` }, t('slip.back'))),
    h('article', { class: 'slip', 'aria-labelledby': 'slip-h' },
      h('h1', { id: 'slip-h' }, t('slip.heading')),
      h('p', { class: 'slip-no' }, t('slip.number', { number: c.number })),
      h('table', { class: 'slip-table' },
        h('caption', { class: 'sr-only' }, t('slip.heading')),
        h('tbody', {},
          // The check code opens the public lookup: only where the server gives it (the hotline).
          c.check_code ? row(t('case.check_code'), c.check_code, { 'data-k': 'check_code' }) : null,
          row(t('field.kind'), c.kind ? t('kind.' + c.kind) : ''),
          row(t('case.category'), c.category, { 'data-k': 'category' }),
          row(t('slip.urgency'), t('urgency.' + c.urgency)),
          row(t('case.department'), c.department, { 'data-k': 'department' }),
          c.assisting && c.assisting.length ? row(t('case.assisting'), await assistingNames(c.assisting, user)) : null,
          row(t('slip.dispatched'), c.dispatched_at ? fmtTime(c.dispatched_at) : ''),
          row(t('slip.sign_by'), c.deadlines && c.deadlines.sign ? fmtTime(c.deadlines.sign) : ''),
          row(t('slip.resolve_by'), c.deadlines && c.deadlines.resolve ? fmtTime(c.deadlines.resolve) : '', { 'data-k': 'deadline' }),
          row(t('slip.instruction'), dispatch && dispatch.note, { 'data-k': 'instruction' }),
          row(t('slip.request'), [h('strong', {}, c.title), h('br'), c.description], { 'data-k': 'request' }),
          row(t('case.address'), c.address),
          row(t('slip.contact'), contact, { 'data-k': 'contact' }))),
      h('section', { class: 'slip-signs', 'aria-label': t('slip.signs') },
        sign(t('slip.sign.dispatcher')), sign(t('slip.sign.date')),
        sign(t('slip.sign.receiver')), sign(t('slip.sign.received_at')),
        sign(t('slip.sign.result')), sign(t('slip.sign.handler')),
        sign(t('slip.sign.seal')), sign(t('slip.sign.date'))),
      h('p', { class: 'slip-foot' }, t('slip.foot'))));
}

// 处置前 / 处置后 of each photo: the server says (`stage`, from the state the case was in when
// it was attached: before the department signed, the problem as reported; from signing on,
// the department's, taken at or after the work); an older server's answer is read the same
// way from the 'attach' events of the timeline.
const BEFORE = new Set(['new', 'dispatched', 'returned']);
function photoStages(c) {
  const out = new Map();
  for (const e of c.timeline || []) {
    if (e.action !== 'attach' || !e.payload || !e.payload.attachment) continue;
    const st = e.from || e.to;
    if (st) out.set(e.payload.attachment, BEFORE.has(st) ? 'before' : 'after');
  }
  return out;
}

async function assistingNames(ids, user) {
  if (isCitizen(user)) return ids.join(t('p.list'));
  try {
    const deps = await departments();
    return ids.map((i) => (deps.find((d) => d.id === i) || { name: i }).name).join(t('p.list'));
  } catch { return ids.join(t('p.list')); }
}

// The full number is for calling back; each reveal is audited by the server, so it is asked
// for only when the user presses the button. Roles the server refuses never see the button.
const CONTACT_ROLES = ['operator', 'dispatcher', 'supervisor', 'admin', 'handler'];
function contactButton(c, user) {
  if (!CONTACT_ROLES.some((r) => user.roles.includes(r)) || !c.citizen.phone) return null;
  const out = h('span', { class: 'contact', 'aria-live': 'polite' });
  const b = h('button', { type: 'button', class: 'small', onclick: async () => {
    try {
      const r = await api.get(`/cases/${c.id}/contact`);
      clear(out, h('a', { href: `tel:${r.phone}` }, `${r.name} ${r.phone}`));
      b.remove();
    } catch (e) { clear(out, h('span', { class: 'error' }, e.plain())); }
  } }, t('case.contact'));
  return [b, out];
}

const isCitizen = (user) => user.roles.length === 1 && user.roles[0] === 'citizen';

function fact(k, v) {
  return [h('dt', {}, k), h('dd', {}, v)];
}

// What each action asks (its note, its fields and which are required), as the server's workflow
// table says: read once per session (GET /case-actions), never copied here.
async function actionMeta(a) {
  const r = await cached('/case-actions');
  return r.items.find((m) => m.action === a) || { action: a, note: 'optional', note_label: 'field.note', fields: [] };
}

// One control per field type of the metadata, and its formBody spec row. Required fields are
// not checked here: an empty one is sent as it is, and the server's refusal (which names the
// field) sits under the control.
// The reply-quality check for the staff who review a reply before the callback or closure
// (GET /cases/{id}/reply-check; for others, or before a reply, the box stays out).
const REPLY_SIGNALS = ['empty', 'off_topic', 'no_action', 'no_detail'];
function replyCheck(c) {
  const box = h('section', { class: 'card reply-check', hidden: true, 'aria-labelledby': 'rq-h' });
  if (!c.replied_at && c.state !== 'reviewing') return box;
  api.get(`/cases/${c.id}/reply-check`).then((q) => {
    const found = REPLY_SIGNALS.filter((k) => q[k]).map((k) => t('rq.' + k));
    // Boilerplate: the same words went to other cases (dates and numbers aside).
    if (q.boilerplate) found.push(t('rq.boilerplate', { n: q.reused, d: q.reused_departments }));
    clear(box, h('h2', { id: 'rq-h' }, t('rq.heading')),
      q.flagged ? h('p', { class: 'rq-flagged' }, t('rq.flagged')) : h('p', {}, t('rq.ok')),
      found.length ? h('ul', {}, found.map((x) => h('li', {}, x))) : null);
    box.hidden = false;
  }).catch(() => {});
  return box;
}

// The knowledge-base article a 直接答复 was given from, by its title (staff may read the base;
// for others the line stays out).
function articleLink(id) {
  const el = h('div', { class: 'note muted', hidden: true });
  api.get(`/knowledge/${id}`).then((a) => { el.textContent = t('case.article', { title: a.title }); el.hidden = false; }).catch(() => {});
  return el;
}

const FIELD_TYPES = {
  // 派给网格员: the workers smart dispatch suggests come first, each with its reason in words
  // (the best preselected); any other active worker may be chosen instead (an override).
  async worker(f, c) {
    let sug = [], all = [];
    try { sug = (await api.get(`/cases/${c.id}/worker-suggestions`)).items; } catch { /* no place, or none on duty */ }
    try { all = (await api.get('/grid-workers', { active: '1' })).items; } catch { /* outside the caller's reach */ }
    const seen = new Set(sug.map((s) => s.user_id));
    const s = select([['', '—'],
      ...sug.map((w) => [String(w.user_id), t('worker.suggested', { name: w.display_name || w.name, reason: w.reason })]),
      ...all.filter((w) => !seen.has(w.user_id)).map((w) => [String(w.user_id), w.display_name || w.name])],
    { name: f.name, value: sug.length ? String(sug[0].user_id) : '' });
    return { wrap: field(t('field.' + f.name), s, { names: [f.name], required: f.required }), spec: { name: f.name, type: 'int' } };
  },
  // A 直接答复 may name the knowledge-base article it was given from (articles in force).
  async article(f) {
    let items = [];
    try { items = (await api.get('/knowledge', { active: 'true' })).items.filter((a) => a.in_force); } catch { /* none */ }
    const s = select([['', t('kb.none')], ...items.map((a) => [String(a.id), a.title])], { name: f.name });
    return { wrap: field(t('field.article'), s, { names: [f.name] }), spec: { name: f.name, type: 'int' } };
  },
  async department(f, c, a) {
    const deps = await departments();
    const cat = c.category_id ? await categoryById(c.category_id) : null;
    const suggested = c.suggested && c.suggested.department_id;
    const el = select([['', '—'], ...deps.map((d) => [String(d.id), d.name])],
      { name: f.name, value: a === 'dispatch' ? (suggested || (cat && cat.department_id) || '') : '' });
    return { wrap: field(t('field.' + f.name), el, { names: [f.name], required: f.required }), spec: { name: f.name, type: 'int' } };
  },
  // Assisting departments: searched by name, kept as chips; the lead department is not offered.
  async departments(f) {
    const p = await departmentPicker({ label: t('field.' + f.name), name: f.name,
      exclude: () => p.wrap.closest('form')?.querySelector('select[name=department]')?.value });
    return { wrap: h('div', { class: 'secondary-info' }, p.wrap), spec: { name: f.name, type: 'list', of: 'int' } };
  },
  // The category tree, searched by name or opened level by level.
  async category(f, c) {
    const p = await categoryPicker({ label: t('field.' + f.name), name: f.name, value: c.category_id || '', required: f.required });
    p.wrap.picker = p;
    return { wrap: p.wrap, spec: { name: f.name, type: 'int' } };
  },
  async datetime(f) {
    const el = h('input', { type: 'datetime-local', name: f.name });
    return { wrap: field(t('field.' + f.name), el, { names: [f.name], required: f.required }),
      spec: { name: f.name, type: 'date', empty: f.required ? '' : 'omit' } };
  },
  async text(f) {
    const el = h('textarea', { name: f.name, rows: 4, maxlength: 5000 });
    return { wrap: field(t('field.' + f.name), el, { names: [f.name], required: f.required }),
      spec: { name: f.name, empty: f.required ? '' : 'omit' } };
  },
  async boolean(f, c, a, user) {
    const label = isCitizen(user) && a === 'evaluate' ? `field.${f.name}.citizen` : 'field.' + f.name;
    // Asked, not assumed: neither 是 nor 否 is chosen until the person answers (a pre-ticked
    // "问题已解决" was a reply's answer nobody gave).
    return { wrap: choiceGroup(t(label), 'radio', f.name, [['true', t('app.yes')], ['false', t('app.no')]]),
      spec: { name: f.name, type: 'yesno', required: f.required }, secondary: !f.required };
  },
  async satisfaction(f) {
    const wrap = choiceGroup(t('field.' + f.name), 'radio', f.name,
      ['satisfied', 'basically_satisfied', 'unsatisfied'].map((s) => [s, t('sat.' + s)]));
    return { wrap, spec: { name: f.name, empty: f.required ? '' : 'omit' } };
  },
  // 有效回访: why this callback should not count (the reasons of the assessment rules).
  async invalid_reason(f) {
    const wrap = choiceGroup(t('field.' + f.name), 'radio', f.name,
      ['unreasonable', 'duplicate', 'out_of_area', 'unreachable'].map((r) => [r, t('invalid.' + r)]));
    return { wrap, spec: { name: f.name, required: f.required } };
  },
  // Another case, named by its number (what people see), never an internal id; the likely
  // duplicates triage found are offered to pick from.
  async case(f, c) {
    const el = h('input', { type: 'text', name: f.name, inputmode: 'numeric', autocomplete: 'off', maxlength: 20 });
    const picks = h('ul', { class: 'dup-picks' });
    api.get(`/cases/${c.id}/triage`).then((r) => {
      for (const d of (r.duplicates || []).slice(0, 5)) {
        picks.append(h('li', {}, h('button', { type: 'button', class: 'small link',
          'aria-label': t('case.pick_master', { number: d.number }), onclick: () => { el.value = d.number; } }, d.number), ' ', d.title, ' ',
          h('span', { class: 'muted' }, dupFacts(d))));
      }
    }).catch(() => {});
    return { wrap: h('div', {}, field(t('field.' + f.name), el, { names: [f.name], required: f.required, hint: t('field.master.hint') }), picks),
      spec: { name: f.name, required: f.required }, resolveCase: f.name };
  },
};

// 办结审核: the reply the centre is asked to accept or send back, above the buttons.
function reviewedReply(c, user) {
  if (c.state !== 'reviewing' || isCitizen(user)) return null;
  const r = (c.timeline || []).filter((e) => e.action === 'reply').pop();
  if (!r) return null;
  return h('section', { class: 'card review-box', 'aria-labelledby': 'rv-h' },
    h('h2', { id: 'rv-h' }, t('review.heading')), h('p', { class: 'note' }, r.note || ''),
    h('p', { class: 'muted' }, `${r.actor_label || ''} ${fmtTime(r.at)}`));
}

// A reply the centre sent back: the department reads why while it works on the case again.
function sentBack(c, user) {
  if (isCitizen(user) || !['processing', 'rectifying'].includes(c.state)) return null;
  const last = (c.timeline || []).filter((e) => e.action === 'send_back' || e.action === 'reply').pop();
  if (!last || last.action !== 'send_back') return null;
  return h('div', { class: 'return-reason sent-back', role: 'note' },
    h('strong', {}, t('review.sent_back')), t('p.colon'), last.note || '',
    h('span', { class: 'muted' }, ` · ${last.actor_label || ''} ${fmtTime(last.at)}`));
}

// Answering a department's return (改派 or 驳回退单): the department's reason is shown above the
// form, so the dispatcher decides on what was said.
const RETURN_ANSWERS = new Set(['redispatch', 'reject_return']);
export function lastReturn(c) {
  const r = (c.timeline || []).filter((e) => e.action === 'return').pop();
  return r || null;
}
function returnReason(c) {
  const r = lastReturn(c);
  if (!r || c.state !== 'returned') return null;
  return h('div', { class: 'return-reason', role: 'note' },
    h('strong', {}, t('case.return_reason')), t('p.colon'), r.note || t('case.return_reason.none'),
    h('span', { class: 'muted' }, ` · ${r.actor_label || ''} ${fmtTime(r.at)}`));
}

async function actionForm(a, c, user, reload) {
  const form = h('form', { class: 'form', 'data-form': a, novalidate: true });
  form.append(h('h3', {}, t('action.' + a)));
  if (RETURN_ANSWERS.has(a)) form.append(returnReason(c));
  const meta = await actionMeta(a);
  const spec = [];
  const caseFields = [];
  let optional = null;
  for (const f of meta.fields) {
    const make = FIELD_TYPES[f.type];
    if (!make) continue;
    const ctl = await make(f, c, a, user);
    if (ctl.secondary) {
      // Optional facts of an evaluation stay out of the citizen's way.
      if (!optional) form.append(optional = h('div', { class: 'secondary-info' }));
      optional.append(ctl.wrap);
    } else {
      form.append(ctl.wrap);
    }
    spec.push(ctl.spec);
    if (ctl.resolveCase) caseFields.push(ctl.resolveCase);
  }
  if (meta.note !== 'none') {
    const required = meta.note === 'required';
    const area = h('textarea', { name: 'note', rows: meta.fields.length ? 2 : 3, maxlength: 2000 });
    form.append(field(t(meta.note_label || 'field.note'), area, { names: NOTE_NAMES, required }));
    spec.push({ name: 'note', empty: required ? '' : 'omit' });
  }
  if (a === 'comment' && !isCitizen(user)) {
    // Staff notes are internal; one written for the public is marked so (published through
    // Open311 when the case may be, with phone numbers and names masked).
    form.append(checkbox(t('field.comment_public'), 'public', false));
    spec.push({ name: 'public', type: 'bool', empty: 'omit' });
  }
  if (a === 'dispatch') {
    const dep = form.querySelector('select[name=department]');
    const catPicker = form.querySelector('.picker[data-fields~=category]')?.picker;
    const panel = triagePanel({
      source: () => api.get(`/cases/${c.id}/triage`),
      onCategory: (cid, depId) => { if (catPicker) catPicker.value = String(cid); if (depId && dep) dep.value = String(depId); },
      onDepartment: (depId) => { if (dep) dep.value = String(depId); },
      compact: true,
    });
    form.append(panel.el);
    panel.update();
  }
  if (a === 'reply' && !isCitizen(user)) {
    // The lead starts from the consolidated draft of the assisting departments' answers
    // (docs/grid.md §6) while its own text is still empty, and edits it before sending.
    const area = form.querySelector('textarea[name=result]');
    let draft = null;
    try { draft = (await api.get(`/cases/${c.id}/assists`)).draft; } catch { /* no sub-tasks in reach */ }
    if (area && draft && !area.value.trim()) {
      area.value = draft;
      area.closest('.field').before(h('p', { class: 'hint draft-prefilled', role: 'note' }, t('assist.draft.prefilled')));
    }
  }
  if (a === 'reply') {
    // Photos go first: attaching does not change the case version, so the reply still applies.
    const files = h('input', { type: 'file', name: 'photos', accept: 'image/*', multiple: true, capture: 'environment' });
    form.append(field(t('field.photos'), files, { names: ['file'], hint: t('field.photos.hint') }));
    form.beforeSubmit = async () => {
      for (const f of files.files) await api.upload(`/cases/${c.id}/attachments`, f);
    };
  }
  const collect = () => {
    const body = formBody(form, spec);
    // Only a change of category is sent: naming one makes a labelled example for triage.
    if (body.category === c.category_id) delete body.category;
    return body;
  };
  const submit = h('button', { type: 'submit', class: 'primary' }, t('action.' + a));
  form.append(h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      if (form.beforeSubmit) await form.beforeSubmit();
      const body = collect();
      // A case named by its number goes to the server as its id (found through the list search).
      for (const name of caseFields) {
        if (!body[name]) continue;
        const found = (await api.get('/cases', { q: body[name], limit: 1 })).items[0];
        if (!found || found.number !== body[name].replace(/^(\d{8})(\d{6})$/, '$1-$2')) {
          throw { field: name, plain: () => t('case.no_such_number', { number: body[name] }) };
        }
        body[name] = found.id;
      }
      await api.action(c.id, { action: a, version: c.version, ...body });
      await reload(t('case.done', { action: t('action.' + a) }), null);
    } catch (e) {
      submit.disabled = false;
      if (e.status === 409 && /version/.test(e.message)) {
        await reload(t('err.conflict'), a);
        return;
      }
      showError(form, e);
    }
  });
  return form;
}
