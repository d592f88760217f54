// Pickers for long lists: the category tree (three levels, some 350 entries) searched by name or
// opened level by level, and departments searched by name and kept as chips. Each writes what
// the API wants into a hidden input named like the field (formBody reads it: the category's id,
// or the departments' ids separated by commas for type 'list'), so forms read them as before.
import { t } from './i18n.js';
import { h, clear, field, uid } from './ui.js';
import { categories, departments } from './data.js';

const MAX_MATCHES = 30;

// The category picker as a labelled field. `value` is the chosen id ('' for none); setting it
// (triage's 采用) shows the choice. Returns { wrap, value, reset() }.
export async function categoryPicker({ label = t('field.category'), name = 'category', names = [name], value = '', required } = {}) {
  const items = await categories();
  const byId = new Map(items.map((c) => [c.id, c]));
  const kids = new Map();
  for (const c of items) {
    const k = c.parent_id ?? 0;
    if (!kids.has(k)) kids.set(k, []);
    kids.get(k).push(c);
  }
  const path = (c) => {
    const names = [];
    for (let x = c; x; x = x.parent_id ? byId.get(x.parent_id) : null) names.unshift(x.name);
    return names.join(' / ');
  };
  const hidden = h('input', { type: 'hidden', name });
  const search = h('input', { type: 'search', name: `${name}_q`, autocomplete: 'off', placeholder: t('picker.category.search') });
  const chosen = h('div', { class: 'picked', 'aria-live': 'polite' });
  const panel = h('div', { class: 'picker-panel', hidden: true });
  const browse = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false' }, t('picker.category.browse'));
  const listId = uid('cat');
  panel.id = listId;
  browse.setAttribute('aria-controls', listId);

  function choose(id) {
    hidden.value = id ? String(id) : '';
    const c = id ? byId.get(Number(id)) : null;
    clear(chosen, c ? [h('span', { class: 'chip', 'data-category': c.id }, path(c)), ' ',
      h('button', { type: 'button', class: 'small link', 'aria-label': t('picker.clear.category', { name: c.name }),
        onclick: () => { choose(''); search.focus(); } }, t('picker.clear.short'))]
      : h('span', { class: 'muted' }, t('field.category.none')));
  }
  function close() { panel.hidden = true; browse.setAttribute('aria-expanded', 'false'); }
  const pick = (c) => h('button', { type: 'button', class: 'pick', 'data-category': c.id,
    onclick: () => { choose(c.id); search.value = ''; close(); search.focus(); } }, c.name);

  // One level of the tree: each entry chosen by its name, opened by its arrow.
  function level(parent) {
    return h('ul', { class: 'tree' }, (kids.get(parent) || []).map((c) => {
      const sub = kids.get(c.id);
      if (!sub) return h('li', {}, pick(c));
      const box = h('div', { hidden: true });
      const open = h('button', { type: 'button', class: 'toggle', 'aria-expanded': 'false',
        'aria-label': t('picker.expand', { name: c.name }),
        onclick: () => {
          const on = box.hidden;
          if (on && !box.firstChild) box.append(level(c.id));
          box.hidden = !on;
          open.setAttribute('aria-expanded', String(on));
        } }, '▸');
      return h('li', {}, open, ' ', pick(c), h('span', { class: 'muted' }, ` (${sub.length})`), box);
    }));
  }
  function showTree() { clear(panel, level(0)); panel.hidden = false; browse.setAttribute('aria-expanded', 'true'); }
  function showMatches(q) {
    const hits = items.filter((c) => c.name.includes(q) || (c.code && c.code.toLowerCase().includes(q.toLowerCase())));
    clear(panel, hits.length
      ? h('ul', { class: 'matches' }, hits.slice(0, MAX_MATCHES).map((c) =>
        h('li', {}, pick(c), c.parent_id ? h('span', { class: 'muted' }, ` ${path(byId.get(c.parent_id))}`) : null)))
      : h('p', { class: 'empty' }, t('picker.none')),
    hits.length > MAX_MATCHES ? h('p', { class: 'hint' }, t('picker.more', { n: hits.length - MAX_MATCHES })) : null);
    panel.hidden = false;
  }
  search.addEventListener('input', () => { const q = search.value.trim(); if (q) showMatches(q); else close(); });
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') close();
    // Enter takes the first match rather than submitting the form.
    if (ev.key === 'Enter' && search.value.trim()) { ev.preventDefault(); panel.querySelector('button.pick')?.click(); }
  });
  browse.addEventListener('click', () => (panel.hidden ? showTree() : close()));

  const wrap = field(label, search, { names, required });
  wrap.classList.add('picker');
  wrap.addEventListener('focusout', (ev) => { if (ev.relatedTarget && !wrap.contains(ev.relatedTarget)) close(); });
  search.after(' ', browse, hidden, chosen, panel);
  choose(value);
  return {
    wrap,
    get value() { return hidden.value; },
    set value(v) { choose(v); },
    reset() { search.value = ''; close(); choose(''); },
  };
}

