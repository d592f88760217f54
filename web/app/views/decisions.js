// 自动化决策公示: the public register of the decisions gridloop makes automatically (no sign-in).
// For each: what it decides and who has the last word, the model or rules version in use, how
// often dispatchers agreed with it per class, how many decisions it made and how many were
// appealed and overturned in the last 30 days, and how to appeal. The descriptions are the
// server's (the register is a public document); the labels and figures are drawn here.
import { t } from '../i18n.js';
import { api } from '../api.js';
import { h, fmtTime } from '../ui.js';

const pct = (v) => (v === null || v === undefined ? t('decisions.na') : `${(v * 100).toFixed(1)}%`);
const CLASSES_SHOWN = 30;

export async function decisions({ title }) {
  const r = await api.get('/public/decisions', undefined, { noAuthRedirect: true });
  return h('div', { class: 'register' },
    h('h1', {}, title),
    h('p', {}, t('decisions.intro', { days: r.window_days, at: fmtTime(r.measured_at) })),
    h('p', {}, t('decisions.appeal_rule', { days: r.appeal_days }), ' ', h('a', { href: '#/lookup' }, t('decisions.lookup_link'))),
    r.decisions.map((d) => decision(d, r)));
}

function decision(d, r) {
  const id = `dec-${d.key}`;
  return h('section', { class: 'card decision', 'data-decision': d.key, 'aria-labelledby': id },
    h('h2', { id }, d.name),
    h('dl', { class: 'facts' },
      fact(t('decisions.decides'), d.decides),
      fact(t('decisions.who'), d.who_decides),
      fact(t('decisions.version'), version(d.version)),
      fact(t('decisions.count', { days: r.window_days }), String(d.decisions)),
      d.applied !== undefined ? fact(t('decisions.applied'), String(d.applied)) : null,
      fact(t('decisions.appeals'), d.appeals.appealable
        ? t('decisions.appeals.n', { filed: d.appeals.filed, overturned: d.appeals.overturned })
        : t('decisions.appeals.none')),
      fact(t('decisions.how'), d.how_to_appeal)),
    accuracy(d));
}

function version(v) {
  if (v.kind === 'model') {
    if (!v.id) return t('decisions.version.no_model');
    return [t('decisions.version.model', { labels: v.labels }), ' ', code(v.id),
      v.trained_at ? ' ' + t('decisions.version.trained', { at: fmtTime(v.trained_at), n: v.examples }) : '',
      ' ', t('decisions.version.threshold', { p: pct(v.apply_threshold) })];
  }
  if (v.kind === 'routing_rules') {
    return t('decisions.version.routing', { n: v.rules }) + (v.updated_at ? ' ' + t('decisions.version.updated', { at: fmtTime(v.updated_at) }) : '');
  }
  if (v.kind === 'settings') {
    return t('decisions.version.dup', { days: v.window_days, m: v.max_meters, p: pct(v.min_score) });
  }
  return [t('decisions.version.rules'), ' ', code(v.id)];
}

// A version is a checksum to quote as it is (16 hex digits), not words to read or translate.
const code = (id) => h('code', { translate: 'no', class: 'version' }, id);

function accuracy(d) {
  const a = d.accuracy;
  const head = h('h3', {}, t('decisions.accuracy'));
  if (!a.basis) return h('div', { class: 'accuracy' }, head, h('p', {}, t('decisions.not_measured.' + a.not_measured)));
  const shown = a.classes.slice(0, CLASSES_SHOWN);
  return h('div', { class: 'accuracy' }, head,
    h('p', {}, t('decisions.basis.' + d.key, { since: fmtTime(a.since), at: fmtTime(a.measured_at) })),
    h('p', {}, a.n ? t('decisions.overall', { right: a.right, n: a.n, p: pct(a.rate) }) : t('decisions.no_data')),
    shown.length ? h('table', { class: 'data' },
      h('caption', {}, t('decisions.per_class.' + d.key)),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('decisions.col.class.' + d.key)),
        h('th', { scope: 'col' }, t('decisions.col.n')),
        h('th', { scope: 'col' }, t('decisions.col.right')),
        h('th', { scope: 'col' }, t('decisions.col.rate')))),
      h('tbody', {}, shown.map((k) => h('tr', { 'data-class': k.id },
        h('th', { scope: 'row' }, k.name), h('td', {}, String(k.n)), h('td', {}, String(k.right)), h('td', {}, pct(k.rate)))))) : null,
    a.classes.length > shown.length ? h('p', { class: 'muted' }, t('decisions.more', { n: a.classes.length - shown.length })) : null);
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}
