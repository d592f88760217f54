// Time left before a case's deadline, or how late it is, on every list and on the case page:
// green while there is time, amber once less than a quarter of its time (from dispatch to the
// deadline) is left, red when late: the case's own overdue flag (set by the server's sweep) or
// a deadline past (the server counted it in working time already).
import { t } from './i18n.js';
import { h } from './ui.js';

const HOUR = 3600000;
const DAY = 24 * HOUR;

// "2天3小时", "5小时", "12分钟": the two largest units.
export function duration(ms) {
  const m = Math.max(0, Math.round(ms / 60000));
  const d = Math.floor(m / 1440);
  const hr = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d) return hr ? t('time.dh', { d, h: hr }) : t('time.d', { d });
  if (hr) return min ? t('time.hm', { h: hr, m: min }) : t('time.h', { h: hr });
  return t('time.m', { m: min });
}

const FINAL = new Set(['closed', 'cancelled', 'merged']);

// The badge for a case (null when it has no running deadline: finished, paused or none yet).
export function timeLeft(c, now = Date.now()) {
  const due = Date.parse(c.deadlines && c.deadlines.resolve);
  if (FINAL.has(c.state) || c.paused || Number.isNaN(due)) return null;
  const left = due - now;
  if (c.overdue || left < 0) {
    return h('span', { class: 'time-left late', title: t('time.due', { at: new Date(due).toLocaleString('zh-CN') }) },
      t('time.late', { d: duration(-left) }));
  }
  const start = Date.parse(c.dispatched_at || c.created_at);
  const span = Number.isNaN(start) ? DAY : Math.max(due - start, HOUR);
  const warn = left < span / 4;
  return h('span', { class: `time-left ${warn ? 'soon' : 'ok'}` }, t('time.left', { d: duration(left) }));
}
