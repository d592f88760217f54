// The caller's history on the operator's console: as soon as a number is typed, the earlier
// cases of that number (found through the server's keyed hash of it, never by the clear number
// in a list) with their state and the reply they got, newest first.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, clear, fmtTime, stateBadge, listTotal } from '../ui.js';
import { timeLeft } from '../deadline.js';

const SHOWN = 5;

// The last answer the citizen was given: the reply (or the answer on the call), from the timeline.
async function lastReply(c) {
  if (!c.replied_at && c.state !== 'closed') return null;
  try {
    const full = await api.get(`/cases/${c.id}`);
    const ev = [...full.timeline].reverse().find((e) => ['reply', 'answer', 'accept'].includes(e.action) && e.note);
    return ev ? ev.note : null;
  } catch { return null; }
}

export function callerHistory() {
  const body = h('div', { class: 'history-body' });
  const el = h('section', { class: 'card caller-history', 'aria-labelledby': 'hist-h', 'aria-live': 'polite', hidden: true },
    h('h2', { id: 'hist-h' }, t('history.heading')), body);
  let timer = null;
  let asked = '';
  async function show(phone) {
    asked = phone;
    let r;
    try { r = await api.get('/cases', { q: phone, limit: SHOWN }); } catch { el.hidden = true; return; }
    if (asked !== phone) return; // a later number was typed meanwhile
    const replies = await Promise.all(r.items.map(lastReply));
    if (asked !== phone) return;
    el.hidden = false;
    if (!r.items.length) { clear(body, h('p', { class: 'empty' }, t('history.none'))); return; }
    clear(body,
      h('p', {}, t('history.count', { n: listTotal(r) })),
      h('ol', { class: 'history' }, r.items.map((c, i) => h('li', { 'data-case': c.id },
        h('div', {}, h('a', { href: `#/case/${c.id}` }, c.number), ' ', stateBadge(c.state), ' ',
          h('span', { class: 'badge' }, t('kind.' + c.kind)), ' ', h('span', { class: 'muted' }, fmtTime(c.created_at)), ' ', timeLeft(c)),
        h('div', {}, c.title),
        h('div', { class: replies[i] ? 'note' : 'muted' }, replies[i] ? t('history.reply', { text: replies[i] }) : t('history.no_reply'))))),
      r.total > SHOWN ? h('a', { href: `#/cases?q=${encodeURIComponent(phone)}` }, t('history.more')) : null);
  }
  // A number is looked up once it has the digits of a real one (7: a local number).
  function lookup(value) {
    clearTimeout(timer);
    const phone = value.trim();
    if (phone.replace(/\D/g, '').length < 7) { asked = ''; el.hidden = true; return; }
    if (phone === asked) return;
    timer = setTimeout(() => show(phone), 300);
  }
  return { el, lookup, reset: () => { clearTimeout(timer); asked = ''; el.hidden = true; clear(body); } };
}