// The department picker (assisting departments): type to find, click to add, chips to remove.
// `exclude()` names a department not to offer (the lead one). Returns { wrap, value (ids), reset() }.
export async function departmentPicker({ label = t('field.assisting'), name = 'assisting', names = [name], max = 8, exclude = () => null } = {}) {
  const deps = await departments();
  const byId = new Map(deps.map((d) => [d.id, d]));
  const ids = [];
  const hidden = h('input', { type: 'hidden', name });
  const search = h('input', { type: 'search', name: `${name}_q`, autocomplete: 'off', placeholder: t('picker.department.search') });
  const chips = h('ul', { class: 'chips', 'aria-label': t('picker.department.chosen') });
  const panel = h('div', { class: 'picker-panel', hidden: true });

  function render() {
    hidden.value = ids.join(',');
    clear(chips, ids.map((id) => h('li', { class: 'chip', 'data-department': id }, byId.get(id).name, ' ',
      h('button', { type: 'button', class: 'small link', 'aria-label': t('picker.clear', { name: byId.get(id).name }),
        onclick: () => { ids.splice(ids.indexOf(id), 1); render(); search.focus(); } }, '×'))));
  }
  function offer() {
    const q = search.value.trim();
    const skip = Number(exclude()) || null;
    const hits = deps.filter((d) => !ids.includes(d.id) && d.id !== skip && (!q || d.name.includes(q)));
    clear(panel, ids.length >= max ? h('p', { class: 'hint' }, t('picker.department.max', { n: max }))
      : hits.length ? h('ul', { class: 'matches' }, hits.slice(0, MAX_MATCHES).map((d) => h('li', {},
        h('button', { type: 'button', class: 'pick', 'data-department': d.id,
          onclick: () => { ids.push(d.id); search.value = ''; render(); offer(); search.focus(); } }, d.name))))
        : h('p', { class: 'empty' }, t('picker.none')));
    panel.hidden = false;
  }
  search.addEventListener('input', offer);
  search.addEventListener('focus', offer);
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') panel.hidden = true;
    if (ev.key === 'Enter') { ev.preventDefault(); if (search.value.trim()) panel.querySelector('button.pick')?.click(); }
  });
  // Leaving the picker (not to one of its own buttons) folds the list away.
  const wrap = field(label, search, { names, hint: t('picker.department.hint') });
  wrap.classList.add('picker');
  wrap.addEventListener('focusout', (ev) => { if (!wrap.contains(ev.relatedTarget)) panel.hidden = true; });
  search.after(hidden, chips, panel);
  render();
  return {
    wrap,
    get value() { return [...ids]; },
    set value(v) { ids.splice(0, ids.length, ...v.map(Number).filter((x) => byId.has(x))); render(); },
    reset() { ids.length = 0; search.value = ''; panel.hidden = true; render(); },
  };
}
