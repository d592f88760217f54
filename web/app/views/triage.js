// Live triage suggestions (category, department, urgency, the words that decided, duplicates)
// from POST /api/v1/triage/suggest. Where the server has no triage endpoint (404) the panel says
// so once and stays quiet.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, fmtTime } from '../ui.js';

let unavailable = false;

// What a dispatcher weighs before merging: when and where the other case was reported, how far
// it is, whether the place matched, and how alike the two are.
export function dupFacts(d) {
  return [d.state ? t('state.' + d.state) : null,
    d.created_at ? t('triage.dup.at', { at: fmtTime(d.created_at) }) : null,
    d.address || null,
    d.meters != null ? t('triage.meters', { m: Math.round(d.meters) }) : null,
    d.same_place ? t('triage.dup.place') : null,
    d.score != null ? t('triage.similar', { p: Math.round(d.score * 100) }) : null].filter(Boolean).join(' · ');
}

// `source`, when given, fetches the suggestion itself (e.g. GET /cases/{id}/triage for a case
// that exists, which leaves the case out of its own duplicates); otherwise `input()` is posted.
// `plain` (a citizen's report): only the likely category, in plain words, to take or leave; no
// confidences, no internal explanation, no other people's cases.
export function triagePanel({ input, source, onCategory, onDepartment, onUrgency, onMerge, compact, plain }) {
  const body = h('div', { class: 'triage-body' });
  const el = h('section', { class: 'card triage', 'aria-labelledby': 'tri-h', 'aria-live': 'polite' },
    h(compact ? 'h4' : 'h2', { id: 'tri-h' }, t('triage.heading')), body);
  let timer = null;
  let seq = 0;
  const panel = { el, last: null, update, schedule };
  // Shown once the server has answered a suggestion: a server without triage never shows it.
  el.hidden = true;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 400);
  }

  async function update() {
    if (unavailable) { el.hidden = true; return; }
    const q = source ? { description: 'case' } : input();
    if (!q.description || q.description.length < 4) { panel.last = null; clear(body, h('p', { class: 'muted' }, t('triage.none'))); return; }
    const my = ++seq;
    let r;
    try {
      if (source) {
        r = await source();
      } else {
        const b = { description: q.description };
        if (q.title) b.title = q.title;
        if (q.lat !== undefined && q.lon !== undefined) { b.lat = q.lat; b.lon = q.lon; }
        r = await api.post('/triage/suggest', b);
      }
    } catch (e) {
      // No triage on this server: the panel goes away; another error is said in the panel.
      if (e.status === 404) { unavailable = true; el.hidden = true; }
      else if (my === seq) clear(body, h('p', { class: 'muted' }, t('triage.unavailable')));
      return;
    }
    if (my !== seq) return;
    panel.last = r;
    el.hidden = false;
    render(r);
  }

  function render(r) {
    const rows = [];
    if (plain) {
      if (r.category) {
        rows.push(h('div', { class: 'sugg', 'data-sugg': 'category' }, t('triage.plain', { name: r.category.name }), ' ',
          onCategory ? h('button', { type: 'button', class: 'small', onclick: () => onCategory(r.category.id, null) }, t('triage.use')) : null));
      }
      clear(body, rows.length ? rows : h('p', { class: 'muted' }, t('triage.none')));
      return;
    }
    if (r.category) {
      rows.push(h('div', { class: 'sugg', 'data-sugg': 'category' },
        h('span', { class: 'k' }, t('triage.category')), ' ',
        h('strong', {}, r.category.name), ' ',
        h('span', { class: 'muted' }, t('triage.prob', { p: Math.round((r.category.prob || 0) * 100) })), ' ',
        onCategory ? h('button', { type: 'button', class: 'small', 'aria-keyshortcuts': 'Alt+1',
          onclick: () => onCategory(r.category.id, r.department && r.department.id) }, t('triage.use')) : null));
      for (const alt of (r.alternatives || []).slice(0, 3)) {
        rows.push(h('div', { class: 'sugg alt' }, '· ', alt.name, ' ',
          h('span', { class: 'muted' }, t('triage.prob', { p: Math.round((alt.prob || 0) * 100) })), ' ',
          onCategory ? h('button', { type: 'button', class: 'small link', onclick: () => onCategory(alt.id, null),
            'aria-label': `${t('triage.use')} ${alt.name}` }, t('triage.use')) : null));
      }
    }
    if (r.department) {
      rows.push(h('div', { class: 'sugg' }, h('span', { class: 'k' }, t('triage.department')), ' ',
        h('strong', {}, r.department.name), ' ',
        onDepartment ? h('button', { type: 'button', class: 'small', onclick: () => onDepartment(r.department.id),
          'aria-label': `${t('triage.use')} ${r.department.name}` }, t('triage.use')) : null));
    }
    if (r.urgency) {
      rows.push(h('div', { class: 'sugg' }, h('span', { class: 'k' }, t('triage.urgency')), ' ',
        h('strong', {}, t('urgency.' + r.urgency.level)),
        r.urgency.rules && r.urgency.rules.length ? h('span', { class: 'muted' }, t('p.paren', { x: r.urgency.rules.join(t('p.list')) })) : null, ' ',
        onUrgency ? h('button', { type: 'button', class: 'small', onclick: () => onUrgency(r.urgency.level),
          'aria-label': `${t('triage.use')} ${t('urgency.' + r.urgency.level)}` }, t('triage.use')) : null));
    }
    if (r.why && r.why.length) {
      rows.push(h('div', { class: 'sugg why' }, h('span', { class: 'k' }, t('triage.why')), ' ',
        r.why.slice(0, 8).map((w) => h('span', { class: 'chip' }, w.text))));
    }
    if (!rows.length) rows.push(h('p', { class: 'muted' }, t('triage.none')));
    const dups = r.duplicates || [];
    if (dups.length) {
      rows.push(h('h3', { class: 'dup-h' }, t('triage.duplicates')), h('ul', { class: 'dups' }, dups.slice(0, 5).map((d) =>
        h('li', { 'data-dup': d.id },
          h('a', { href: `#/case/${d.id}`, target: '_blank' }, d.number), ' ', d.title, ' ',
          h('span', { class: 'muted' }, dupFacts(d)), ' ',
          onMerge ? h('button', { type: 'button', class: 'small', onclick: () => onMerge(d),
            'aria-label': `${t('triage.merge')} ${d.number}` }, t('triage.merge')) : null))));
    }
    clear(body, rows);
  }
  return panel;
}

export function triageAvailable() { return !unavailable; }
